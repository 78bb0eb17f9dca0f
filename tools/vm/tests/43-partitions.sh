# Partitions on loop devices (REQUIREMENTS.md 3.5 items 6 and 10, the ABI
# details, R6).
#
# 1. A transcript on a two-partition GPT image, compared line by line with
#    the C loop.ko in the same boot: `losetup -P` creates loopNp1/p2 (nodes
#    and sysfs) with the right sizes; I/O through a partition lands at its
#    offset in the image; ext4 on p2 mounts; `losetup -d` removes them; the
#    uevents of bind and unbind (one plain disk change each; partition
#    add/remove);
#    without PARTSCAN nothing appears, BLKRRPART and BLKPG (partx, delpart,
#    addpart) on such a device; LOOP_SET_STATUS64 turning PARTSCAN on (and
#    not off); detaching by repeating LOOP_CLR_FD every 50 ms until ENXIO,
#    then checking at once that the partitions are gone.
#    udev's inotify "watch" on loop devices is switched off for the
#    transcript: on every close of a whole disk opened for writing
#    (losetup itself) udevd asynchronously synthesizes a change uevent and
#    re-reads the partition table (BLKRRPART), removing and re-adding the
#    partitions at a moment no settle waits for; that user-space race would
#    make both drivers' transcripts nondeterministic.
# 2. R6 (18048c1af783): `losetup -P -f p.img; blkid /dev/loop0p1` in a loop
#    against `losetup -d /dev/loop0` in a loop, with udev fully on, for
#    RLOOP_PART_RACE_SECONDS (default 10; `make stress` runs 300, the spec's
#    5 minutes), on rloop: no "partition scan of loop0 failed (rc=-16)",
#    "Buffer I/O error on dev loop0p1" or "I/O error" in the kernel log, and
#    no stale partition node or sysfs directory after `losetup -D`.
scratch
shopt -s nullglob
secs=${RLOOP_PART_RACE_SECONDS:-10}
ctl=$RLOOP_REPO/tools/vm/lib/loopctl.py
truncate -s 32M p0.img
# p1: 1 MiB .. 9 MiB, p2: 9 MiB .. the backup GPT.
printf 'label: gpt\nfirst-lba: 2048\n,8M,L\n,,L\n' | sfdisk -q p0.img
head -c 1M <(yes 'rloop partition data') >pat
mkdir -p /mnt/p

rules=/run/udev/rules.d/61-rloop-nowatch.rules
mkdir -p /run/udev/rules.d
on_exit "rm -f $rules; udevadm control --reload"
echo 'ACTION!="remove", SUBSYSTEM=="block", KERNEL=="loop*", OPTIONS+="nowatch"' >$rules
udevadm control --reload

# (Process start-up is slow under TCG: the helpers use bash built-ins.)
parts() { # DEV WHEN: the partitions of DEV, as nodes and in sysfs
	local n=${1#/dev/} nodes sys
	nodes=(/dev/"$n"p*)
	sys=(/sys/block/"$n"/"$n"p*)
	echo "$2: nodes [${nodes[*]##*/}] sysfs [${sys[*]##*/}]"
}

geometry() { # DEV: start and size of each partition, partscan flag
	local n=${1#/dev/} p start size ro ps=unbound
	for p in /sys/block/"$n"/"$n"p*; do
		read -r start <"$p/start"
		read -r size <"$p/size"
		read -r ro <"$p/ro"
		echo "  ${p##*/}: start $start size $size ro $ro"
	done
	[[ -e /sys/block/$n/loop/partscan ]] && read -r ps </sys/block/"$n"/loop/partscan
	echo "  loop/partscan $ps"
}

# uevents FILE CMD...: run CMD (its stdout goes to FILE.out) and settle,
# recording the kernel's block uevents in FILE, one line each: action, path
# and properties without SUBSYSTEM, SEQNUM and DISKSEQ, loopN for the device
# number.  A synthetic uevent on loop7 (tagged SYNTH_ARG_RLOOPMARK) marks
# the end, so nothing depends on how fast the monitor prints.
uevents() {
	local f=$1 mon i rc=0 mark lines
	shift
	rm -f "$f.raw"
	stdbuf -oL udevadm monitor --kernel --property --subsystem-match=block >"$f.raw" 2>&1 &
	mon=$!
	for ((i = 0; i < 100; i++)); do
		lines=()
		[[ -e $f.raw ]] && mapfile -t lines <"$f.raw"
		[[ ${lines[*]} == *"KERNEL - "* ]] && break
		sleep 0.1
	done
	"$@" >"$f.out" || rc=$?
	udevadm settle --timeout=30
	mark=$RANDOM$RANDOM
	echo "change 00000000-0000-0000-0000-000000000000 RLOOPMARK=$mark" >/sys/block/loop7/uevent
	for ((i = 0; ; i++)); do
		mapfile -t lines <"$f.raw"
		[[ ${lines[*]} == *"SYNTH_ARG_RLOOPMARK=$mark"* ]] && break
		((i < 300)) || { echo "uevent monitor: end marker not seen"; break; }
		sleep 0.1
	done
	kill "$mon"
	wait "$mon" 2>/dev/null || true
	awk '
		/^KERNEL\[/ { if (ev != "") print ev; ev = $2 " " $3; next }
		/^$/ { if (ev != "") print ev; ev = ""; next }
		ev != "" && /=/ && !/^(ACTION|DEVPATH|SUBSYSTEM|SEQNUM|DISKSEQ)=/ { ev = ev " " $0 }
		END { if (ev != "") print ev }
	' "$f.raw" | awk '!/loop7 |RLOOPMARK/ { gsub(/loop[0-9]+/, "loopN"); print }' >"$f"
	return "$rc"
}

# show_uevents FILE WHAT: the events, and how many are the disk change
# event of REQUIREMENTS 3.5 item 6 (no property beyond the device's own).
show_uevents() {
	local l plain=0 re='^change /devices/virtual/block/loopN( (MAJOR|MINOR|DEVNAME|DEVTYPE)=[^ ]*)+$'
	echo "$2 uevents:"
	while read -r l; do
		echo "  $l"
		if [[ $l =~ $re ]]; then plain=$((plain + 1)); fi
	done <"$1"
	echo "plain disk change uevents on $2: $plain"
}

same() { # WHAT FILE1 OFF1 FILE2 OFF2: 1 MiB at the byte offsets compared
	if cmp -s -n 1M -i "$3:$5" "$2" "$4"; then echo "$1: identical"; else echo "$1: DIFFERENT"; fi
}

transcript() {
	udevadm settle --timeout=30
	cp p0.img p.img
	local d n s1 s2 rc

	echo "== losetup -P"
	uevents bind.ev losetup -P -f --show p.img
	read -r d <bind.ev.out
	n=${d#/dev/}
	echo "bound: $d"
	parts "$d" "after bind"
	geometry "$d"
	show_uevents bind.ev "bind -P"
	read -r s1 </sys/block/"$n"/"$n"p1/start
	read -r s2 </sys/block/"$n"/"$n"p2/start
	dd if=pat of="${d}p1" bs=1M seek=1 oflag=direct conv=fsync status=none && echo "write 1 MiB at p1+1M: ok"
	dd if=pat of="${d}p2" bs=1M seek=3 oflag=direct conv=fsync status=none && echo "write 1 MiB at p2+3M: ok"
	same "image at p1 start + 1 MiB" p.img $(((s1 + 2048) * 512)) pat 0
	same "image at p2 start + 3 MiB" p.img $(((s2 + 6144) * 512)) pat 0
	same "read back through p1" "${d}p1" $((1 << 20)) pat 0
	same "read back through the disk" "$d" $(((s1 + 2048) * 512)) pat 0
	same "image from p1 start to p1+1M unchanged" p.img $((s1 * 512)) p0.img $((s1 * 512))
	dd if=pat of="${d}p1" bs=1M seek=8 count=1 oflag=direct status=none 2>&1 | sed 's/^dd: //'
	mkfs.ext4 -qF "${d}p2" && echo "mkfs.ext4 p2: ok"
	if mount "${d}p2" /mnt/p; then
		echo "mount p2: ok"
		echo hello >/mnt/p/f
		findmnt -n -o SOURCE,FSTYPE /mnt/p
		umount /mnt/p && echo "umount p2: ok"
	fi
	udevadm settle --timeout=30
	uevents unbind.ev losetup -d "$d"
	echo "detach: rc $?"
	parts "$d" "after losetup -d"
	show_uevents unbind.ev "unbind -P"
	same "image after detach, p1 data" p.img $(((s1 + 2048) * 512)) pat 0

	echo "== without -P"
	cp p0.img p.img
	uevents bind.ev losetup -f --show p.img
	read -r d <bind.ev.out
	parts "$d" "after bind"
	show_uevents bind.ev bind
	uevents unbind.ev losetup -d "$d"
	echo "detach: rc $?"
	show_uevents unbind.ev unbind
	uevents bind.ev losetup -r -f --show p.img
	read -r d <bind.ev.out
	show_uevents bind.ev "read-only bind"
	losetup -d "$d"
	d=$(losetup -f --show p.img)
	udevadm settle --timeout=30
	parts "$d" "after bind"
	geometry "$d"
	blockdev --rereadpt "$d" 2>&1 | sed 's/^blockdev: //'
	echo "BLKRRPART: rc ${PIPESTATUS[0]}"
	udevadm settle --timeout=30
	parts "$d" "after BLKRRPART"
	partx -a "$d"
	echo "partx -a: rc $?"
	udevadm settle --timeout=30
	parts "$d" "after partx -a"
	geometry "$d"
	same "read through p1 (BLKPG)" "${d}p1" 0 p.img $((2048 * 512))
	partx -d --nr 2 "$d"
	echo "partx -d --nr 2: rc $?"
	parts "$d" "after partx -d --nr 2"
	delpart "$d" 1
	echo "delpart 1: rc $?"
	parts "$d" "after delpart 1"
	addpart "$d" 3 4096 8192
	echo "addpart 3 4096 8192: rc $?"
	addpart "$d" 4 65000 8192 2>&1 | sed 's/^addpart: //'
	echo "addpart 4 beyond the end: rc ${PIPESTATUS[0]}"
	udevadm settle --timeout=30
	parts "$d" "after addpart"
	geometry "$d"
	losetup -d "$d"
	echo "detach: rc $?"
	udevadm settle --timeout=30
	parts "$d" "after losetup -d and settle"
	blockdev --getsize64 "$d"
	parts "$d" "after opening the unbound disk"

	echo "== LOOP_SET_STATUS64 with PARTSCAN"
	d=$(losetup -f --show p.img)
	n=${d#/dev/}
	udevadm settle --timeout=30
	parts "$d" "after bind"
	# Fd 4 keeps it open, so AUTOCLEAR does not clear it at loopctl's close.
	exec 4<"$d"
	python3 "$ctl" set-status "$d" 0 0 29 -- status "$d"
	udevadm settle --timeout=30
	parts "$d" "after SET_STATUS64 AUTOCLEAR|PARTSCAN|READ_ONLY|DIRECT_IO"
	geometry "$d"
	read -r rc </sys/block/"$n"/loop/autoclear
	echo "  loop/autoclear $rc"
	python3 "$ctl" set-status "$d" 0 0 0 -- status "$d"
	udevadm settle --timeout=30
	parts "$d" "after SET_STATUS64 flags 0"
	geometry "$d"
	read -r rc </sys/block/"$n"/loop/autoclear
	echo "  loop/autoclear $rc"
	exec 4<&-

	echo "== detach by LOOP_CLR_FD every 50 ms until ENXIO"
	python3 "$ctl" detach-poll "$d"
	parts "$d" "after detach-poll"
	udevadm settle --timeout=30
	echo "bound at the end: $(losetup -n -l | wc -l)"
}

r6() { # the R6 race on rloop; prints the counts
	local end=$((SECONDS + secs)) peak b bf k c cf
	truncate -s 8M r.img
	printf 'label: gpt\n,,L\n' | sfdisk -q r.img
	udevadm settle --timeout=30
	dmesg -C
	(
		b=0 bf=0 k=0
		while ((SECONDS < end)); do
			if losetup -P -f r.img 2>/dev/null; then b=$((b + 1)); else bf=$((bf + 1)); fi
			if blkid /dev/loop0p1 >/dev/null 2>&1; then k=$((k + 1)); fi
		done
		echo "$b $bf $k" >r6.binder
	) &
	local binder=$!
	(
		c=0 cf=0
		while ((SECONDS < end)); do
			if losetup -d /dev/loop0 2>/dev/null; then c=$((c + 1)); else cf=$((cf + 1)); fi
		done
		echo "$c $cf" >r6.detacher
	) &
	local detacher=$!
	wait "$binder" "$detacher"
	peak=$(losetup -n -l | wc -l)
	losetup -D
	udevadm settle --timeout=30
	read -r b bf k <r6.binder
	read -r c cf <r6.detacher
	echo "  R6 ${secs}s: $((b + bf)) binder rounds ($b bound, $bf failed; blkid found loop0p1 $k times), $((c + cf)) detach rounds ($c detached, $cf failed); devices bound at the end: $peak"
}

load_rloop
on_exit 'rmmod loop'
on_exit 'losetup -D'
on_exit 'umount /mnt/p'
transcript >rloop.txt 2>&1 || true
unload_loop
insmod "$RLOOP_CLOOP"
transcript >cloop.txt 2>&1 || true
unload_loop
# Every finding is collected, so R6 runs even when the transcript differs.
problems=()
sed 's/^/  /' rloop.txt
! grep -q 'marker not seen' rloop.txt cloop.txt || problems+=("the uevent monitor missed events")
if ! diff -u cloop.txt rloop.txt; then
	problems+=("rloop differs from the C loop.ko (- C, + rloop)")
fi
# REQUIREMENTS 3.5 item 6: one change uevent for the disk on bind and one on
# unbind.  The C loop.ko adds, in both directions, events with their own
# properties (the partition scan's, the unbind's DISK_MEDIA_CHANGE=1); the
# diff above covers those.  The plain event must come exactly once.
for w in bind unbind; do
	got=$(sed -n "s/^plain disk change uevents on $w: //p" rloop.txt)
	[[ $got == 1 ]] || problems+=("plain disk change uevents on $w: $got, want 1")
done

# R6, with udev's watch back on.
rm -f "$rules"
udevadm control --reload
load_rloop
secs=$(budget_secs "$secs" 1 10)
r6
stale=(/dev/loop[0-9]*p* /sys/block/loop*/loop*p*)
bad=$(dmesg | grep -E 'partition scan of loop[0-9]+ failed|Buffer I/O error on dev loop|I/O error' || true)
((${#stale[@]} == 0)) || problems+=("R6: stale partitions after losetup -D: ${stale[*]}")
[[ -z $bad ]] || problems+=("R6: kernel log: $bad")
unload_loop
if ((${#problems[@]})); then
	printf '  FAIL: %s\n' "${problems[@]}" >&2
	exit 1
fi
