# The Rust-for-Linux toolchain rloop builds with (see tools/setup).  Source it.
# Sets TC_MAKE (make variables for kernel and module builds) and TC_ID (a
# string naming every tool version; part of the kernel cache key).
# The kernel flavour (TC_FLAVOUR, else KERNEL, else "debug") picks the C
# compiler: a flavour whose fragment tools/kernel/<flavour>.config has the line
# "# rloop-toolchain: llvm-19" is built with `make LLVM=-19` (clang/lld-19),
# and so is every module built against it; the others with gcc.

TC_BINDGEN=$(rloop_cache)/bindgen-$RLOOP_BINDGEN_V/bin/bindgen
[[ -x $TC_BINDGEN ]] || die "bindgen $RLOOP_BINDGEN_V not installed: run tools/setup"
[[ -x /usr/bin/rustc ]] || die "/usr/bin/rustc missing: run tools/setup"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
TC_MAKE=(RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
	CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN="$TC_BINDGEN")
TC_FLAVOUR=${TC_FLAVOUR:-${KERNEL:-debug}}
TC_ID="$(/usr/bin/rustc --version) | $("$TC_BINDGEN" --version 2>&1 | head -n1)"
if grep -qx '# rloop-toolchain: llvm-19' "$(dirname "${BASH_SOURCE[0]}")/kernel/$TC_FLAVOUR.config" 2>/dev/null; then
	for _tc_t in clang-19 ld.lld-19 llvm-ar-19 llvm-nm-19 llvm-objcopy-19; do
		command -v "$_tc_t" >/dev/null || die "$_tc_t missing (kernel flavour '$TC_FLAVOUR' needs LLVM 19): run tools/setup"
	done
	TC_MAKE+=(LLVM=-19)
	TC_ID+=" | $(clang-19 --version | head -n1) | $(ld.lld-19 --version | head -n1)"
else
	TC_ID+=" | $(gcc --version | head -n1)"
fi
