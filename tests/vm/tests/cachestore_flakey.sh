#!/bin/bash
# vm: disks=cache:64M timeout=900
# A flaky cache device (issue 11): cachestore on dm-flakey.  Files A are
# read cold and warm and committed (sync -f) first.  Then, in each round,
# the device turns flaky while NFS reads A (warm) and new files (cold),
# writes a file, and test_fscache writes and reads back its own pattern:
#
#   1. up 3 s / down 1 s, every I/O failing while down;
#   2. up 2 s / down 1 s, writes failing while down (error_writes);
#   3. writes failing all the time, and the cache unbound in the middle of
#      it (its last commit and checkpoint fail).
#
# During a round every byte read (NFS and test_fscache) is right; an I/O
# error is allowed to take the cache offline (state error, io_errors).
# After it the faults are removed (the table goes back to linear), the cache
# is unbound and fsck -n must find it clean (a device that fails I/O
# loses no more than a power cut does: the journal holds the last commit);
# then it is bound again and A, committed before any fault, is served warm
# from the cache, whole and right, and so is test_fscache's data where it
# is still there (a miss otherwise, never other bytes).
#
# Not tested: drop_writes (a device that acknowledges writes it drops) and
# corrupt_bio_byte: cachestore checksums metadata only, so a data page that
# never reached the disk, or reached it garbled, would be served.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

S=/srv/export M=/mnt/nfs WINDOW=${FLAKEY_WINDOW:-8}

modprobe dm-flakey || fail "modprobe dm-flakey"
sectors=$(blockdev --getsz "$CS_DISK_CACHE")
dmsetup create --noudevsync csdev --table "0 $sectors linear $CS_DISK_CACHE 0" ||
	fail "dmsetup create"
dmsetup mknodes csdev
dev=/dev/mapper/csdev
# table TABLE-TAIL: switch csdev to "0 SECTORS TABLE-TAIL"
table() {
	dmsetup suspend --noudevsync --nolockfs csdev
	dmsetup load csdev --table "0 $sectors $*" || fail "dmsetup load $*"
	dmsetup resume --noudevsync csdev
	log "csdev: $(dmsetup table csdev)"
}
linear() { table linear "$CS_DISK_CACHE" 0; }
flakey() { table flakey "$CS_DISK_CACHE" 0 "$@"; }

nfs_server $S
for i in 1 2 3 4; do mkdata $S/a$i 1 $i; done
(cd $S && sha256sum a*) > /tmp/a.sums
head -c 3M /dev/urandom > /tmp/w
check() { (cd $M && sha256sum -c --quiet "$1") || fail "a file of $1 read wrong${2:+ ($2)}"; }
apages=$((4 * 256))

bind() {
	CS_NOFORMAT=${1:-1} cachestore_bind $dev /mnt/cache commit=200
	nfs_mount 3 $S $M
	tfs_ok vol_acquire tv key=test,flakey
	tfs_ok cookie_acquire t vol=tv key=t size=64m
	tfs_ok use t
}
unbind() {
	umount $M
	tfs_ok reset
	timeout 120 umount /mnt/cache || fail "unbind did not work"
	log "cache unbound"
}

# twrite N: test_fscache writes the 64 KiB at N * 64k (seed N); an I/O
# error or a cache gone offline may refuse it
declare -A tw	# N -> 1: the write of N succeeded
twrite() {
	if tfs_q write t off=$(($1 * 65536)) len=64k seed=$1; then
		tw[$1]=1
	elif [[ " ENOBUFS EIO ESTALE " != *" $(tfs_errno) "* ]]; then
		fail "test_fscache write $1: $TFS_REPLY"
	fi
}
# tread N: right bytes or a miss (ENODATA, ENOBUFS, EIO); never other bytes
tread() {
	tfs_q read t off=$(($1 * 65536)) len=64k seed=$1 hole=fail && return 0
	[[ " ENODATA ENOBUFS EIO ESTALE " == *" $(tfs_errno) "* ]] ||
		fail "test_fscache read $1: $TFS_REPLY"
	return 1
}

# verify_warm: after a rebind, A comes from the cache, whole and right
verify_warm() {
	local hit=0 n
	warm_read $M $apages check /tmp/a.sums "A after $1"
	for n in "${!tw[@]}"; do tread "$n" && hit=$((hit + 1)); done
	log "after $1: test_fscache: $hit of ${#tw[@]} written blocks still served"
}

TFS_VERBOSE=0
tfs_load
bind 0
cold_read $M $apages check /tmp/a.sums
n=0
for _ in $(seq 1 16); do twrite $n; tread $n || fail "read-back $n missed on a good device"; n=$((n + 1)); done
sync -f /mnt/cache
warm_read $M $apages check /tmp/a.sums
log "A committed: $(cs_stat /mnt/cache write_pages) pages written"

# round NAME FLAKEY-ARGS...: the workload on a flaky device, then the checks
round() {
	local name=$1 r=$2 i t0 pid rc=0
	shift 2
	for i in 1 2 3; do mkdata $S/b$r.$i 1 $((r * 10 + i)); done
	(cd $S && sha256sum b$r.*) > /tmp/b$r.sums
	flakey "$@"
	t0=$(date +%s)
	# NFS: A warm, B cold then warm, a file written and read back
	(
		cp /tmp/w $M/w$r || true
		while [ $(($(date +%s) - t0)) -lt "$WINDOW" ]; do
			drop_caches
			check /tmp/a.sums "$name"
			check /tmp/b$r.sums "$name"
			cmp /tmp/w $M/w$r || fail "w$r read wrong ($name)"
		done
	) > /tmp/nfs$r.log 2>&1 &
	pid=$!
	while [ $(($(date +%s) - t0)) -lt "$WINDOW" ]; do
		twrite $n
		tread $n || true
		tread $((RANDOM % (n + 1))) || true
		n=$((n + 1))
	done
	wait $pid || rc=$?
	cat /tmp/nfs$r.log
	[ $rc -eq 0 ] || fail "NFS under $name"
	grep -E '^(state|io_errors|commit_errors|write_pages|read_hit_pages)' /mnt/cache/stats
	dmesg | grep -E 'cachestore|I/O error' | tail -n 4
	[ "$(cs_stat /mnt/cache io_errors)" -gt 0 ] || fail "no I/O error seen under $name"
	[ "$(cs_stat /mnt/cache state)" = error ] || fail "the cache is still in service after I/O errors"
	[ "$(fscache_cache_state cachestore)" != A ] || fail "fscache lists the failed cache as active"
	linear
	unbind
	cs_fsck "$CS_DISK_CACHE"
	kernel_clean "$name"
	bind
	verify_warm "$name"
}

round "all I/O failing 1 s in 4" 1 3 1
round "writes failing 1 s in 3" 2 2 1 1 error_writes

# 3: unbind while every write fails; the device holds the last good commit
for _ in $(seq 1 8); do twrite $n; n=$((n + 1)); done
for i in 1 2 3; do mkdata $S/b3.$i 1 $((30 + i)); done
(cd $S && sha256sum b3.*) > /tmp/b3.sums
check /tmp/b3.sums "before the unbind under failing writes"
dmesg -C
flakey 0 1 1 error_writes
umount $M
tfs_ok reset
timeout 120 umount /mnt/cache || fail "unbind on a device failing writes did not return"
dmesg | grep -E 'cachestore' | tail -n 4
dmesg | grep -Eq 'cachestore cachestore: (I/O error|final checkpoint failed)' ||
	fail "the unbind met no I/O error"
linear
cs_fsck "$CS_DISK_CACHE"
kernel_clean "unbind under failing writes"
bind
verify_warm "unbind under failing writes"
check /tmp/b3.sums "after the unbind under failing writes"

unbind
dmsetup remove --noudevsync csdev
cs_fsck "$CS_DISK_CACHE"
tfs_unload
log ok
