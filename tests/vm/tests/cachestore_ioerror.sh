#!/bin/bash
# vm: disks=cache:1G timeout=300
# An I/O error under the cache: cachestore on a device-mapper device (linear
# over the disk), bound and warm; then the table is switched to the error
# target.  Reads through NFS still return the right bytes (from the server),
# the cache goes offline (stats "state: error", not active in
# /proc/fs/fscache/caches, the kernel log names the I/O error), nothing
# oopses or warns, and the cache can still be unmounted.
. "$CS_REPO/tests/vm/lib.sh"

modprobe dm-mod
sectors=$(blockdev --getsz "$CS_DISK_CACHE")
dmsetup create --noudevsync csdev --table "0 $sectors linear $CS_DISK_CACHE 0" ||
	fail "dmsetup create"
dmsetup mknodes csdev
dev=/dev/mapper/csdev
[ -b $dev ] || fail "no $dev"
cachestore_bind $dev /mnt/cache
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
mkdata $S/a 2 1
mkdata $S/b 2 2
a=$(sum $S/a) b=$(sum $S/b)
nfs_mount 3 $S $M
n=$(pages $S/a)
cold_read $M "$n" verify $M/a "$a"
warm_read $M "$n" verify $M/a "$a"
grep cachestore /proc/fs/fscache/caches

dmsetup suspend --noudevsync --nolockfs csdev
dmsetup load csdev --table "0 $sectors error"
dmsetup resume --noudevsync csdev
dmsetup table csdev
log "the cache's device now fails every I/O"

echo 3 > /proc/sys/vm/drop_caches
verify $M/b "$b"		# not cached: its cache writes fail
verify $M/a "$a"		# cached: its cache reads fail, NFS asks the server
drop_caches
verify $M/a "$a"
verify $M/b "$b"
log "reads right after the error: nfs fsc $(grep -A0 'fsc:' /proc/self/mountstats | head -n 1)"

state=$(cs_stat /mnt/cache state)
log "cachestore state: $state, io_errors $(cs_stat /mnt/cache io_errors)"
[ "$state" = error ] || fail "cachestore state is $state after the I/O error, not error"
cat /proc/fs/fscache/caches
st=$(fscache_cache_state cachestore)
[ "$st" != A ] || fail "the cache is still active in /proc/fs/fscache/caches"
dmesg | grep -iE 'I/O error|cachestore' | tail -n 10
dmesg | grep -q 'cachestore.*I/O error' || fail "no cachestore I/O error in the kernel log"
kernel_clean "the I/O error"

umount $M
timeout 60 umount /mnt/cache || fail "umount of the failed cache did not work"
log "failed cache unmounted"
[ "$(fscache_cache_state cachestore)" != A ] || fail "cachestore still active after umount"
dmsetup remove --noudevsync csdev
kernel_clean
log ok
