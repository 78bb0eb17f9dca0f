# util-linux's own test suite (REQUIREMENTS.md, "Real clients' own tests"):
# the loop-using components of util-linux's tests/run.sh, run with
# --use-system-commands --parsable against the installed losetup/mount/...,
# first on rloop, then on the C loop.ko in the same boot.  The test fails if
# rloop does not pass (or skips) a component the C loop.ko passes, or leaves
# a loop device bound where the C loop.ko did not; it prints both drivers'
# per-component results, and a failing component's output and diffs.  The
# C loop.ko only decides those two cases, so `make check` runs it only on the
# components rloop did not pass or left something behind after (and says so
# for the others); under `make stress` (RLOOP_TEST_DEADLINE set) it runs
# every component on both drivers.
#
# The suite is Debian's source of the installed util-linux (2.38.1), which
# tools/setup (tools/util-linux-tests) downloads into the cache with the
# test_md5, test_sysinfo, test_ismounted and test_mkfds helpers; tools/vm/run
# passes its path as RLOOP_UTIL_LINUX.  Each driver's run unpacks the tests
# tree and the helpers (tests.tar) into a fresh directory on the guest's
# tmpfs, with HOME there too.  The guest's root is a read-only 9p share and
# the fstab-* tests edit /etc/fstab in place (sed -i, a temporary file in
# /etc): /etc gets a writable overlay (a tmpfs copy if overlayfs refuses)
# for the duration of the test.
#
# Components.  `make check` runs the loop-specific ones, about 90 s per
# driver under TCG: losetup/losetup (offset, sizelimit through losetup and
# lsblk), libmount/loop (mount of an image, -o loop, -o loop=/dev/loopN,
# reuse of an already bound device, offset conflicts), mount/fstab-loop
# (mount -a of "loop" fstab entries), libmount/loop-overlay (a loop device
# mounted under overlayfs) and fdisk/gpt-resize (losetup --set-capacity).
# RLOOP_UTIL_LINUX_ALL=1 adds every other test script of the suite that sets
# up a loop device (losetup, ts_device_init, mount -o loop) and can run here,
# about 10 minutes per driver: the scsi_debug ones of losetup, the mount/*
# ones on loop devices (devname, label, uuid, fstab by tag, btrfs...),
# swapon/*, blkdiscard/offsets, fsck/ismounted, lsfd/mkfds-ro-block-device.
# Left out, on both drivers:
#   mount/rlimit: skips itself ("mtab unsupported"; /etc/mtab is a symlink).
#   cramfs/*: the test kernel has no cramfs (CONFIG_CRAMFS).
#   blkid/md-raid*-whole: need mdadm and md; no loop-specific behaviour.
#   libmount/context*, libmount/optstr, libmount/update: need the
#     test_mount_* helpers, i.e. a full libmount build; context's one loop
#     case is mount -o loop through libmount, which libmount/loop covers.
#   mount/fstab-all, mount/umount-*: scsi_debug disks, no loop device.
ul=${RLOOP_UTIL_LINUX:-}
[[ -n $ul && -f $ul/.rloop-ready ]] ||
	fail "util-linux's test suite is not prepared (tools/setup runs tools/util-linux-tests)"
comps=(
	losetup/losetup libmount/loop mount/fstab-loop libmount/loop-overlay
	fdisk/gpt-resize
)
if [[ ${RLOOP_UTIL_LINUX_ALL:-0} == 1 ]]; then
	comps+=(
		losetup/losetup-blkdev losetup/losetup-loop
		mount/devname mount/label mount/uuid mount/regfile mount/remount
		mount/shared-subtree mount/fslists
		mount/fstab-devname mount/fstab-devname2label mount/fstab-devname2uuid
		mount/fstab-label mount/fstab-label2devname mount/fstab-label2uuid
		mount/fstab-symlink mount/fstab-uuid mount/fstab-uuid2devname
		mount/fstab-uuid2label mount/fstab-btrfs
		swapon/devname swapon/fixpgsz swapon/fixsig swapon/label swapon/uuid
		blkdiscard/offsets fsck/ismounted lsfd/mkfds-ro-block-device
	)
fi

scratch
mkdir etc-upper etc-work
if ! mount -t overlay overlay -o lowerdir=/etc,upperdir=etc-upper,workdir=etc-work /etc; then
	cp -a /etc etc
	mount --bind etc /etc
fi
on_exit 'umount /etc'
on_exit 'swapoff -a; losetup -D'

# suite DRIVER COMPONENT...: run the components on the loaded driver; fill
# res_DRIVER (component -> PASS/FAIL/SKIP) and leaks_DRIVER (components that
# left a device bound or a filesystem mounted, cleaned up before the next
# one); keep each component's output in $RLOOP_OUT/util-linux/DRIVER/.
declare -A res_rloop res_cloop leaks_rloop leaks_cloop
suite() {
	local drv=$1 c rc mnts log top=$SCRATCH/$1 logs=$RLOOP_OUT/util-linux/$1 t0
	local -n res=res_$drv leaks=leaks_$drv
	shift
	mkdir -p "$top/home" "$logs"
	tar -C "$top" -xf "$ul/tests.tar"
	for c in "$@"; do
		log=$logs/${c//\//_}.log
		t0=$SECONDS
		rc=0
		(cd "$top" && HOME=$top/home ./tests/run.sh --use-system-commands \
			--parsable --show-diff "$c") >"$log" 2>&1 || rc=$?
		udevadm settle --timeout=30 || true
		if ((rc != 0)); then
			res[$c]=FAIL
		elif grep -E '^ *[a-z0-9-]+: .* \.\.\. ?SKIPPED' "$log" | grep -vq ' \[[0-9][0-9]\] '; then
			res[$c]="SKIP ($(grep -o 'SKIPPED (.*)' "$log" | head -1))"
		else
			res[$c]=PASS
		fi
		echo "  $drv: $c ${res[$c]} ($((SECONDS - t0)) s)"
		mnts=$(findmnt -rn -o TARGET | grep -F "$top/" || true)
		if [[ -n $(losetup -a) || -n $mnts || -n $(swapon --noheadings) ]]; then
			leaks[$c]="bound: $(losetup -a | tr '\n' ' ') mounted: $(echo $mnts) swap: $(swapon --noheadings | tr '\n' ' ')"
			echo "    left behind: ${leaks[$c]}"
			swapoff -a 2>/dev/null || true
			if [[ -n $mnts ]]; then sort -r <<<"$mnts" | xargs -r -d '\n' umount -l; fi
			losetup -D || true
			udevadm settle --timeout=30 || true
		fi
	done
}

load_rloop
suite rloop "${comps[@]}"
unload_loop
# The C reference: every component under stress; otherwise only those the
# verdict below needs it for (rloop did not pass, or left something behind).
ccomps=() cskipped=()
for c in "${comps[@]}"; do
	if [[ -n ${RLOOP_TEST_DEADLINE:-} || ${res_rloop[$c]} != PASS || -n ${leaks_rloop[$c]:-} ]]; then
		ccomps+=("$c")
	else
		cskipped+=("$c")
	fi
done
((${#cskipped[@]} == 0)) ||
	echo "  C loop.ko reference skipped for ${cskipped[*]}: rloop passed and left nothing behind (make stress runs it)"
if ((${#ccomps[@]} > 0)); then
	insmod "$RLOOP_CLOOP"
	suite cloop "${ccomps[@]}"
	unload_loop
fi

bad=0
echo "  component                          rloop   loop.ko"
for c in "${comps[@]}"; do
	r=${res_cloop[$c]:--}
	printf '  %-34s %-7s %s\n' "$c" "${res_rloop[$c]%% *}" "${r%% *}"
done
for c in "${comps[@]}"; do
	[[ -n ${res_cloop[$c]:-} ]] || continue # rloop passed cleanly: C not run
	if [[ ${res_cloop[$c]} == PASS && ${res_rloop[$c]} != PASS ]]; then
		echo "  rloop ${res_rloop[$c]} on $c, which loop.ko passes; its output:"
		sed 's/^/    | /' "$RLOOP_OUT/util-linux/rloop/${c//\//_}.log"
		bad=1
	elif [[ ${res_cloop[$c]} != PASS ]]; then
		echo "  note: loop.ko ${res_cloop[$c]} on $c (rloop: ${res_rloop[$c]})"
	fi
	if [[ -n ${leaks_rloop[$c]:-} && -z ${leaks_cloop[$c]:-} ]]; then
		echo "  rloop left behind after $c: ${leaks_rloop[$c]} (loop.ko: nothing)"
		bad=1
	fi
done
((bad == 0)) || fail "rloop differs from the C loop.ko in util-linux's tests"
