#!/bin/bash
# vm: disks=cache:256M timeout=600
# Culling many small objects on a slow device that discards (issue 13: lock
# hold times).  The blocks of culled objects are discarded once their free
# is durable.  Those discards used to be issued one at a time, each waited
# for, under the cache lock that every read and write takes: a round of 256
# culled 4 KiB objects held it for 256 device round trips.  Now a commit's
# discards go out together, without the lock, and the blocks become
# reusable when they have all ended.
# The cache sits on dm-delay; once filled, its writes (discards are writes
# to dm-delay) take 20 ms each, and the object-slot marks are raised
# through sysfs so that some 1,100 objects are culled.  Required:
#  - the lock was held under 100 ms to make a commit's frees reusable
#    (frees_hold_max_us; one discard at a time under it: over 5 s a round),
#  - the discards reached the disk: its discarded sectors grew by a 4 KiB
#    block per culled object at least,
#  - they went out merged: the culled objects were created one after the
#    other, so their blocks are mostly adjacent, and a commit's freed
#    extents are sorted and joined before they are discarded.  dm counts
#    every discard bio it is sent: fewer than one per 4 culled objects
#    (one per extent, unmerged, was one per object; each a device command
#    and, under a hypervisor, a hole punched in the image),
#  - the freed blocks are used again with the right bytes (a second fill
#    writes and reads back each object), and fsck finds the cache clean.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
MKFS=$CS_REPO/build/bin/mkcachestore
MNT=/mnt/cache
TFS_VERBOSE=0

modprobe dm-mod
modprobe dm-delay
disk=$CS_DISK_CACHE
sectors=$(blockdev --getsz "$disk")
dmsetup create --noudevsync csdev --table "0 $sectors delay $disk 0 0 $disk 0 0" ||
	fail "dmsetup create"
dmsetup mknodes csdev
dev=/dev/mapper/csdev
dm=$(dmsetup info -c --noheadings -o blkdevname csdev)
[ "$(cat "/sys/block/$dm/queue/discard_max_bytes")" -gt 0 ] ||
	fail "$dev ($dm) does not discard: this test cannot see what it is about"

"$MKFS" -q -f -N 2000 "$dev" || fail "mkcachestore"
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
mkdir -p "$MNT"
mount -t cachestore "$dev" "$MNT" || fail "mount"
SYS=$(echo /sys/fs/cachestore/*)
[ -f "$SYS/frun" ] || fail "no sysfs directory for the cache: $SYS"
slots=$(cs_stat "$MNT" objects_max)
fill=$((slots * 88 / 100))
log "$slots object slots, filling $fill"

tfs_load
tfs_ok vol_acquire v key=test,cull-discard
tfs_ok stress vol=v id=fill threads=2 cookies=$fill ops=1 len=4k seed=11 miss_ok=1
log "filled: $(cs_stat "$MNT" objects_live) objects live: $TFS_REPLY"
[ "$(cs_stat "$MNT" culls)" -eq 0 ] || fail "culled before the marks were raised"
sync -f "$MNT"

dmsetup suspend --noudevsync --nolockfs csdev
dmsetup load csdev --table "0 $sectors delay $disk 0 0 $disk 0 20"
dmsetup resume --noudevsync csdev
log "writes and discards to the cache now take 20 ms: $(dmsetup table csdev)"

# discards completed on the disk: field 14 of its stat file, in sectors
vdstat=/sys/block/${disk#/dev/}/stat
dsec0=$(awk '{ print $14 }' "$vdstat")
# discard bios sent to the dm device: field 12 of its stat file
dmstat=/sys/block/$dm/stat
dios0=$(awk '{ print $12 }' "$dmstat")
# cull down to 45 % of the slots used: frun first, keeping stop < cull < run
echo 55 > "$SYS/frun" || fail "frun=55 through sysfs"
echo 50 > "$SYS/fcull" || fail "fcull=50 through sysfs"
t0=$(date +%s)
for _ in $(seq 240); do
	live=$(cs_stat "$MNT" objects_live)
	[ $(( (slots - live) * 100 )) -ge $((slots * 55)) ] &&
		[ "$(cs_stat "$MNT" objects_dying)" -eq 0 ] && break
	sleep 0.5
done
sync -f "$MNT"
culls=$(cs_stat "$MNT" culls) live=$(cs_stat "$MNT" objects_live)
hold=$(cs_stat "$MNT" frees_hold_max_us)
dsec=$(( $(awk '{ print $14 }' "$vdstat") - dsec0 ))
dios=$(( $(awk '{ print $12 }' "$dmstat") - dios0 ))
log "after $(( $(date +%s) - t0 )) s: $culls culled, $live of $slots slots live; frees held the lock $hold us at most; $dsec sectors discarded in $dios discard bios; commit held it $(cs_stat "$MNT" commit_hold_max_us) us at most"
[ "$culls" -ge 800 ] || fail "only $culls objects culled: the marks did not take"
[ "$hold" -lt 100000 ] || fail "the cache lock was held $hold us to release a commit's frees (limit 100 ms)"
[ "$dsec" -ge $((culls * 8)) ] || fail "$dsec sectors discarded for $culls culled 4 KiB objects"
[ "$dios" -gt 0 ] && [ "$dios" -lt $((culls / 4)) ] ||
	fail "$dios discard bios for $culls culled objects, mostly adjacent: their extents were not joined"

dmsetup suspend --noudevsync --nolockfs csdev
dmsetup load csdev --table "0 $sectors delay $disk 0 0 $disk 0 0"
dmsetup resume --noudevsync csdev
# the freed blocks serve new objects: each is written, then read back
# and compared by the stress job
echo 10 > "$SYS/fcull" || fail "fcull=10 through sysfs"
echo 15 > "$SYS/frun" || fail "frun=15 through sysfs"
tfs_ok stress vol=v id=refill threads=2 cookies=$((culls * 9 / 10)) ops=1 len=4k seed=12 miss_ok=1
log "refilled: $TFS_REPLY"
case $TFS_REPLY in *" fail=0 "*) ;; *) fail "the refill read back wrong bytes: $TFS_REPLY" ;; esac
tfs_ok vol_relinquish v
umount "$MNT" || fail "umount"
cs_fsck "$dev"
log ok
