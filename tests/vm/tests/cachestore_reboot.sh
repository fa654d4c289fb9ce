#!/bin/bash
# vm: disks=cache:1G,srv:256M timeout=300 boots=2
# A VM reboot keeps the cache warm.  Boot 1 formats the cache, binds it and
# reads a file cold over NFSv3 (the export is ext4 on its own disk, so boot 2
# serves the same inode with the same times and file handle), then unbinds.
# Boot 2 checks the cache with fsck, binds it without formatting, and the
# first read of the file is served by the cache with the same bytes.
. "$CS_REPO/tests/vm/lib.sh"

if [ "$CS_BOOT" = 1 ]; then
	cachestore_bind "$CS_DISK_CACHE" /mnt/cache
	nfs_server /srv/export "$CS_DISK_SRV"
	mkdata /srv/export/data 4
	sync
	nfs_mount 3 /srv/export /mnt/nfs
	want=$(sum /srv/export/data)
	cold_read /mnt/nfs "$(pages /srv/export/data)" verify /mnt/nfs/data "$want"
	echo "$want" > /srv/export/.sum
	umount /mnt/nfs
	cachestore_unbind /mnt/cache
	nfs_server_stop /srv/export
	kernel_clean
	log "boot 1 ok"
	exit 0
fi

cs_fsck "$CS_DISK_CACHE"
CS_NOFORMAT=1 cachestore_bind "$CS_DISK_CACHE" /mnt/cache
assert [ "$(cs_stat /mnt/cache objects_live)" -ge 1 ]
nfs_server /srv/export "$CS_DISK_SRV" reuse
want=$(cat /srv/export/.sum)
nfs_mount 3 /srv/export /mnt/nfs
warm_read /mnt/nfs "$(pages /srv/export/data)" verify /mnt/nfs/data "$want"
assert [ "$(cs_stat /mnt/cache lookup_hits)" -ge 1 ]
cat /mnt/cache/stats
umount /mnt/nfs
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
