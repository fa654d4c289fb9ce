#!/bin/bash
# vm: disks=cache:256M timeout=600
# Recency is use, not only lookup (issue 13).  An object looked up first and
# then kept open and read must not be culled before one looked up later and
# left alone: reads (and writes) count as use.  Uses are noted in memory and
# go to the LRU lists when a cull meets the object or, as here, when the
# cache is unbound, oldest first.  A is looked up and written, then B 2.5 s
# later; A stays in use; 4.5 s later A is read again; both are released and
# the cache unbound.  On disk (as dumpcachestore -x shows it) A must be the
# LRU tail, with the later access time.  Before, only a lookup counted: A
# stayed the oldest.  20 more objects filled by writes must leave nothing
# to apply at unbind (the kernel log says how many uses it applied).
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
MKFS=$CS_REPO/build/bin/mkcachestore
DUMP=$CS_REPO/build/bin/dumpcachestore
MNT=/mnt/cache
TFS_VERBOSE=0

"$MKFS" -q -f "$CS_DISK_CACHE" || fail "mkcachestore"
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
mkdir -p "$MNT"
mount -t cachestore "$CS_DISK_CACHE" "$MNT" || fail "mount"

tfs_load
tfs_ok vol_acquire v key=test,recency
for c in a b; do
	tfs_ok cookie_acquire $c vol=v key=key-$c size=64k
	tfs_ok use $c
	tfs_ok write $c off=0 len=64k seed=1
	sleep 2.5	# B's lookup an epoch after A's
done
tfs_ok unuse b
tfs_ok relinquish b
sleep 4.5
# NFS on 6.1 reads a page at a time; netfs on 6.12 whole granules
tfs_ok read a off=0 len=4k seed=1 hole=fail
tfs_ok read a off=0 len=64k seed=1
tfs_ok unuse a
tfs_ok relinquish a
# 20 objects filled by writes and given up: a lookup or write in the epoch
# an object was placed in is not noted, so unbinding has none to apply
for i in $(seq 20); do
	tfs_ok cookie_acquire c$i vol=v key=fill-$i size=16k
	tfs_ok use c$i
	tfs_ok write c$i off=0 len=16k seed=2
	tfs_ok unuse c$i
	tfs_ok relinquish c$i
done
tfs_ok vol_relinquish v
tfs_unload
umount "$MNT"
# A's read alone, give or take an epoch boundary falling between a create
# and its write (noting every write would make it 22)
applied=$(dmesg | sed -n 's/.*cachestore .*: last use of \([0-9]*\) objects applied to the LRU lists.*/\1/p' | tail -1)
log "unbind applied the last use of ${applied:-no} objects"
[ -n "$applied" ] && [ "$applied" -ge 1 ] && [ "$applied" -le 4 ] ||
	fail "unbind applied the last use of ${applied:-no} objects, not about 1 (A's read): writes in the epoch of creation were noted, or A's read was not"

dump=$("$DUMP" -x "$CS_DISK_CACHE") || fail "dumpcachestore -x"
# object id, access time and key of each object
objs=$(awk '$1 == "Object" { id = $2 } $1 == "size" { for (i = 1; i <= NF; i++) if ($i == "accessed") t = $(i + 1) }
	$1 == "key" { gsub(/"/, "", $NF); print id, t, $NF }' <<< "$dump")
log "objects (id, accessed, key):" $objs
read -r ida ta _ < <(grep ' key-a$' <<< "$objs") || fail "object A not on disk"
read -r idb tb _ < <(grep ' key-b$' <<< "$objs") || fail "object B not on disk"
tail=$(awk -F: '/LRU tail/ { gsub(/ /, "", $2); print $2 }' <<< "$dump")
log "A: object $ida accessed $ta; B: object $idb accessed $tb; LRU tail $tail"
[ "$ta" -gt "$tb" ] || fail "A, read 4 s after B's lookup, is recorded as accessed at $ta, B at $tb: reads do not count as use"
[ "$tail" = "$ida" ] || fail "the LRU tail is object $tail, not A ($ida): A would be culled first"
cs_fsck "$CS_DISK_CACHE"
log ok
