#!/bin/bash
# vm: disks=cache:1G timeout=300
# Local writes on the client over NFSv3 with fsc: a fresh file written by the
# client, and an overwrite of part of a cached file.  Each reads back right
# while open, the server has the new bytes, and after close and drop_caches
# every read is right (from the server or the cache, never the old bytes);
# once refilled, the cache serves the new bytes.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
mkdata $S/old 3 1
nfs_mount 3 $S $M
n=$(pages $S/old)
cold_read $M "$n" verify $M/old "$(sum $S/old)"
warm_read $M "$n" verify $M/old "$(sum $S/old)"
old_sum=$(sum $S/old)

# The expected results, built locally.
mkdata /tmp/fresh 2 7
mkdata /tmp/patch 1 8
cp $S/old /tmp/old.want
dd if=/tmp/patch of=/tmp/old.want bs=4096 seek=100 count=200 conv=notrunc status=none
fresh=$(sum /tmp/fresh) patched=$(sum /tmp/old.want)

# Write both through the client, reading back while the file is open.
exec 3<> $M/old
dd if=/tmp/patch of=$M/old bs=4096 seek=100 count=200 conv=notrunc status=none
verify $M/old "$patched"
exec 3>&-
cp /tmp/fresh $M/fresh
verify $M/fresh "$fresh"
verify $S/old "$patched"
verify $S/fresh "$fresh"
[ "$patched" != "$old_sum" ] || fail "the overwrite changed nothing"
log "client writes read back right; the server has them"

for i in 1 2; do
	drop_caches
	verify $M/old "$patched"
	verify $M/fresh "$fresh"
	log "read $i after close + drop_caches: right"
done
n=$(($(pages $S/old) + $(pages $S/fresh)))
both() { verify $M/old "$patched"; verify $M/fresh "$fresh"; }
warm_read $M "$n" both
cat /mnt/cache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
