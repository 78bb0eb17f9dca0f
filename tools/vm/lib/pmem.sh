# tools/vm/lib/pmem.sh: legacy persistent memory in the guest (sourced by
# tools/vm/tests/62-dax.sh and tools/bench/guest-lib.sh).  The suite and the
# bench boot with two memmap=nn!ss ranges (tools/lib.sh, RLOOP_SUITE_APPEND):
# the first is rdax's pool, the second pmem's, the control.

# legacy_pmem_ranges: one line "START END" (hex, no 0x) per legacy
# persistent-memory range (/proc/iomem), in address order.
legacy_pmem_ranges() {
	sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : Persistent Memory (legacy)$/\1 \2/p' /proc/iomem
}

# namespace_at ADDRESS: the nvdimm namespace on the range starting there.
namespace_at() {
	local ns
	for ns in /sys/bus/nd/devices/namespace*; do
		[[ -r $ns/resource ]] || continue
		if (($(cat "$ns/resource") == $1)); then
			basename "$ns"
			return 0
		fi
	done
	return 1
}

# statx_dax FILE: is STATX_ATTR_DAX (0x200000) set?
statx_dax() {
	local a
	a=$(xfs_io -r -c 'statx -r' "$1" 2>/dev/null | sed -n 's/^stat.attributes = //p')
	[[ -n $a ]] && (((a & 0x200000) != 0))
}
