# Shared shell helpers for tools/*.  Source it; do not run it.

# Pinned bindgen-cli version (tools/setup installs it into the cache).
RLOOP_BINDGEN_V=0.70.1

# Host Rust tools: prefer the user's rustup toolchain when it is not on PATH.
if ! command -v cargo >/dev/null && [[ -x $HOME/.cargo/bin/cargo ]]; then
	PATH=$HOME/.cargo/bin:$PATH
fi

rloop_cache() { echo "${RLOOP_CACHE:-$HOME/.cache/rloop}"; }

# The guest suite's extra kernel command line (tools/check, tools/stress):
# two legacy persistent-memory ranges (memmap=nn!ss, e820 type 12) in the
# 3 GiB q35 guest's low RAM (0x100000-0x7ffdffff), 2 MiB aligned: the first
# (0x40000000, 512 MiB) for rdax's DAX pool, the second (0x60000000,
# 256 MiB) for pmem, the DAX control (tools/vm/tests/62-dax.sh).
RLOOP_SUITE_APPEND='memmap=512M!1G memmap=256M!1536M'

# Where tools/util-linux-tests puts util-linux's own test suite: one directory
# per installed util-linux version, so the tests always match the binaries.
rloop_util_linux_dir() {
	local v
	v=$(dpkg-query -W -f='${Version}' util-linux 2>/dev/null) || return 1
	[[ -n $v ]] || return 1
	echo "$(rloop_cache)/util-linux/${v//[^A-Za-z0-9.+-]/_}"
}

die() {
	echo "rloop: error: $*" >&2
	exit 1
}

step() { echo "rloop: $*" >&2; }

# run_logged PHASE LOG CMD...: run CMD with output to LOG, printing the phase
# and elapsed time every 30 s instead of thousands of make lines.
run_logged() {
	local phase=$1 log=$2
	shift 2
	mkdir -p "$(dirname "$log")"
	local start=$SECONDS
	step "$phase (log: $log)"
	"$@" >"$log" 2>&1 &
	local pid=$! rc next=$((start + 30))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if ((SECONDS >= next)); then
			step "  $phase: $((SECONDS - start)) s elapsed"
			next=$((next + 30))
		fi
	done
	wait "$pid" && rc=0 || rc=$?
	if ((rc != 0)); then
		echo "---- last lines of $log ----" >&2
		tail -n 30 "$log" >&2
		die "$phase failed after $((SECONDS - start)) s (exit $rc, log: $log)"
	fi
	step "  $phase: done in $((SECONDS - start)) s"
}
