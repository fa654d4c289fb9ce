#!/bin/bash
# vm: disks=cache:64M,other:64M timeout=300
# Binding refuses what it must, with a clear kernel message and no crash:
# a foreign filesystem, a cache device another driver holds, a device whose
# both superblocks are damaged.  A damaged primary superblock falls back to
# the backup.  Random damage to metadata blocks never crashes the kernel.
. "$CS_REPO/tests/vm/lib.sh"
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
mkdir -p /mnt/cache /mnt/other
blocks=$(($(blockdev --getsize64 "$CS_DISK_CACHE") / 4096))

expect_refused() { # WHAT DEVICE
	if mount -t cachestore "$2" /mnt/cache 2>/tmp/err; then
		umount /mnt/cache
		fail "$1: bound"
	fi
	log "$1: refused ($(cat /tmp/err))"
	dmesg | tail -n 3 | grep -q cachestore || fail "$1: no kernel message"
}

mkfs.ext4 -q -F "$CS_DISK_OTHER"
expect_refused "ext4 device" "$CS_DISK_OTHER"

# A valid cache that another driver holds open exclusively (here a
# device-mapper table over it): refused as busy, never bound under it.
"$CS_REPO/build/bin/mkcachestore" -q -f "$CS_DISK_CACHE"
"$CS_REPO/build/bin/fsck.cachestore" -n "$CS_DISK_CACHE" >/dev/null ||
	fail "the cache to hold is not a clean cache"
modprobe dm-mod
dmsetup create --noudevsync holder --table \
	"0 $(blockdev --getsz "$CS_DISK_CACHE") linear $CS_DISK_CACHE 0" || fail "dmsetup create"
if mount -t cachestore "$CS_DISK_CACHE" /mnt/cache 2>/tmp/err; then
	umount /mnt/cache
	fail "held device: bound"
fi
grep -qi 'busy' /tmp/err || fail "held device: refused, but not as busy: $(cat /tmp/err)"
log "held device: refused ($(cat /tmp/err))"
dmsetup remove --noudevsync holder
mount -t cachestore "$CS_DISK_CACHE" /mnt/cache || fail "released device: not bound"
umount /mnt/cache

# Damaged primary superblock: the backup is used.
dd if=/dev/urandom of="$CS_DISK_CACHE" bs=4096 count=1 conv=notrunc status=none
mount -t cachestore "$CS_DISK_CACHE" /mnt/cache || fail "no fallback to the backup superblock"
umount /mnt/cache
"$CS_REPO/build/bin/fsck.cachestore" -n "$CS_DISK_CACHE" >/dev/null
log "primary superblock damaged: bound from the backup; fsck -n exit $?"

# Both superblocks damaged.
dd if=/dev/urandom of="$CS_DISK_CACHE" bs=4096 count=1 conv=notrunc status=none
dd if=/dev/urandom of="$CS_DISK_CACHE" bs=4096 count=1 seek=$((blocks - 1)) conv=notrunc status=none
expect_refused "both superblocks damaged" "$CS_DISK_CACHE"

# A damaged state block (block 1): refused, not guessed at.
"$CS_REPO/build/bin/mkcachestore" -q -f "$CS_DISK_CACHE"
dd if=/dev/urandom of="$CS_DISK_CACHE" bs=4096 count=1 seek=1 conv=notrunc status=none
expect_refused "state block damaged" "$CS_DISK_CACHE"

# Random damage to the metadata of a populated cache (the tables between
# the journal and the data area), 12 rounds: bind may succeed or refuse;
# reading through it must give the right bytes; nothing may crash.
nfs_server /srv/export
mkdata /srv/export/data 2
want=$(sum /srv/export/data)
meta=$("$CS_REPO/build/bin/mkcachestore" -f "$CS_DISK_CACHE" | awk '/Data blocks:/ { print $NF }')
[ -n "$meta" ] || fail "cannot read the data area start from mkcachestore"
bound=0
for round in $(seq 1 12); do
	"$CS_REPO/build/bin/mkcachestore" -q -f "$CS_DISK_CACHE"
	mount -t cachestore "$CS_DISK_CACHE" /mnt/cache || fail "fresh cache refused"
	nfs_mount 3 /srv/export /mnt/nfs >/dev/null
	verify /mnt/nfs/data "$want"
	umount /mnt/nfs
	umount /mnt/cache
	for k in 1 2 3; do
		dd if=/dev/urandom of="$CS_DISK_CACHE" bs=4096 count=1 \
			seek=$((1026 + RANDOM % (meta - 1026))) conv=notrunc status=none
	done
	if mount -t cachestore "$CS_DISK_CACHE" /mnt/cache 2>/dev/null; then
		nfs_mount 3 /srv/export /mnt/nfs >/dev/null
		verify /mnt/nfs/data "$want"
		drop_caches
		verify /mnt/nfs/data "$want"
		umount /mnt/nfs
		umount /mnt/cache
		bound=$((bound + 1))
		echo "round $round: bound, bytes right"
	else
		echo "round $round: refused"
	fi
done
log "damaged caches: $bound of 12 bound, all reads right"
log ok
