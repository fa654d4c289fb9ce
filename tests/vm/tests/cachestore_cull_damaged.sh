#!/bin/bash
# vm: disks=cache:64M timeout=600
# Culling on damaged metadata (data-safety defect 9): every object of this
# cache is on the LRU list but in no index bucket its record names, so no
# victim can be deleted.  Before the fix, cachestore_cull() skipped each
# failed victim and picked the same ones again for ever, holding the cache
# mutex (a hung commit worker).  Now the first inconsistent victim drops
# the running transaction and takes the cache offline with a message; reads
# miss, unbind works, fsck finds and repairs the damage, and the repaired
# cache binds and serves again.
. "$CS_REPO/tests/vm/lib.sh"
MKIMAGE=$CS_REPO/build/tests/tools/mkimage
FSCK=$CS_REPO/build/bin/fsck.cachestore

img=/tmp/cache.img
"$CS_REPO/build/bin/mkcachestore" -q -f -N 48 -s 64M "$img" || fail "mkcachestore"
"$MKIMAGE" build "$img" 40 > /tmp/objs || fail "mkimage build"
for id in $(awk '$1 == "obj" { print $2 }' /tmp/objs); do
	"$MKIMAGE" plant "$img" unindexed "$id" > /dev/null || fail "plant $id"
done
dd if="$img" of="$CS_DISK_CACHE" bs=1M conv=fsync status=none || fail "dd"
rc=0; "$FSCK" -n "$CS_DISK_CACHE" > /tmp/fsck.out || rc=$?
[ $rc -eq 4 ] && grep -q 'cookie index errors' /tmp/fsck.out ||
	{ cat /tmp/fsck.out; fail "fsck -n did not report the planted index damage (exit $rc)"; }

# 40 of 99 object slots used is below cull=89: culling starts at bind, so
# the cache may be offline before mount returns (cachestore_bind would
# check that it is active).
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
mkdir -p /mnt/cache
mount -t cachestore -o cull=89,run=90,commit=3000 "$CS_DISK_CACHE" /mnt/cache ||
	fail "mount -t cachestore $CS_DISK_CACHE"
for _ in $(seq 1 100); do
	grep -q 'culling an object failed' <(dmesg) && break
	sleep 0.2
done
dmesg | grep -E 'cachestore' | tail -5
dmesg | grep -q 'cachestore cachestore: culling an object failed with error -2: running transaction dropped, cache taken offline' ||
	fail "no offline message for the undeletable victim"
grep -q '^state: error' /mnt/cache/stats || { cat /mnt/cache/stats; fail "cache not marked in error"; }
[ "$(fscache_cache_state cachestore)" = E ] || fail "fscache does not list the cache as failed"

# A read through the failed cache misses and reads the server's bytes.
nfs_server /srv/export
mkdata /srv/export/f 2 7
want=$(sum /srv/export/f)
nfs_mount 3 /srv/export /mnt/nfs
got=$(sha256sum < /mnt/nfs/f) || fail "reading through the failed cache: error"
[ "${got%% *}" = "$want" ] || fail "wrong bytes through the failed cache"
umount /mnt/nfs
timeout 120 umount /mnt/cache || fail "unbind of the failed cache"
kernel_clean "cull on damaged metadata"

rc=0; "$FSCK" -y "$CS_DISK_CACHE" > /tmp/fsck.out || rc=$?
[ $rc -eq 1 ] || { cat /tmp/fsck.out; fail "fsck -y exited $rc, not 1 (repaired)"; }
cs_fsck "$CS_DISK_CACHE"
CS_NOFORMAT=1 cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_mount 3 /srv/export /mnt/nfs
verify /mnt/nfs/f "$want"
drop_caches
verify /mnt/nfs/f "$want"
umount /mnt/nfs
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
log ok
