#!/bin/bash
# vm: disks=cache:1G timeout=600
# cachestore end to end with NFSv3: format, bind, cold read fills the cache,
# warm read after drop_caches is served by it (NFS read_ok and fscache rd
# rise, cache writes do not) with the same bytes; then unbind, rebind, and
# the data is still served warm.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
echo 1 > /sys/kernel/tracing/events/cachestore/enable || fail "no cachestore tracepoints"
nfs_server /srv/export
mkdata /srv/export/data 16
want=$(sum /srv/export/data)
nfs_mount 3 /srv/export /mnt/nfs

verify /mnt/nfs/data "$want"
log "cold pass: fscache IO wr=$(fscache_stat IO wr) nfs written_ok=$(nfs_fsc_stat /mnt/nfs 2)"
[ "$(nfs_fsc_stat /mnt/nfs 2)" -ge 4096 ] || fail "cold pass wrote only $(nfs_fsc_stat /mnt/nfs 2) pages"
cat /mnt/cache/stats

warm_pass() {
	drop_caches
	local ok0 ok1 wr0 wr1
	ok0=$(nfs_fsc_stat /mnt/nfs 0) wr0=$(fscache_stat IO wr)
	verify /mnt/nfs/data "$want"
	ok1=$(nfs_fsc_stat /mnt/nfs 0) wr1=$(fscache_stat IO wr)
	log "warm pass ($1): nfs read_ok +$((ok1 - ok0)), fscache wr +$((wr1 - wr0))"
	[ $((ok1 - ok0)) -ge 4096 ] || fail "warm pass ($1): only $((ok1 - ok0)) pages from the cache"
	[ $((wr1 - wr0)) -eq 0 ] || fail "warm pass ($1) wrote $((wr1 - wr0)) pages to the cache"
}
warm_pass "same binding"
trace=$(cat /sys/kernel/tracing/trace)
for ev in lookup write read commit; do
	n=$(echo "$trace" | grep -c "cachestore_$ev:" || true)
	log "tracepoint cachestore_$ev: $n events"
	[ "$n" -gt 0 ] || fail "no cachestore_$ev events traced"
done
echo 0 > /sys/kernel/tracing/events/cachestore/enable

umount /mnt/nfs
cachestore_unbind /mnt/cache
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_mount 3 /srv/export /mnt/nfs
warm_pass "after rebind"
cat /mnt/cache/stats
umount /mnt/nfs
cachestore_unbind /mnt/cache
log ok
