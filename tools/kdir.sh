# Checks of a kernel build tree that rloop is built against or installed
# into (KDIR=).  Source it after tools/lib.sh; do not run it.
#
# Each check dies with one line naming what is wrong and what to do, before
# Kbuild is started and before any file is written.

# kdir_config KDIR NAME: the value of CONFIG_NAME in KDIR/.config, without
# quotes ("" when it is not set).
kdir_config() {
	local v
	v=$(sed -n "s/^CONFIG_$2=//p" "$1/.config" | head -n 1)
	v=${v#\"}
	echo "${v%\"}"
}

# kdir_tree KDIR: KDIR is a configured and prepared kernel build tree.
kdir_tree() {
	local kdir=$1
	[[ -n $kdir ]] || die "no kernel build tree: set KDIR= to the build tree of the kernel (e.g. /lib/modules/<version>/build)"
	[[ -d $kdir ]] || die "KDIR=$kdir does not exist: set KDIR= to the build tree of the kernel (e.g. /lib/modules/<version>/build)"
	[[ -f $kdir/Makefile && -f $kdir/.config ]] ||
		die "KDIR=$kdir is not a configured kernel build tree (no Makefile or .config)"
	[[ -f $kdir/include/config/kernel.release ]] ||
		die "KDIR=$kdir is not a prepared kernel build tree (no include/config/kernel.release; run 'make modules_prepare' there)"
}

kdir_release() { cat "$1/include/config/kernel.release"; }

# kdir_rust KDIR: the kernel was built with Rust support and its Rust
# metadata is there.
kdir_rust() {
	local kdir=$1
	[[ $(kdir_config "$kdir" RUST) == y ]] ||
		die "kernel $(kdir_release "$kdir") in $kdir has no Rust support (CONFIG_RUST is not set): rloop needs a kernel built with CONFIG_RUST=y"
	[[ -f $kdir/include/generated/rustc_cfg ]] ||
		die "kernel $(kdir_release "$kdir") in $kdir has CONFIG_RUST=y but no include/generated/rustc_cfg: the tree is not prepared"
}

# kdir_loop_module KDIR: loop.c is not built in (it would own block major 7
# and /dev/loop-control, and a module named loop could never load).
kdir_loop_module() {
	local kdir=$1
	[[ $(kdir_config "$kdir" BLK_DEV_LOOP) != y ]] ||
		die "kernel $(kdir_release "$kdir") has the C loop driver built in (CONFIG_BLK_DEV_LOOP=y): it owns block major 7 and /dev/loop-control, so rloop cannot replace it; rebuild the kernel with CONFIG_BLK_DEV_LOOP=m or =n"
}

# kdir_pick_tool KDIR NAME WANT CANDIDATE...: print the first candidate whose
# `--version` (first line) is WANT.  When none is, die naming both versions.
# A single explicit candidate (RUSTC=/BINDGEN= given) is the only one tried.
kdir_pick_tool() {
	local kdir=$1 name=$2 want=$3 c have first= firstv=
	shift 3
	for c in "$@"; do
		[[ -n $c && -x $c ]] || continue
		have=$("$c" --version 2>/dev/null | head -n 1)
		if [[ $have == "$want" ]]; then
			echo "$c"
			return 0
		fi
		[[ -n $first ]] || { first=$c firstv=$have; }
	done
	local var=${name^^}
	[[ -n $first ]] ||
		die "kernel $(kdir_release "$kdir") was built with '$want', but no $name was found (set $var=)"
	die "kernel $(kdir_release "$kdir") was built with '$want', but $var=$first is '$firstv': set $var= to the $name the kernel was built with"
}

# kdir_toolchain KDIR: sets KDIR_MAKE, the make variables that build modules
# with the toolchain the kernel was built with: RUSTC/BINDGEN (explicit
# RUSTC=/BINDGEN= are checked, else /usr/bin/rustc, rustc on PATH, rloop's
# bindgen and bindgen on PATH are tried), and LLVM= for a kernel built with
# clang.
kdir_toolchain() {
	local kdir=$1 rustc bindgen cands want
	want=$(kdir_config "$kdir" RUSTC_VERSION_TEXT)
	if [[ -n ${RUSTC:-} ]]; then
		cands=("$(command -v "$RUSTC" || echo "$RUSTC")")
	else
		cands=(/usr/bin/rustc "$(command -v rustc || true)")
	fi
	rustc=$(kdir_pick_tool "$kdir" rustc "$want" "${cands[@]}") || exit 1
	want=$(kdir_config "$kdir" BINDGEN_VERSION_TEXT)
	if [[ -n ${BINDGEN:-} ]]; then
		cands=("$(command -v "$BINDGEN" || echo "$BINDGEN")")
	else
		cands=("$(rloop_cache)/bindgen-$RLOOP_BINDGEN_V/bin/bindgen" "$(command -v bindgen || true)")
	fi
	bindgen=$(kdir_pick_tool "$kdir" bindgen "$want" "${cands[@]}") || exit 1
	KDIR_MAKE=(RUSTC="$rustc" HOSTRUSTC="$rustc" BINDGEN="$bindgen")
	local d
	d=$(dirname "$rustc")
	[[ -x $d/rustdoc ]] && KDIR_MAKE+=(RUSTDOC="$d/rustdoc")
	[[ -x $d/clippy-driver ]] && KDIR_MAKE+=(CLIPPY_DRIVER="${CLIPPY_DRIVER:-$d/clippy-driver}")
	# bindgen loads libclang; Debian's 19 when there is no other choice.
	[[ -n ${LIBCLANG_PATH:-} || ! -d /usr/lib/llvm-19/lib ]] || export LIBCLANG_PATH=/usr/lib/llvm-19/lib
	if [[ $(kdir_config "$kdir" CC_IS_CLANG) == y && -z ${LLVM:-} ]]; then
		local major
		major=$(kdir_config "$kdir" CLANG_VERSION)
		major=$((major / 10000))
		if command -v "clang-$major" >/dev/null; then
			KDIR_MAKE+=(LLVM="-$major")
		else
			KDIR_MAKE+=(LLVM=1)
		fi
	elif [[ -n ${LLVM:-} ]]; then
		KDIR_MAKE+=(LLVM="$LLVM")
	fi
}
