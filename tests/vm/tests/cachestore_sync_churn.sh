#!/bin/bash
# vm: disks=cache:48M timeout=900 smp=2
# One commit at a time (data-safety defect 1): `sync` on the cache runs
# ->sync_fs, which commits; so does the commit worker every interval.  Two
# commits at once flip the I/O era and release held frees out of order, so
# a block freed under an in-flight write can be reused and then overwritten
# by that write: another object's bytes in a present page.
#
# Here a sync loop runs while test_fscache's stress writes, reads back and
# verifies 400 cookies with churn and an invalidation every 5 ms, and NFS
# reads 64 MiB through the 48 MiB cache (so the kernel culls), all at once.
# The cache sits on dm-delay with reads delayed by 30 ms and writes not, so a
# read aimed at a block that is freed, released early and rewritten for
# another object lands after that write: the reader would get foreign bytes.
# Every byte read back must be right, no kernel warning, and fsck clean.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

modprobe dm-delay
sectors=$(blockdev --getsz "$CS_DISK_CACHE")
dmsetup create --noudevsync csdelay --table \
	"0 $sectors delay $CS_DISK_CACHE 0 30 $CS_DISK_CACHE 0 0" || fail "dmsetup create"
dmsetup mknodes csdelay
dev=/dev/mapper/csdelay
cachestore_bind $dev /mnt/cache commit=50
nfs_server /srv/export
for i in $(seq 1 16); do mkdata /srv/export/f$i 4 $i; done
(cd /srv/export && sha256sum f*) > /tmp/sums
nfs_mount 3 /srv/export /mnt/nfs

TFS_VERBOSE=0 tfs_load
tfs_ok vol_acquire v1 key=test,churn

( while :; do sync -f /mnt/cache; sync; done ) &
syncer=$!
( for round in 1 2 3; do
	for i in $(seq 1 16); do
		(cd /mnt/nfs && sha256sum -c --quiet <(grep " f$i\$" /tmp/sums)) ||
			{ echo "NFS f$i read wrong (round $round)"; exit 1; }
	done
	drop_caches
  done ) > /tmp/nfs.log 2>&1 &
reader=$!

tfs_q stress vol=v1 id=s threads=4 cookies=400 ops=6 len=64k span=4 async=1 \
	churn=1 inval_ms=5 secs=120 seed=11 || true
reply=$TFS_REPLY
log "stress: $reply"
rc=0
wait "$reader" || rc=$?
kill "$syncer"; wait "$syncer" 2>/dev/null || true
cat /tmp/nfs.log
[ $rc -eq 0 ] || fail "NFS reads under sync churn were wrong"
[[ $reply == ok* ]] || fail "stress under sync churn: $reply"
pass=$(sed -E 's/.* pass=([0-9]+).*/\1/' <<< "$reply")
[ "$pass" -gt 100 ] || fail "stress verified only $pass rounds"
grep -E 'culls|commits|invalidates' /mnt/cache/stats
[ "$(cs_stat /mnt/cache commits)" -gt 20 ] || fail "too few commits to race"
kernel_clean "sync churn"

tfs_unload
umount /mnt/nfs
cachestore_unbind /mnt/cache
dmsetup remove --noudevsync csdelay
cs_fsck "$CS_DISK_CACHE"
log ok
