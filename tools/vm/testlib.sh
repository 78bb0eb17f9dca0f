# tools/vm/testlib.sh: helpers for guest tests (sourced by guest-suite).
set -euo pipefail

# fail MSG: stop the test with a message.
fail() {
	echo "  FAIL: $*" >&2
	exit 1
}

# expect CMD...: run CMD; fail the test (showing CMD) if it fails.
expect() {
	"$@" || fail "command failed: $*"
}

# expect_fail CMD...: CMD must fail.
expect_fail() {
	if "$@" 2>/dev/null; then fail "unexpectedly succeeded: $*"; fi
}

# assert_eq WHAT GOT WANT
assert_eq() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
}

# Our module: loaded by name from the guest's module tree (extra/loop.ko).
load_rloop() {
	modprobe loop "$@" || fail "modprobe loop failed"
	is_rloop || fail "the loaded 'loop' module is not rloop"
}

# is_rloop: the loaded `loop` module is ours (its symbols are Rust/rloop).
is_rloop() {
	[[ -d /sys/module/loop ]] && grep -q 'rloop' <(grep '\[loop\]' /proc/kallsyms)
}

# udev_settle WHY: wait for udev's queue to empty.  Still busy after 30 s
# is timing, not behaviour (a C loop.ko run once timed out after errnos'
# 32-bit caller; a clean-clone make check once found the queue stuck from
# the stacked test on, no task blocked): a note naming WHY on stdout, not a
# failure.  Tests assert what the probes could have disturbed themselves.
udev_settle() {
	udevadm settle --timeout=30 2>/dev/null ||
		echo "  note: the udev queue was not empty after 30 s (${1:-})"
}

# unload_loop: rmmod whichever loop driver is loaded.  udev workers may
# still hold a device open for a moment after the last uevent (blkid), which
# makes rmmod fail with EAGAIN: settle and retry for a while first.
unload_loop() {
	local i
	[[ -d /sys/module/loop ]] || return 0
	for i in $(seq 50); do
		udevadm settle --timeout=30 2>/dev/null || true
		rmmod loop 2>/dev/null && return 0
		sleep 0.2
	done
	rmmod loop || fail "rmmod loop failed"
}

# on_exit CMD: run CMD (with errors ignored) when the test ends, however it
# ends; the last registered runs first.
_cleanups=()
on_exit() { _cleanups=("$1" "${_cleanups[@]}"); }
_run_cleanups() {
	local rc=$? c
	set +e
	for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	exit "$rc"
}
trap _run_cleanups EXIT

# brd_fs KIB MKFS DIR: /dev/ram0, a brd disk of KIB KiB, made ext4 or xfs
# (MKFS) and mounted on DIR (created); unmounted and unloaded at exit.
brd_fs() {
	local dir
	modprobe brd rd_nr=1 rd_size="$1" || fail "modprobe brd"
	on_exit 'rmmod brd'
	case $2 in
	ext4) mkfs.ext4 -qF /dev/ram0 ;;
	xfs) mkfs.xfs -qf /dev/ram0 ;;
	*) fail "brd_fs: unknown file system '$2'" ;;
	esac
	mkdir -p "$3"
	dir=$(cd "$3" && pwd)
	mount /dev/ram0 "$dir"
	on_exit "umount '$dir'"
}

# fio_verify_odd DEV OFFSET SIZE: O_DIRECT random writes of 512 bytes to
# 256 KiB, 512-byte aligned on the disk and in memory (mem_align=512: a
# buffer's pages start mid-page, so bvecs straddle pages and disk pages),
# then read back and checked (crc32c): a memory disk's copy must follow
# pieces across page boundaries on both sides.
fio_verify_odd() {
	fio --name=odd --filename="$1" --direct=1 --ioengine=psync --rw=randwrite \
		--offset="$2" --size="$3" --bsrange=512-256k --blockalign=512 --mem_align=512 \
		--verify=crc32c --do_verify=1 --output-format=terse >/dev/null
}

# lockdep_deps CLASS: the forward dependencies lockdep recorded for the lock
# class named CLASS (its "->" lines in /proc/lockdep), one per line, sorted.
lockdep_deps() {
	awk -v c=": $1" '
		/^[0-9a-f]+ / { inblock = (substr($0, length($0) - length(c) + 1) == c); next }
		/^$/ { inblock = 0; next }
		inblock && /->/ { sub(/^ *-> \[[0-9a-f]+\] /, ""); print }
	' /proc/lockdep | sort -u
}

# Scratch directory, removed at exit.
scratch() {
	SCRATCH=$(mktemp -d /tmp/rloop-test.XXXXXX)
	on_exit 'cd /; rm -rf "$SCRATCH"'
	cd "$SCRATCH"
}

# kmemleak_check: when the kernel has kmemleak (the kasan flavour), scan
# now and fail if the scan found new suspects; they are printed on the
# console with their backtraces (guest-init turns verbose on), where
# lockdep-inspect reports them as well.  kmemleak only reports objects older
# than 5 s, so it first waits 6 s: what the caller freed or leaked before
# the call is then old enough.  No-op (and no wait) otherwise.
kmemleak_check() {
	local k=/sys/kernel/debug/kmemleak n
	[[ -w $k ]] || return 0
	sleep 6
	echo scan >"$k"
	n=$(grep -c '^unreferenced object' "$k" || true)
	if ((n > 0)); then
		sed -n '1,60p' "$k" >&2
		echo clear >"$k"
		fail "kmemleak: $n unreferenced object(s), see above and the console log"
	fi
	echo "  kmemleak: scan clean"
}

# Time budget.  Under `make stress`, guest-suite gives each test a deadline
# (RLOOP_TEST_DEADLINE, seconds since the epoch: an equal share of what is
# left of STRESS_MINUTES), and the loops of a test stop early when it has
# passed, printing how much they ran; never below a floor of their own, a
# quarter to all of what `make check` runs (the loops test
# `((i <= FLOOR)) || in_budget`; integrity's first run, 32 MiB, is the one
# floor above its check count, 16).  Without a deadline (make check) the knobs
# alone decide.
#   budget_slice N     the next loop may use 1/N of the test's time left
#   in_budget          the current slice (or the test's deadline) is not over
#   budget_secs S N M  S seconds, or 1/N of the test's time left if less,
#                      but at least M (default 5)
budget_slice() {
	[[ -n ${RLOOP_TEST_DEADLINE:-} ]] || return 0
	local now
	now=$(date +%s)
	_slice_end=$((now + (RLOOP_TEST_DEADLINE - now) / $1))
}
in_budget() {
	[[ -n ${RLOOP_TEST_DEADLINE:-} ]] || return 0
	(($(date +%s) < ${_slice_end:-$RLOOP_TEST_DEADLINE}))
}
budget_secs() {
	local s=$1 left min=${3:-5}
	if [[ -n ${RLOOP_TEST_DEADLINE:-} ]]; then
		left=$(((RLOOP_TEST_DEADLINE - $(date +%s)) / $2))
		((left >= s)) || s=$left
		((s >= min)) || s=$min
	fi
	echo "$s"
}
# budget_note DONE WANTED WHAT: say when a loop stopped short of its knob.
budget_note() {
	(($1 >= $2)) || echo "  time budget: $3 stopped after $1 of $2"
}
