#!/bin/bash
# nfs.sh KEY=VALUE... - the NFS benchmark suite, inside the VM
# (scripts/bench.sh boots it; see Documentation/filesystems/caching/benchmarks.rst).
#
# Keys (all given by bench.sh): reps, profiles (comma-separated names from
# the table below), configs (comma-separated: nocache, cachefiles,
# cachestore), mib (the large file), warm_mib, runtime (seconds of each
# random-read job), nfiles (16 KiB small files), par_mib (each of the 8
# concurrent readers' files), cull_cache_mib (the small caches of the cull
# workload; its data set is twice that), cull_file_mib, nfsvers.
#
# The NFS server exports ext4 on its own disk over loopback; the client
# mounts it once per configuration (nosharecache) and reads it with the
# fio job files in tests/vm/bench/jobs through the kernel NFS client
# (buffered I/O, psync): never fio's ioengine=nfs, which bypasses fscache.
# Per repetition: the references (a local ext4 file on the same kind of
# virtio disk after drop_caches, and the raw device with O_DIRECT), then
# for each network profile (tc netem on lo) each configuration with a
# freshly formatted cache, in this order after a warm-up pass:
#   seq-cold     sequential read of the large file (the cache fills)
#   seq-warm     the same after drop_caches (from the cache on disk)
#   seq-rebind   the same after unmounting NFS, unbinding the cache and
#                binding it again (proves the disk, not RAM)
#   rand4k, rand64k   random reads in the large file, warm
#   small-cold, small-warm   NFILES files of 16 KiB
#   par8-cold, par8-warm     8 concurrent readers on different files
#   cull         a data set twice the size of a small cache, read a second
#                time (the first pass fills the cache; the second reads
#                while the cache culls)
# Each measurement writes fio's JSON output to /results/fio/ and one line
# to /results/bench.tsv (the host's report.py reads both; no python under
# TCG between measurements):
#   rep profile config workload fio_json wall_s cpu_s dev_read_bytes server_read_bytes
# wall_s: the fio process's (its start-up and, for small files, its stat of
# every file included; report.py takes MiB/s from fio's own figure); cpu_s: the VM's busy CPU time in the window
# (/proc/stat: user+nice+system+irq+softirq+steal, both CPUs, the NFS
# server's included), for cold passes until netfs's asynchronous cache
# writes are done; dev_read_bytes: bytes read from the cache device (the
# local or raw disk for the references; -1 without a device); server_read:
# NFS's server_read bytes (-1 outside NFS).  Nothing here asserts speed;
# every file's bytes are verified by checksum after each configuration.
# shellcheck source=tests/vm/lib.sh
. "$CS_REPO/tests/vm/lib.sh"

reps=1 profiles=1g configs=nocache,cachefiles,cachestore mib=64 warm_mib=16
runtime=10 nfiles=500 par_mib=8 cull_cache_mib=48 cull_file_mib=4 nfsvers=3
for a in "$@"; do
	case ${a%%=*} in
	reps|profiles|configs|mib|warm_mib|runtime|nfiles|par_mib|cull_cache_mib|cull_file_mib|nfsvers)
		printf -v "${a%%=*}" '%s' "${a#*=}" ;;
	*) fail "nfs.sh: unknown argument $a" ;;
	esac
done
JOBS=$CS_REPO/tests/vm/bench/jobs
TSV=/results/bench.tsv
EXP=/srv/export
hz=$(getconf CLK_TCK)
: > "$TSV"
mkdir -p /results/fio

# profile NAME: "DELAY_MS RATE" for netem on lo (the delay applies in each
# direction: the round trip is twice it); "none" has no qdisc
profile() {
	case $1 in
	none) echo "" ;;
	1g) echo "0.2 1gbit" ;;
	100m) echo "5 100mbit" ;;
	wan) echo "50 50mbit" ;;
	*) fail "unknown network profile $1 (none, 1g, 100m, wan)" ;;
	esac
}
for p in ${profiles//,/ }; do profile "$p" > /dev/null; done

busy_ticks() {
	local u n s irq sirq st
	read -r _ u n s _ _ irq sirq st _ < /proc/stat
	echo $((u + n + s + irq + sirq + st))
}
now_us() { echo "${EPOCHREALTIME/./}"; }
dev_read() { # DEV: bytes read from it since boot, -1 without one
	if [ -n "$1" ]; then echo $(($(blk_stat "$1" read_sectors) * 512)); else echo -1; fi
}
srv_read() { # MNT: NFS server_read bytes of the mount, -1 outside NFS
	if [ -n "$1" ]; then nfs_bytes "$1" server_read; else echo -1; fi
}

# measure REP PROFILE CONFIG WORKLOAD DEV MNT SETTLE JOB [VAR=VALUE...]:
# drop caches, run fio with JOB (environment VAR=VALUE), append a line to
# $TSV.  DEV: the device whose reads are counted (may be empty), MNT: the NFS
# mount (may be empty), SETTLE=1: wait for netfs's cache writes before the
# CPU window closes (cold passes).
measure() {
	local rep=$1 prof=$2 cfg=$3 wl=$4 dev=$5 mnt=$6 settle=$7 job=$8
	shift 8
	local b0 b1 t0 t1 d0 d1 s0 s1 wall json
	json=fio/$rep-$prof-$cfg-$wl.json
	drop_caches
	b0=$(busy_ticks) d0=$(dev_read "$dev") s0=$(srv_read "$mnt")
	t0=$(now_us)
	env "$@" fio --readonly --output-format=json --output="/results/$json" "$JOBS/$job" ||
		fail "fio $job ($cfg $wl) failed"
	t1=$(now_us)
	[ "$settle" = 1 ] && netfs_settle
	b1=$(busy_ticks) d1=$(dev_read "$dev") s1=$(srv_read "$mnt")
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$prof" "$cfg" "$wl" "$json" \
		"$wall" "$(awk -v t=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')" \
		"$([ "$d0" -ge 0 ] && echo $((d1 - d0)) || echo -1)" \
		"$([ "$s0" -ge 0 ] && echo $((s1 - s0)) || echo -1)" >> "$TSV"
	log "rep $rep $prof $cfg $wl: $wall s"
}

# --- the data ------------------------------------------------------------------
# The export and the local reference hold the same files: warmup (warm_mib),
# data (mib), wsmall/ (16 small files for the warm-up), small/ (nfiles of
# 16 KiB), par/par.0..7 (par_mib each), cull/ (2 * cull_cache_mib in files
# of cull_file_mib).  Small files are cut from one file with split: one
# process, not one per file.
log "making the data: large file $mib MiB, $nfiles small files, 8 x $par_mib MiB, cull set $((2 * cull_cache_mib)) MiB"
nfs_server "$EXP" "$CS_DISK_EXPORT"
mkdata "$EXP/warmup" "$warm_mib" 7
mkdata "$EXP/data" "$mib" 8
mkdir -p "$EXP/wsmall" "$EXP/small" "$EXP/par" "$EXP/cull"
split -b 16k -a 6 -d <(head -c $((16 * 16384)) "$EXP/warmup") "$EXP/wsmall/f"
mkdata /tmp/small.src $(((nfiles * 16 + 1023) / 1024)) 9
head -c $((nfiles * 16384)) /tmp/small.src | split -b 16k -a 6 -d - "$EXP/small/f"
rm -f /tmp/small.src
for i in 0 1 2 3 4 5 6 7; do mkdata "$EXP/par/par.$i" "$par_mib" $((20 + i)); done
mkdata /tmp/cull.src $((2 * cull_cache_mib)) 11
split -b "${cull_file_mib}M" -a 4 -d /tmp/cull.src "$EXP/cull/c"
rm -f /tmp/cull.src
[ "$(find "$EXP/small" -type f | wc -l)" -eq "$nfiles" ] || fail "expected $nfiles small files"
(cd "$EXP" && find . -type f ! -name lost+found -print0 | sort -z | xargs -0 sha256sum) > /tmp/sums
log "data made: $(du -sm "$EXP" | cut -f1) MiB"

# the local ext4 reference: the same files on a disk of its own
mkfs.ext4 -q -F "$CS_DISK_LOCAL"
mkdir -p /mnt/local
mount "$CS_DISK_LOCAL" /mnt/local
cp -a "$EXP/." /mnt/local/
sync
# the raw reference: the large file's bytes at the start of a disk
dd if="$EXP/data" of="$CS_DISK_RAW" bs=1M oflag=direct status=none
sync

# verify_all MNT: every file's checksum
verify_all() {
	(cd "$1" && sha256sum --quiet -c /tmp/sums) || fail "checksum mismatch under $1"
	log "checksums ok under $1"
}
# same_as_local MNT: every file under MNT byte for byte the same as the
# local copy, which verify_all checks against the export's checksums at the
# end (no fio job writes).  A byte compare, because sha256 of every byte
# under TCG took 84 s of each configuration's run.
same_as_local() {
	diff -rq -x lost+found "$1" /mnt/local > /tmp/diff.out 2>&1 ||
		{ head -n 5 /tmp/diff.out; fail "under $1, files differ from the local copy"; }
	log "every file under $1 the same as the local copy"
}

# warm-up: TCG translates code on first use; read some data twice through
# the path under test (cold, then warm) before measuring
warmup() { # MNT
	local i
	for i in 1 2; do
		drop_caches
		FILE=$1/warmup DIR=$1/wsmall fio --readonly --output=/dev/null "$JOBS/warmup.fio" ||
			fail "warm-up"
		netfs_settle
	done
}

# --- references -----------------------------------------------------------------
references() { # REP
	local r=$1 l=/mnt/local dev=${CS_DISK_LOCAL#/dev/}
	warmup $l
	measure "$r" - local seq "$dev" "" 0 seq.fio FILE=$l/data
	measure "$r" - local rand4k "$dev" "" 0 rand4k.fio FILE=$l/data RUNTIME="$runtime"
	measure "$r" - local rand64k "$dev" "" 0 rand64k.fio FILE=$l/data RUNTIME="$runtime"
	measure "$r" - local small "$dev" "" 0 small.fio DIR=$l/small
	measure "$r" - local par8 "$dev" "" 0 par8.fio DIR=$l/par PAR_MIB="$par_mib"
	measure "$r" - local cull "$dev" "" 0 cull.fio DIR=$l/cull
	dev=${CS_DISK_RAW#/dev/}
	measure "$r" - raw seq "$dev" "" 0 raw.fio DEV="$CS_DISK_RAW" RW=read BS=1M SIZE="${mib}M" RUNTIME="$runtime"
	measure "$r" - raw rand4k "$dev" "" 0 raw.fio DEV="$CS_DISK_RAW" RW=randread BS=4k SIZE="${mib}M" RUNTIME="$runtime"
	measure "$r" - raw rand64k "$dev" "" 0 raw.fio DEV="$CS_DISK_RAW" RW=randread BS=64k SIZE="${mib}M" RUNTIME="$runtime"
}

# --- the caches ------------------------------------------------------------------
# bind CONFIG DISK [FILES]: a freshly formatted cache of that kind on DISK
# (nothing for nocache); rebind CONFIG DISK: unbind it and bind it again as
# it is on disk
CS_MNT=/mnt/cstore
bind() {
	case $1 in
	nocache) ;;
	cachefiles) cachefiles_bind "$2" ;;
	cachestore)
		rm -f "/tmp/.cs-formatted-${2##*/}"
		CS_MKFS_OPTS="-N $(cs_objects "$2" "${3:-8}")" cachestore_bind "$2" $CS_MNT ;;
	esac
}
unbind() {
	case $1 in
	nocache) ;;
	cachefiles) cachefiles_unbind ;;
	cachestore) cachestore_unbind $CS_MNT ;;
	esac
}
rebind() {
	local i
	case $1 in
	nocache) ;;
	cachefiles)
		cachefiles_unbind
		mount -o user_xattr "$2" /var/cache/fscache
		cachefilesd_start /tmp/cachefilesd.conf
		for i in $(seq 50); do
			grep -q vmcache /proc/fs/fscache/caches && break
			sleep 0.1
		done
		grep -q vmcache /proc/fs/fscache/caches || fail "cachefiles did not bind again"
		log "cachefiles bound again on $2"
		;;
	cachestore)
		cachestore_unbind $CS_MNT
		cachestore_bind "$2" $CS_MNT ;;
	esac
}
# cs_objects DISK FILES: object slots for mkcachestore -N: its default (one
# per 64 KiB) or twice FILES plus some, whichever is more
cs_objects() {
	local d n
	d=$(($(blockdev --getsize64 "$1") / 65536))
	n=$((2 * $2 + 256))
	echo $((d > n ? d : n))
}
mount_nfs() { # CONFIG MNT
	if [ "$1" = nocache ]; then
		mkdir -p "$2"
		mount -t nfs -o "vers=$nfsvers,nosharecache" "127.0.0.1:$EXP" "$2" || fail "mount nfs"
	else
		nfs_mount "$nfsvers" "$EXP" "$2" nosharecache
	fi
}
umount_nfs() { netfs_settle; umount "$1" || fail "umount $1"; }

run_config() { # REP PROFILE CONFIG
	local r=$1 p=$2 c=$3 m=/mnt/nfs-$3 disk="" sdisk="" dev=""
	case $c in
	cachefiles) disk=$CS_DISK_FSC sdisk=$CS_DISK_FSCS ;;
	cachestore) disk=$CS_DISK_CS sdisk=$CS_DISK_CSS ;;
	nocache) ;;
	*) fail "unknown configuration $c" ;;
	esac
	dev=${disk#/dev/}
	bind "$c" "$disk" $((nfiles + 16 + 8 + 2))
	mount_nfs "$c" "$m"
	warmup "$m"
	measure "$r" "$p" "$c" seq-cold "$dev" "$m" 1 seq.fio FILE="$m/data"
	measure "$r" "$p" "$c" seq-warm "$dev" "$m" 0 seq.fio FILE="$m/data"
	umount_nfs "$m"
	rebind "$c" "$disk"
	mount_nfs "$c" "$m"
	measure "$r" "$p" "$c" seq-rebind "$dev" "$m" 0 seq.fio FILE="$m/data"
	measure "$r" "$p" "$c" rand4k "$dev" "$m" 0 rand4k.fio FILE="$m/data" RUNTIME="$runtime"
	measure "$r" "$p" "$c" rand64k "$dev" "$m" 0 rand64k.fio FILE="$m/data" RUNTIME="$runtime"
	measure "$r" "$p" "$c" small-cold "$dev" "$m" 1 small.fio DIR="$m/small"
	measure "$r" "$p" "$c" small-warm "$dev" "$m" 0 small.fio DIR="$m/small"
	measure "$r" "$p" "$c" par8-cold "$dev" "$m" 1 par8.fio DIR="$m/par" PAR_MIB="$par_mib"
	measure "$r" "$p" "$c" par8-warm "$dev" "$m" 0 par8.fio DIR="$m/par" PAR_MIB="$par_mib"
	drop_caches
	same_as_local "$m"
	[ "$c" = cachestore ] && grep -E '^(objects_live|blocks_free|blocks_data|hits|misses|culls):' $CS_MNT/stats | tr '\n' ' ' && echo
	umount_nfs "$m"
	unbind "$c"
	# reading while culling: a cache half the size of the data set
	dev=${sdisk#/dev/}
	bind "$c" "$sdisk"
	mount_nfs "$c" "$m"
	drop_caches
	DIR=$m/cull fio --readonly --output=/dev/null "$JOBS/cull.fio" || fail "cull: first pass"
	netfs_settle
	measure "$r" "$p" "$c" cull "$dev" "$m" 1 cull.fio DIR="$m/cull"
	[ "$c" = cachestore ] && grep -E '^(objects_live|blocks_free|blocks_data|culls):' $CS_MNT/stats | tr '\n' ' ' && echo
	umount_nfs "$m"
	unbind "$c"
	kernel_clean "$c"
}

log "bench: kernel $(uname -r), reps $reps, profiles $profiles, configs $configs"
for ((r = 1; r <= reps; r++)); do
	references "$r"
	for p in ${profiles//,/ }; do
		read -r delay rate <<< "$(profile "$p")"
		if [ -n "$delay" ]; then netem "$delay" "$rate"; else netem_off; fi
		for c in ${configs//,/ }; do
			run_config "$r" "$p" "$c"
		done
		netem_off
	done
done
verify_all /mnt/local
log ok
