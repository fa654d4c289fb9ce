#!/bin/bash
# vm: disks=big:1T,mid:64G timeout=1800 mem=4096
# Real geometry, two caches at once: a 1 TiB sparse disk with the largest
# journal mkcachestore allows (4 GiB; every data block lies past 9 GiB) and
# a 64 GiB disk with the default journal, both bound.  NFS (the default
# cache: the first bound) reads cold and warm through the 1 TiB cache;
# test_fscache (cache=mid) writes, reads back and verifies 100,000 objects
# (STRESS_COOKIES; 10,000 with CS_QUICK=1) on the 64 GiB cache, and objects
# at file offsets past 4 GiB and at the 16 TiB limit.  Unbinding the 64 GiB cache leaves the 1 TiB one serving,
# warm from its disk after a rebind (its /sys/block/DEV/stat read sectors
# rise).  Eviction by hand ("all" through sysfs) then empties the 64 GiB
# cache of its 100,000 objects: every one deleted and counted, every block
# free again, in a walk that reads the object table only up to its
# high-water mark.  fsck is clean on the 64 GiB cache after all that.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
MKFS=$CS_REPO/build/bin/mkcachestore
# (CS_QUICK=1, make check's second kernel: 10,000; the 100,000 object run is
# the default kernel's)
cookies=${STRESS_COOKIES:-$([ "${CS_QUICK:-0}" = 1 ] && echo 10000 || echo 100000)}

"$MKFS" -q -f -J 4G -L big "$CS_DISK_BIG" || fail "mkcachestore 1 TiB"
"$MKFS" -q -f -L mid "$CS_DISK_MID" || fail "mkcachestore 64 GiB"
CS_NOFORMAT=1 cachestore_bind "$CS_DISK_BIG" /mnt/big
CS_NOFORMAT=1 cachestore_bind "$CS_DISK_MID" /mnt/mid
# NFS caches on the first bound, the 1 TiB one: on 6.12, which has no NFS
# fsc: counters, the helpers count that cache device's I/O (cachestore_bind
# left the last one bound, the 64 GiB disk, in CS_CACHE_DEV)
CS_CACHE_DEV=$CS_DISK_BIG
grep -E '^(tag|blocks_data|objects_max|journal_blocks):' /mnt/big/stats /mnt/mid/stats

nfs_server /srv/export
mkdata /srv/export/f 32 3
want=$(sum /srv/export/f)
nfs_mount 3 /srv/export /mnt/nfs
np=$(pages /srv/export/f)
cold_read /mnt/nfs "$np" verify /mnt/nfs/f "$want"
sync -f /mnt/big
warm_read /mnt/nfs "$np" verify /mnt/nfs/f "$want"
[ "$(cs_stat /mnt/big read_hit_pages)" -ge "$np" ] || fail "NFS was not served by the 1 TiB cache"
[ "$(cs_stat /mnt/mid read_hit_pages)" -eq 0 ] || fail "NFS read from the 64 GiB cache"

TFS_VERBOSE=0 tfs_load
tfs_ok vol_acquire vm key=test,geometry cache=mid
# file offsets past 4 GiB (page index over 2^20) and the last granule of
# the largest object (16 TiB, page index 2^32 - 1); past it, a clean error
tfs_ok cookie_acquire far vol=vm key=str:far size=17592186044416
tfs_ok use far
for off in 5g 17592185782272; do
	tfs_ok write far off=$off len=256k seed=9
	tfs_ok read far off=$off len=256k seed=9 hole=fail
done
tfs_q write far off=17592186044416 len=4k seed=9 isize=17592186048512 &&
	fail "a write past the largest object succeeded: $TFS_REPLY"
log "past 16 TiB: $TFS_REPLY"
tfs_ok unuse far
tfs_ok relinquish far
t0=$(date +%s)
# a read-back miss is allowed (counted as rmiss), wrong bytes never
tfs_q stress vol=vm id=s threads=2 cookies="$cookies" ops=1 len=4k seed=5 miss_ok=1 || true
log "stress ($(( $(date +%s) - t0 )) s): $TFS_REPLY"
[[ $TFS_REPLY == ok* ]] || fail "stress of $cookies objects: $TFS_REPLY"
pass=$(sed -E 's/.* pass=([0-9]+).*/\1/' <<< "$TFS_REPLY")
rmiss=$(sed -E 's/.* rmiss=([0-9]+).*/\1/' <<< "$TFS_REPLY")
[ "$pass" -ge $((cookies * 9 / 10)) ] || fail "only $pass of $cookies objects verified"
[ "$rmiss" -le $((cookies / 1000)) ] || fail "$rmiss of $cookies objects missed right after their write"
grep -E '^(write_pages|write_fail_pages|read_miss_pages|objects_live|dirty_marks_.*):' /mnt/mid/stats
# Every stress object is new and written once: its dirty mark (the writes
# are local modifications) travels with its creation, no commit waited for.
waited=$(cs_stat /mnt/mid dirty_marks_waited)
fresh=$(cs_stat /mnt/mid dirty_marks_fresh)
[ "$waited" -eq 0 ] && [ "$fresh" -ge "$pass" ] ||
	fail "new objects' first writes: $waited waited for a commit of the dirty mark, $fresh did not (want 0 and >= $pass)"
sync -f /mnt/mid
live=$(cs_stat /mnt/mid objects_live)
log "64 GiB cache: $live objects live"
[ "$live" -ge $((cookies * 9 / 10)) ] || fail "only $live objects stored"
tfs_ok vol_relinquish vm
tfs_unload

# Evict every object of the 64 GiB cache by hand: none is in use now, so
# each is deleted (committed before the write returns) and its blocks are
# freed as the dying objects are reclaimed.
SYS=/sys/fs/cachestore/${CS_DISK_MID#/dev/}
ev0=$(cat $SYS/stats/evictions)
t0=$(date +%s.%N)
echo all > $SYS/evict || fail "echo all > $SYS/evict"
t1=$(date +%s.%N)
ev=$(( $(cat $SYS/stats/evictions) - ev0 ))
for i in $(seq 60); do
	sync -f /mnt/mid
	[ "$(cat $SYS/objects_live)" -eq 0 ] && [ "$(cat $SYS/objects_dying)" -eq 0 ] &&
		[ "$(cat $SYS/blocks_free)" -eq "$(cat $SYS/blocks_data)" ] && break
	sleep 1
done
log "evict all: $ev of $live objects in $(echo "$t1 - $t0" | bc) s (table: $(cat $SYS/objects_max) slots); objects_live $(cat $SYS/objects_live), objects_dying $(cat $SYS/objects_dying), blocks_free $(cat $SYS/blocks_free) of $(cat $SYS/blocks_data)"
[ "$ev" -eq "$live" ] || fail "evict all deleted $ev objects, $live were live"
dmesg | grep -q "cachestore mid: evicted $live objects\$" || fail "no kernel message for $live objects evicted"
[ "$(cat $SYS/objects_live)" -eq 0 ] || fail "objects left after evicting all"
[ "$(cat $SYS/blocks_free)" -eq "$(cat $SYS/blocks_data)" ] ||
	fail "blocks not freed after evicting all: $(cat $SYS/blocks_free) of $(cat $SYS/blocks_data) free"

# Unbind the 64 GiB cache: the 1 TiB one keeps serving, from its disk.
cachestore_unbind /mnt/mid
dev=${CS_DISK_BIG##*/}
umount /mnt/nfs
cachestore_unbind /mnt/big
CS_NOFORMAT=1 cachestore_bind "$CS_DISK_BIG" /mnt/big
nfs_mount 3 /srv/export /mnt/nfs
r0=$(awk '{ print $3 }' "/sys/block/$dev/stat")
warm_read /mnt/nfs "$np" verify /mnt/nfs/f "$want"
r1=$(awk '{ print $3 }' "/sys/block/$dev/stat")
log "warm after rebind: $(( (r1 - r0) / 2048 )) MiB read from $dev"
[ $(( (r1 - r0) * 512 )) -ge $((32 * 1048576)) ] || fail "warm read did not come from the cache disk"
umount /mnt/nfs
cachestore_unbind /mnt/big
kernel_clean "geometry"
cs_fsck "$CS_DISK_MID"
log ok
