#!/bin/bash
# vm: disks=cache:512M timeout=900
# Culling gets past objects in use (issue 13).  Objects a netfs holds are
# no victims; when thousands of them sit at the LRU head (the oldest
# lookups, say files kept open for hours), culling must still reach the
# unused objects behind them.  The LRU walk used to give up after 4,096
# objects in use and cull nothing while the cache filled; now each object
# in use it meets moves to the LRU tail (it is being used).
#  - 60 % of the object slots are filled by cookies that stay in use (a
#    background test_fscache job holds them), then 34 % by cookies that are
#    given up: 6 % free is below fcull (7 %), over fstop (3 %).
#  - Culling must bring free slots back to frun (10 %) from the unused
#    objects alone, without touching one in use (their read-back verifies).
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
MKFS=$CS_REPO/build/bin/mkcachestore
MNT=/mnt/cache
TFS_VERBOSE=0

"$MKFS" -q -f -N 8192 "$CS_DISK_CACHE" || fail "mkcachestore"
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
mkdir -p "$MNT"
mount -t cachestore "$CS_DISK_CACHE" "$MNT" || fail "mount"
slots=$(cs_stat "$MNT" objects_max)
held=$((slots * 60 / 100)) given=$((slots * 34 / 100))
[ "$held" -gt 4096 ] || fail "$held objects in use is not past the old walk's 4,096"
log "$slots object slots: $held held in use, then $given given up"

tfs_load
tfs_ok vol_acquire v key=test,cull-inuse
# the held cookies: the job's workers write and verify each once, then the
# job keeps them in use until it is collected
tfs_ok stress vol=v id=held threads=2 cookies=$held ops=1 len=4k seed=7 bg
for i in $(seq 600); do
	[ "$(cs_stat "$MNT" creates)" -ge "$held" ] && [ "$(cs_stat "$MNT" write_pages)" -ge "$held" ] && break
	sleep 0.5
done
[ "$(cs_stat "$MNT" write_pages)" -ge "$held" ] || fail "the held cookies were not written: $(cs_stat "$MNT" write_pages) pages"
culls0=$(cs_stat "$MNT" culls)
[ "$culls0" -eq 0 ] || fail "$culls0 objects culled before the cache was below fcull"
tfs_ok stress vol=v id=given threads=2 cookies=$given ops=1 len=4k seed=8 miss_ok=1
log "filled: $(cs_stat "$MNT" objects_live) objects live of $slots, given up: $TFS_REPLY"

# culling starts at the allocation that found the cache below fcull
t0=$(date +%s)
for i in $(seq 120); do
	live=$(cs_stat "$MNT" objects_live)
	[ $(( (slots - live) * 100 )) -ge $((slots * 10)) ] && [ "$(cs_stat "$MNT" objects_dying)" -eq 0 ] && break
	sleep 0.5
done
live=$(cs_stat "$MNT" objects_live) culls=$(cs_stat "$MNT" culls)
log "after $(( $(date +%s) - t0 )) s: $culls culled, $live objects live of $slots"
[ "$culls" -gt 0 ] || { cat "$MNT/stats"; dmesg | grep cachestore | tail -5; fail "nothing culled: culling is stuck behind $held objects in use"; }
[ $(( (slots - live) * 100 )) -ge $((slots * 10)) ] || fail "$live of $slots slots used: frun (10 %) not reached"
[ "$live" -ge "$held" ] || fail "$live objects live: objects in use were culled"

# the held objects all survived: released, then looked up again by the
# same keys, each is found coherent (a lookup hit)
tfs_ok stop held
tfs_ok wait held
log "held job: $TFS_REPLY"
hits0=$(cs_stat "$MNT" lookup_hits)
tfs_ok stress vol=v id=held threads=2 cookies=$held ops=1 len=4k seed=7
hits=$(( $(cs_stat "$MNT" lookup_hits) - hits0 ))
log "looked up again: $hits of $held found"
[ "$hits" -ge "$held" ] || fail "only $hits of the $held objects held in use survived the cull"
tfs_ok vol_relinquish v
tfs_unload
umount "$MNT"
cs_fsck "$CS_DISK_CACHE"
log ok
