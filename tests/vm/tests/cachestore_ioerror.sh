#!/bin/bash
# vm: disks=cache:64G timeout=400
# I/O errors under the cache: cachestore on a device-mapper device (linear
# over a 64 GiB sparse disk), whose table is switched to the error target.
#
#   1. A metadata read fails: the cache is bound again over a committed
#      object, so its metadata is read from the device at the first lookup,
#      and the device then fails every I/O.  The read through NFS is right
#      (from the server), the cache goes offline, the failed read is counted
#      (io_errors) and named in the kernel log, and fsck finds the cache
#      clean once the device works again.
#   2. Data I/O fails: bound and warm, then the error target.  Reads through
#      NFS still return the right bytes (from the server), the cache goes
#      offline (stats "state: error", not active in /proc/fs/fscache/caches,
#      the kernel log names the I/O error), nothing oopses or warns, and the
#      cache can still be unmounted.
. "$CS_REPO/tests/vm/lib.sh"

modprobe dm-mod
sectors=$(blockdev --getsz "$CS_DISK_CACHE")
dmsetup create --noudevsync csdev --table "0 $sectors linear $CS_DISK_CACHE 0" ||
	fail "dmsetup create"
dmsetup mknodes csdev
dev=/dev/mapper/csdev
[ -b $dev ] || fail "no $dev"
# error | linear: switch csdev's table
table() {
	dmsetup suspend --noudevsync --nolockfs csdev
	if [ "$1" = error ]; then
		dmsetup load csdev --table "0 $sectors error"
	else
		dmsetup load csdev --table "0 $sectors linear $CS_DISK_CACHE 0"
	fi
	dmsetup resume --noudevsync csdev
	log "csdev: $(dmsetup table csdev)"
}
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
mkdata $S/a 2 1
mkdata $S/b 2 2
mkdata $S/c 1 3
a=$(sum $S/a) b=$(sum $S/b) c=$(sum $S/c)

# 1: a metadata read fails
cachestore_bind $dev /mnt/cache
nfs_mount 3 $S $M
cold_read $M "$(pages $S/c)" verify $M/c "$c"
umount $M
cachestore_unbind /mnt/cache
CS_NOFORMAT=1 cachestore_bind $dev /mnt/cache
reads0=$(cs_stat /mnt/cache meta_reads)
dmesg -C
table error
nfs_mount 3 $S $M
verify $M/c "$c"
drop_caches
verify $M/c "$c"
state=$(cs_stat /mnt/cache state) errs=$(cs_stat /mnt/cache io_errors)
log "after the metadata read error: state $state, io_errors $errs, metadata reads $reads0 -> $(cs_stat /mnt/cache meta_reads)"
dmesg | grep -E 'cachestore|I/O error' | tail -n 6
[ "$state" = error ] || fail "cachestore state is $state after a metadata read error, not error"
[ "$errs" -gt 0 ] || fail "io_errors is 0 after a metadata read error"
dmesg | grep -Eq 'cachestore [^ ]+: I/O error -[0-9]+ \(metadata read at block [0-9]+\)' ||
	fail "the kernel log does not name the failed metadata read"
kernel_clean "the metadata read error"
umount $M
timeout 60 umount /mnt/cache || fail "umount after the metadata read error did not work"
table linear
cs_fsck "$dev"

# 2: data I/O fails
dmesg -C
CS_NOFORMAT=1 cachestore_bind $dev /mnt/cache
nfs_mount 3 $S $M
n=$(pages $S/a)
cold_read $M "$n" verify $M/a "$a"
warm_read $M "$n" verify $M/a "$a"
grep cachestore /proc/fs/fscache/caches

table error
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
