#!/bin/bash
# vm: disks=cache:1G timeout=300
# cachestore with NFSv4.2 and fsc: the cold read fills the cache, the warm
# read after drop_caches is served by it (NFS read_ok rises by the file's
# pages, fscache IO wr does not) with the same bytes.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
mkdata /srv/export/data 4
want=$(sum /srv/export/data)
n=$(pages /srv/export/data)
nfs_mount 4.2 /srv/export /mnt/nfs
grep -q " /mnt/nfs nfs4 .*vers=4.2" /proc/mounts || fail "not an NFSv4.2 mount: $(grep /mnt/nfs /proc/mounts)"

cold_read /mnt/nfs "$n" verify /mnt/nfs/data "$want"
warm_read /mnt/nfs "$n" verify /mnt/nfs/data "$want"
assert [ "$(cs_stat /mnt/cache read_hit_pages)" -ge "$n" ]
assert [ "$(cs_stat /mnt/cache lookup_hits)" -ge 1 ]
grep -E '^(IO|Cookies)' /proc/fs/fscache/stats
cat /mnt/cache/stats

umount /mnt/nfs
cachestore_unbind /mnt/cache
kernel_clean
log ok
