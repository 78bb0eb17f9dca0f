# The Rust-for-Linux toolchain rloop builds with (see tools/setup).  Source it.
# Sets TC_MAKE (make variables for kernel and module builds) and TC_ID (a
# string naming every tool version; part of the kernel cache key).

TC_BINDGEN=$(rloop_cache)/bindgen-$RLOOP_BINDGEN_V/bin/bindgen
[[ -x $TC_BINDGEN ]] || die "bindgen $RLOOP_BINDGEN_V not installed: run tools/setup"
[[ -x /usr/bin/rustc ]] || die "/usr/bin/rustc missing: run tools/setup"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
TC_MAKE=(RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
	CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN="$TC_BINDGEN")
TC_ID="$(/usr/bin/rustc --version) | $("$TC_BINDGEN" --version 2>&1 | head -n1) | $(gcc --version | head -n1)"
