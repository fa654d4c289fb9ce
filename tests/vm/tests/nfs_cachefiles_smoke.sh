#!/bin/bash
# vm: disks=fscache:1G timeout=300
# The harness end to end with our peer: NFSv3 with fsc over cachefiles.
# Cold read fills the cache; after drop_caches the warm read is served by
# the cache with the same bytes, and writes nothing to it (cold_read and
# warm_read in lib.sh: on 6.1 by NFS read_ok and fscache IO counters, on
# 6.12, which has no NFS fsc: counters, by the cache disk's I/O and netfs's
# cache read and write counters).
. "$CS_REPO/tests/vm/lib.sh"

cachefiles_bind "$CS_DISK_FSCACHE"
nfs_server /srv/export
mkdata /srv/export/data 16
want=$(sum /srv/export/data)
nfs_mount 3 /srv/export /mnt/nfs

cold_read /mnt/nfs 4096 verify /mnt/nfs/data "$want"
warm_read /mnt/nfs 4096 verify /mnt/nfs/data "$want"
log "from the server: $(($(nfs_bytes /mnt/nfs server_read) / 1048576)) MiB in all"
grep -E '^(IO|Cookies|CaRdOps|CaWrOps|DownOps)' /proc/fs/fscache/stats
umount /mnt/nfs
cachefiles_unbind
log "ok"
