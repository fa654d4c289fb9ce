#!/bin/bash
# vm: disks=cache:1G/4096 timeout=400
# A device with 4 KiB logical sectors (a 4Kn disk): mkcachestore reads the
# topology and formats it, the module binds it, NFSv3 cold and warm reads
# (a whole file and a small file with a partial last page) return the right
# bytes and are served by the cache, a rebind keeps it warm, a file shrunk
# on the server is never served with its old bytes, and fsck.cachestore
# finds the device clean.  Partial granules and the partial page at EOF go
# through the same 4 KiB-aligned I/O as on a 512-byte-sector disk.
. "$CS_REPO/tests/vm/lib.sh"

dev=${CS_DISK_CACHE#/dev/}
lbs=$(cat /sys/block/$dev/queue/logical_block_size)
pbs=$(cat /sys/block/$dev/queue/physical_block_size)
log "$CS_DISK_CACHE: logical sector $lbs, physical sector $pbs"
[ "$lbs" = 4096 ] || fail "the test disk has $lbs-byte logical sectors, not 4096"

out=$("$CS_REPO/build/bin/mkcachestore" -f -L fourk "$CS_DISK_CACHE") ||
	{ echo "$out"; fail "mkcachestore on a 4Kn device"; }
echo "$out"
grep -q "logical sector 4096, physical sector 4096" <<< "$out" ||
	fail "mkcachestore did not report the 4 KiB topology"
touch "/tmp/.cs-formatted-$dev"
cs_fsck "$CS_DISK_CACHE"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export
mkdata $S/big 8
head -c 10001 $S/big > $S/small		# last page partial
nfs_mount 3 $S /mnt/nfs actimeo=0
check() { verify /mnt/nfs/big "$(sum $S/big)"; verify /mnt/nfs/small "$(sum $S/small)"; }
n=$(($(pages $S/big) + $(pages $S/small)))
cold_read /mnt/nfs "$n" check
warm_read /mnt/nfs "$n" check

umount /mnt/nfs
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_mount 3 $S /mnt/nfs actimeo=0
warm_read /mnt/nfs "$n" check

# shrink on the server: the old tail must never come back
sleep 1
truncate -s 5000 $S/small
drop_caches
verify /mnt/nfs/small "$(sum $S/small)"
[ "$(stat -c %s /mnt/nfs/small)" = 5000 ] || fail "small is not 5000 bytes"
warm_read /mnt/nfs 2 verify /mnt/nfs/small "$(sum $S/small)"

umount /mnt/nfs
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
log ok
