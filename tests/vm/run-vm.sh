#!/bin/bash
# run-vm.sh - boot the target distro kernel under qemu (TCG) and run one test
# script inside it.  See "How the VM harness works" in README.md.
#
# KVER= picks the kernel (a release or a series: 6.1, 6.12; default the
# kernel of linux-headers-amd64), unpacked by `make deps` into
# $CACHE/kernel/KVER; the test finds our modules built for it (make
# KVER=...) in $BUILD/KVER ($CS_KOBJ inside).
#
# usage: run-vm.sh [options] SCRIPT [ARGS...]
#   --disk NAME=SIZE[/LBS]
#                        attach a new sparse virtio disk (SIZE as for truncate;
#                        LBS: logical and physical sector size, default 512);
#                        inside, $CS_DISK_<NAME> names its /dev/vdX
#   --share TAG[=DIR]    export host directory DIR (default: a new empty
#                        $OUT/TAG.share) as a writable 9p share with mount tag
#                        TAG; inside, $CS_SHARE_<TAG> is the tag (mount it
#                        with mount -t 9p -o trans=virtio,version=9p2000.L)
#   --boots N            boot N times with the same disks ($CS_BOOT = 1..N)
#   --timeout SEC        limit for the script in each boot (default 600)
#   --mem MB             guest memory (default 3072)
#   --smp N              guest CPUs (default 2)
#   --boot-deadline SEC  a boot that has not started the script after SEC
#                        seconds is stopped and booted again, once (default
#                        $CS_BOOT_DEADLINE or 300)
#   --out DIR            keep results in DIR (default: a new temp dir)
#   --host-prep FILE     before booting, run the bash script FILE on the
#                        host, with KVER, CS_REPO, CS_OUT (the results dir)
#                        and BUILD set; a failure fails the test.  The VM
#                        sees what it leaves under CS_OUT at the same path
#                        (the host's tree is the VM's lower root)
#   --expect-fail WHAT   harness self-tests: succeed only if the run fails for
#                        exactly the reason WHAT names: exit=N (the script
#                        exited N, the console is clean), warn:TEXT (the
#                        script exited 0 and the console shows a WARNING
#                        whose line has TEXT), oops:TEXT (the console shows
#                        an Oops or BUG whose first lines have TEXT),
#                        stall (both boots stopped by --boot-deadline, the
#                        script never ran), clockskew (the first boot, given
#                        a TSC of 100 MHz, was seen to keep time too fast and
#                        was booted again, and the second ran the script
#                        to exit 0 on a clean console)
#
# Environment: CS_QUICK=1 is passed to the script (tests at real geometry
# run smaller; tests/run-all.sh sets it for QUICK_KERNELS).  CS_DISK_CACHE is
# qemu's cache mode for the disks: by default O_DIRECT on the host file with
# the guest's flushes ignored (cache.direct=on,cache.no-flush=on), as with
# unsafe, which does not pass the guest's flushes on to the host file.  The disks are scratch images, and the
# tests cut power inside the VM (dm-log-writes, dm-flakey), never by losing
# the host's page cache; a host fdatasync per guest flush only made every
# commit slow (test_fscache creating 10,000 objects: 71 s, 33 s with unsafe).
# The benchmarks and the demo set writeback, so that a flush costs what it
# does on a disk with a volatile write cache.
#
# VM_CPU is qemu's -cpu model: by default "max,-erms,-fsrm", every feature
# TCG emulates (SMEP, SMAP, PKU, AVX2 ...) except ERMS and FSRM.  With those
# two the kernel copies memory with `rep movsb`, which TCG runs one byte per
# iteration: page cache and NFS copies then dominate.  Measured on 6.1
# (cachestore_nfs_basic and cachestore_smallfiles side by side): 241 s with
# max, 196 s without ERMS and FSRM, 184 s with qemu64 (which also drops
# SMAP and SMEP, guards worth keeping).  The model used is written to
# OUT/cpu.
#
# Exit status: the script's, or 1 when the console shows a kernel problem
# (BUG, WARNING, Oops, lockdep, hung task, RCU stall, Call Trace, KASAN), or
# 124 on timeout.  The console log, test log and dmesg stay in the out dir.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
KVER=$("$repo/scripts/kver.sh" ${KVER:+"$KVER"})
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cachestore}
BUILD=${BUILD:-$repo/build}
kimg="$CACHE/kernel/$KVER"

disks=() shares=() boots=1 timeout=600 mem=3072 smp=2 out="" expect=""
boot_deadline=${CS_BOOT_DEADLINE:-300}
while [ $# -gt 0 ]; do
	case $1 in
	--disk) disks+=("$2"); shift 2 ;;
	--share) shares+=("$2"); shift 2 ;;
	--boots) boots=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--boot-deadline) boot_deadline=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--expect-fail) expect=$2; shift 2 ;;
	--host-prep) host_prep=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) echo "run-vm.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "usage: run-vm.sh [options] SCRIPT [ARGS...]" >&2; exit 2; }
script=$1; shift
case $script in /*) ;; *) script="$PWD/$script" ;; esac
[ -f "$script" ] || { echo "run-vm.sh: no such script: $script" >&2; exit 2; }
[ -f "$kimg/.done" ] || { echo "run-vm.sh: VM kernel missing in $kimg: run 'make deps'" >&2; exit 2; }

if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/cachestore-vm.XXXXXX")
fi
mkdir -p "$out"
rm -f "$out"/rc.* "$out"/console.log "$out"/test.log "$out"/dmesg.*
cp "$script" "$out/script.sh"
if [ -n "${host_prep:-}" ]; then
	case $host_prep in /*) ;; *) host_prep="$(dirname "$script")/$host_prep" ;; esac
	out=$(cd "$out" && pwd)
	if ! KVER=$KVER CS_REPO=$repo CS_OUT=$out BUILD=$BUILD bash "$host_prep" > "$out/host-prep.log" 2>&1; then
		tail -n 20 "$out/host-prep.log" | sed 's/^/  /'
		echo "run-vm.sh: host preparation $host_prep failed (see $out/host-prep.log)" >&2
		echo "FAIL: host preparation ${host_prep##*/} failed" > "$out/test.log"
		exit 1
	fi
fi

# The initramfs and the extracted vmlinux are shared by every run on KVER;
# VM tests run side by side (run-all.sh's VM_JOBS), so one run at a time
# checks and rebuilds them.
mkdir -p "$CACHE"
exec 9> "$CACHE/prep-$KVER.lock"
flock 9

# --- initramfs: busybox + module chain, rebuilt when its inputs change -----
# Modules may be compressed (6.12: .ko.xz; busybox insmod gets them
# unpacked) or built in (6.12: virtio_pci, listed in modules.builtin: skipped).
mods=(virtio_pci virtio_blk 9pnet_virtio 9p overlay)
initrd="$CACHE/initramfs-$KVER.cpio.gz"
moddir="$kimg/lib/modules/$KVER"
dep="$moddir/modules.dep"
builtin="$moddir/modules.builtin"
stamp=$( { cat "$here/init" /bin/busybox "$dep"; cat "$builtin" 2>/dev/null || true
	   echo "mods ${mods[*]} unpacked"; } | md5sum | cut -c1-16)
if [ ! -f "$initrd" ] || [ "$(cat "$initrd.stamp" 2>/dev/null)" != "$stamp" ]; then
	tmp=$(mktemp -d)
	mkdir -p "$tmp"/{bin,mods,proc,sys,dev}
	cp /bin/busybox "$tmp/bin/busybox"
	cp "$here/init" "$tmp/init"
	order=()
	add() { # add MODPATH after its dependencies, once
		local p=$1 d
		for d in $(grep "^$p:" "$dep" | cut -d: -f2 | tr ' ' '\n' | tac); do
			add "$d"
		done
		case " ${order[*]-} " in *" $p "*) ;; *) order+=("$p") ;; esac
	}
	for m in "${mods[@]}"; do
		p=$(grep -E "/$m\.ko(\.(xz|zst|gz))?:" "$dep" | cut -d: -f1 || true)
		if [ -z "$p" ]; then
			grep -qE "/$m\.ko\$" "$builtin" 2>/dev/null && continue
			echo "run-vm.sh: module $m neither in modules.dep nor built in ($moddir)" >&2
			exit 2
		fi
		add "$p"
	done
	for p in "${order[@]}"; do
		f=${p##*/}
		case $f in
		*.ko.xz) xz -dc "$moddir/$p" > "$tmp/mods/${f%.xz}" ;;
		*.ko.zst) zstd -q -dc "$moddir/$p" > "$tmp/mods/${f%.zst}" ;;
		*.ko.gz) gzip -dc "$moddir/$p" > "$tmp/mods/${f%.gz}" ;;
		*) cp "$moddir/$p" "$tmp/mods/" ;;
		esac
		echo "${f%.ko*}.ko" >> "$tmp/mods/order"
	done
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$initrd.new"
	mv "$initrd.new" "$initrd"
	echo "$stamp" > "$initrd.stamp"
	rm -rf "$tmp"
fi

# --- kernel: the vmlinux inside the bzImage, booted through its PVH entry ----
# Under TCG the bzImage's own decompressor costs some 3 s a boot (xz on
# 6.1, zstd on 6.12).  The ELF vmlinux is extracted once (as the kernel's
# scripts/extract-vmlinux does) and qemu's -kernel boots it through its Xen
# PVH entry note (CONFIG_PVH, set in Debian's kernels): 9.5 -> 6.4 s for an
# empty test on 6.1.  A kernel without the note, or nothing to extract, boots
# from the bzImage.
kernel="$kimg/boot/vmlinuz-$KVER"
# extract_vmlinux BZIMAGE OUT: the first compressed stream in BZIMAGE that
# unpacks to an ELF file with the PVH entry note, into OUT
extract_vmlinux() {
	local img=$1 out=$2 spec off
	for spec in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		command -v "${spec%%:*}" >/dev/null || continue
		for off in $(LC_ALL=C grep -aboP "${spec#*:}" "$img" | cut -d: -f1); do
			# (trailing data after the stream makes the unpacker complain)
			tail -c +$((off + 1)) "$img" | "${spec%%:*}" -dc > "$out.$$" 2>/dev/null
			[ "$(head -c 4 "$out.$$" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
			# XEN_ELFNOTE_PHYS32_ENTRY (18): the PVH entry point
			readelf -n "$out.$$" 2>/dev/null | grep -q 'note type: (0x00000012)' || break
			mv "$out.$$" "$out"
			return 0
		done
	done
	rm -f "$out.$$"
	return 1
}
vmlinux="$CACHE/vmlinux-$KVER"
kstamp=$(md5sum < "$kernel" | cut -c1-16)
if [ "$(cat "$vmlinux.stamp" 2>/dev/null)" != "$kstamp" ]; then
	rm -f "$vmlinux"
	extract_vmlinux "$kernel" "$vmlinux" || true
	echo "$kstamp" > "$vmlinux.stamp"
fi
[ -f "$vmlinux" ] && kernel=$vmlinux
flock -u 9
exec 9>&-

# --- the guest's clock -------------------------------------------------------
# The guest keeps time with its TSC (clocksource=tsc; an HPET read is an MMIO
# exit under TCG).  qemu's TCG guest TSC is the host's TSC plus an offset,
# but the kernel calibrates its frequency at boot against the emulated PIT
# and HPET, and on a loaded host that can go wrong: in stop 23's CI one boot
# of some 340 (6.12, cachestore_ioerror) ran 554 s of guest time in 16 s of
# the host's, and the test's own timeout fired at once.  The host measures
# its TSC (tsc-khz.c, against CLOCK_MONOTONIC, which qemu's timers follow)
# and passes it as tsc_early_khz=, which the kernel uses instead of its
# calibration (its refinement a second later still checks it against the
# HPET).  A host without an invariant TSC gets nothing: the guest calibrates.
# A first boot whose clock still ran more than twice as fast as the host's
# is booted again, once, on new disks (clock_skew below); a later boot's
# skew is reported, since its disks hold what the earlier boots left.
tsc_khz=""
if grep -qw constant_tsc /proc/cpuinfo && grep -qw nonstop_tsc /proc/cpuinfo; then
	tsc_bin="$CACHE/tsc-khz"
	tsc_stamp=$(md5sum < "$here/tsc-khz.c" | cut -c1-16)
	if [ "$(cat "$tsc_bin.stamp" 2>/dev/null)" != "$tsc_stamp" ] || [ ! -x "$tsc_bin" ]; then
		gcc -O2 -Wall -o "$tsc_bin.$$" "$here/tsc-khz.c"
		mv "$tsc_bin.$$" "$tsc_bin"
		echo "$tsc_stamp" > "$tsc_bin.stamp"
	fi
	tsc_khz=$("$tsc_bin" || true)
fi
# clock_skew CONSOLE HOST_SECONDS: when the guest's clock ran more than twice
# as fast as the host's (with 10 s of slack), print the guest's last console
# timestamp and succeed
clock_skew() {
	awk -v host="$2" 'match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
			t = substr($0, RSTART + 1, RLENGTH - 2) + 0 }
		END { if (t > 2 * host + 10) { printf "%d\n", t; exit 0 } exit 1 }' "$1"
}

# --- disks ------------------------------------------------------------------
# The host's page cache is bypassed (O_DIRECT) but flushes are ignored, as
# with cache=unsafe: on a machine that hands freed memory back to its own
# host (free page reporting), every GiB that passes through the page cache
# afresh costs seconds, and the suite reads and writes many GiB of sparse
# images.  CS_DISK_CACHE=MODE picks a plain qemu cache mode instead.
case ${CS_DISK_CACHE:-direct-unsafe} in
direct-unsafe) cache_opts="cache.direct=on,cache.no-flush=on" ;;
*) cache_opts="cache=$CS_DISK_CACHE" ;;
esac
drive_args=() fresh_imgs=() letters=(a b c d e f g h i j k l m n o p)
i=0
disk_env=""
for d in ${disks[@]+"${disks[@]}"}; do
	name=${d%%=*} size=${d#*=} lbs=""
	case $size in */*) lbs=${size#*/} size=${size%/*} ;; esac
	case $lbs in ""|512|1024|2048|4096) ;; *) echo "run-vm.sh: --disk $d: sector size must be 512, 1024, 2048 or 4096" >&2; exit 2 ;; esac
	img="$out/$name.img"
	[ -f "$img" ] || truncate -s "$size" "$img"
	fresh_imgs+=("$img=$size")
	drive_args+=(-drive "file=$img,if=none,id=d$i,format=raw,$cache_opts,discard=unmap"
		     -device "virtio-blk-pci,drive=d$i,serial=$name${lbs:+,logical_block_size=$lbs,physical_block_size=$lbs}")
	disk_env+="export CS_DISK_${name^^}=/dev/vd${letters[$i]}"$'\n'
	i=$((i + 1))
done

# --- extra 9p shares -------------------------------------------------------
share_args=() fresh_shares=()
for sh in ${shares[@]+"${shares[@]}"}; do
	tag=${sh%%=*} dir=$out/${sh%%=*}.share
	case $sh in *=*) dir=${sh#*=} ;; *) fresh_shares+=("$dir") ;; esac
	case $tag in hostroot|results|""|*[!A-Za-z0-9_]*)
		echo "run-vm.sh: bad share tag '$tag'" >&2; exit 2 ;;
	esac
	mkdir -p "$dir"
	share_args+=(-virtfs "local,path=$(cd "$dir" && pwd),mount_tag=$tag,security_model=none,multidevs=remap")
	disk_env+="export CS_SHARE_${tag^^}=$tag"$'\n'
done

bad='BUG:|WARNING:|Oops|general protection fault|possible circular locking|hung_task|blocked for more than|rcu_sched self-detected stall|rcu: INFO|Call Trace|KASAN|Kernel panic'
# early_problem CONSOLE: a kernel problem shows before stage2 began (none
# of our code was loaded yet): under TCG, 6.12 now and then takes an int3
# Oops while it patches its own text, and the debug 6.1 kernel a KASAN
# report in an interrupt during identify_cpu()
early_problem() {
	awk -v re="$bad" 'index($0, "stage2: running") { exit 1 }
		$0 ~ re { found = 1; exit 0 }
		END { exit !found }' "$1"
}

vm_cpu=${VM_CPU:-max,-erms,-fsrm}
echo "$vm_cpu" > "$out/cpu"
rc=0 skewed=0
for boot in $(seq 1 "$boots"); do
	{
		echo "export CS_REPO='$repo' CS_KVER='$KVER' CS_KCACHE='$kimg' CS_KOBJ='$BUILD/$KVER'"
		echo "export CS_SCRIPT=/results/script.sh CS_SCRIPT_NAME='$script' CS_TIMEOUT='$timeout' CS_BOOT='$boot' CS_BOOTS='$boots'"
		echo "export CS_OUT='$(cd "$out" && pwd)'"
		printf 'export CS_ARGS=%q CS_QUICK=%q\n' "$*" "${CS_QUICK:-0}"
		printf '%s' "$disk_env"
	} > "$out/vm.env"
	# A kernel that reports a problem before the test began (none of our
	# code was loaded: see early_problem) is booted again, once.
	for attempt in 1 2; do
		cmdline="console=ttyS0 panic=-1 no_timer_check tsc=reliable clocksource=tsc"
		if [ "$expect" = clockskew ] && [ $attempt = 1 ]; then
			# the planted fault: a TSC taken to run at 100 MHz
			cmdline+=" tsc_early_khz=100000"
		elif [ -n "$tsc_khz" ]; then
			cmdline+=" tsc_early_khz=$tsc_khz"
		fi
		log_size=$(stat -c %s "$out/test.log" 2>/dev/null || echo 0)
		started_at=$SECONDS
		set +e
		timeout -k 10 $((timeout + 120)) qemu-system-x86_64 \
			-machine q35,accel=tcg -cpu "$vm_cpu" -smp "$smp" -m "$mem" \
			-nographic -vga none -no-reboot -nic none -monitor none \
			-serial "file:$out/console.$boot.log" \
			-kernel "$kernel" -initrd "$initrd" \
			-append "$cmdline" \
			-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
			-virtfs "local,path=$out,mount_tag=results,security_model=none,multidevs=remap" \
			${share_args[@]+"${share_args[@]}"} \
			${drive_args[@]+"${drive_args[@]}"} > "$out/qemu.$boot.log" 2>&1 &
		qpid=$!
		# A kernel problem often wedges the guest: once one shows on the
		# console, give the test 30 s to finish, then stop the VM.
		# A boot that has not reached stage2 after $boot_deadline s is
		# stuck (the debug kernel, under TCG, now and then stalls for
		# good in its RCU self tests): stop it and boot again, once.
		grace=-1 waited=0 started=0 stalled=0
		while kill -0 $qpid 2>/dev/null; do
			sleep 1
			waited=$((waited + 1))
			if [ $started = 0 ] && grep -q 'stage2: running' "$out/console.$boot.log" 2>/dev/null; then
				started=1
			elif [ $started = 0 ] && [ $waited -ge "$boot_deadline" ]; then
				echo "run-vm.sh: boot $boot: no test started after $boot_deadline s; stopping the VM" >&2
				stalled=1
				pkill -KILL -P $qpid 2>/dev/null
				kill -KILL $qpid 2>/dev/null
				break
			fi
			if [ $grace -lt 0 ] && grep -Eq "$bad" "$out/console.$boot.log" 2>/dev/null; then
				grace=30
			elif [ $grace -gt 0 ]; then
				grace=$((grace - 1))
			elif [ $grace -eq 0 ]; then
				echo "run-vm.sh: boot $boot: kernel problem on the console; stopping the VM" >&2
				pkill -KILL -P $qpid 2>/dev/null
				kill -KILL $qpid 2>/dev/null
				break
			fi
		done
		wait $qpid
		qrc=$?
		if [ $attempt = 1 ] && [ $stalled = 1 ]; then
			echo "run-vm.sh: boot $boot: booting again; the stalled console ends:" >&2
			tail -n 3 "$out/console.$boot.log" >&2
			mv "$out/console.$boot.log" "$out/console.$boot.stalled.log"
			continue
		fi
		if [ $attempt = 1 ] && [ $qrc -ne 124 ] &&
		   early_problem "$out/console.$boot.log"; then
			echo "run-vm.sh: boot $boot: the kernel reported a problem before the test began; booting again:" >&2
			grep -E -m 3 "$bad" "$out/console.$boot.log" >&2
			mv "$out/console.$boot.log" "$out/console.$boot.early.log"
			rm -f "$out/rc.$boot"
			continue
		fi
		host_s=$((SECONDS - started_at))
		if guest_s=$(clock_skew "$out/console.$boot.log" $host_s); then
			# Only the first boot is run again: its disks and
			# default shares are made new, as they were before it.
			# A later boot's disks hold what the earlier boots
			# left, which cannot be restored.
			if [ $attempt = 2 ] || [ "$boot" != 1 ]; then
				echo "run-vm.sh: boot $boot: the guest's clock ran $guest_s s in $host_s s of the host's: its timeouts expired early" >&2
				break
			fi
			echo "run-vm.sh: boot $boot: the guest's clock ran $guest_s s in $host_s s of the host's (TSC miscalibrated); booting again" >&2
			for f in ${fresh_imgs[@]+"${fresh_imgs[@]}"}; do
				truncate -s 0 "${f%=*}"
				truncate -s "${f##*=}" "${f%=*}"
			done
			for f in ${fresh_shares[@]+"${fresh_shares[@]}"}; do
				find "$f" -mindepth 1 -delete
			done
			mv "$out/console.$boot.log" "$out/console.$boot.skewed.log"
			if [ -f "$out/test.log" ]; then
				tail -c +$((log_size + 1)) "$out/test.log" > "$out/test.$boot.skewed.log"
				truncate -s "$log_size" "$out/test.log"
			fi
			rm -f "$out/rc.$boot"
			skewed=1
			continue
		fi
		break
	done
	set -e
	cat "$out/console.$boot.log" >> "$out/console.log"
	if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
		echo "run-vm.sh: boot $boot: VM timed out" >&2
		rc=124
	elif [ -f "$out/rc.$boot" ]; then
		brc=$(cat "$out/rc.$boot")
		script_rc=$brc
		[ "$brc" = 0 ] || { echo "run-vm.sh: boot $boot: script exited $brc" >&2; rc=$brc; }
	else
		echo "run-vm.sh: boot $boot: no exit status from the VM (qemu $qrc)" >&2
		rc=1
	fi
	[ $rc -eq 0 ] || break
done

if grep -Eq "$bad" "$out/console.log"; then
	echo "run-vm.sh: kernel problem on the console:" >&2
	grep -En -m 10 "$bad" "$out/console.log" >&2
	[ $rc -ne 0 ] || rc=1
fi
if [ -n "$expect" ]; then
	# A self-test passes only when the run failed for the planted reason.
	clean=1
	grep -Eq "$bad" "$out/console.log" && clean=0
	case $expect in
	exit=*)
		[ "${script_rc:-}" = "${expect#exit=}" ] && [ $clean = 1 ] && exit 0 ;;
	warn:*)
		[ "${script_rc:-}" = 0 ] &&
			grep -q "WARNING:.*${expect#warn:}" "$out/console.log" && exit 0 ;;
	clockskew)
		[ "${script_rc:-}" = 0 ] && [ $clean = 1 ] && [ "$rc" = 0 ] &&
			[ "${skewed:-0}" = 1 ] && [ -f "$out/console.1.skewed.log" ] && exit 0 ;;
	stall)
		[ -z "${script_rc:-}" ] && [ "$rc" = 124 ] &&
			[ -f "$out/console.1.stalled.log" ] && [ "${stalled:-0}" = 1 ] && exit 0 ;;
	oops:*)
		# (6.12 puts a Tainted: line before RIP: 8 lines cover both kernels)
		grep -A 8 -E 'Oops|BUG:' "$out/console.log" | grep -q "${expect#oops:}" && exit 0 ;;
	*)
		echo "run-vm.sh: --expect-fail takes exit=N, warn:TEXT, oops:TEXT, stall or clockskew" >&2
		exit 2 ;;
	esac
	echo "run-vm.sh: expected a failure by $expect; got exit status ${script_rc:-none}, console $([ $clean = 1 ] && echo clean || echo 'with a kernel problem')" >&2
	exit 1
fi
exit $rc
