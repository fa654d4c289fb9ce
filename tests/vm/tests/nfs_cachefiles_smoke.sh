#!/bin/bash
# vm: disks=fscache:1G timeout=300
# The harness end to end with our peer: NFSv3 with fsc over cachefiles.
# Cold read fills the cache; after drop_caches the warm read is served by
# the cache (NFS read_ok and fscache IO rd rise, writes do not) with the
# same bytes.
. "$CS_REPO/tests/vm/lib.sh"

cachefiles_bind "$CS_DISK_FSCACHE"
nfs_server /srv/export
mkdata /srv/export/data 16
want=$(sum /srv/export/data)
nfs_mount 3 /srv/export /mnt/nfs

verify /mnt/nfs/data "$want"
wr_cold=$(fscache_stat IO wr)
log "cold pass: fscache IO wr=$wr_cold, nfs written_ok=$(nfs_fsc_stat /mnt/nfs 2)"
[ "$wr_cold" -ge 4096 ] || fail "cold pass wrote only $wr_cold pages to the cache"

drop_caches
rd0=$(fscache_stat IO rd) ok0=$(nfs_fsc_stat /mnt/nfs 0) wr0=$(fscache_stat IO wr)
verify /mnt/nfs/data "$want"
rd1=$(fscache_stat IO rd) ok1=$(nfs_fsc_stat /mnt/nfs 0) wr1=$(fscache_stat IO wr)
log "warm pass: fscache rd +$((rd1 - rd0)), nfs read_ok +$((ok1 - ok0)), wr +$((wr1 - wr0))"
[ $((ok1 - ok0)) -ge 4096 ] || fail "warm pass: only $((ok1 - ok0)) pages read from the cache"
[ $((wr1 - wr0)) -eq 0 ] || fail "warm pass wrote $((wr1 - wr0)) pages to the cache"
grep -E '^(IO|Cookies)' /proc/fs/fscache/stats
umount /mnt/nfs
cachefiles_unbind
log "ok"
