#!/bin/bash
# vm: disks=cache:1G timeout=600
# Granule read buffers serve sequential single-page reads (NFS on 6.1);
# they must not turn random 4 KiB reads into granule reads.  A 4 MiB object
# (16 granules of 256 KiB) is written, then read through the cache's
# synchronous one-page path:
#  - 64 pages out of sequence (37 pages apart): each read right, and the
#    device reads at most 2 pages per page delivered.  Before, every such
#    read filled the buffer with its whole granule: 64 pages for each.
#  - all 1024 pages in order: served from buffers (rbuf_hit_pages) filled
#    once per granule, about one device page per page delivered.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
TFS_VERBOSE=0
C=/mnt/cache
cachestore_bind "$CS_DISK_CACHE" $C
tfs_load
tfs_ok vol_acquire v key=cachestore,rbuf_random
tfs_ok cookie_acquire a vol=v key=a size=4m
tfs_ok use a w
tfs_ok settle a
[ "$(tfs_get state)" = ACTIVE ] || fail "cookie not cached: $TFS_REPLY"
tfs_ok write a off=0 len=4m seed=3
# the write-behind reaches the device: the last page is served by the cache
for i in $(seq 1 50); do
	tfs_q read a off=$((4096 - 4))k len=4k seed=3 hole=fail && break
	sleep 0.2
done
tfs_ok read a off=$((4096 - 4))k len=4k seed=3 hole=fail
sync -f $C

dev_pages() { echo $(($(blk_stat "$CS_DISK_CACHE" read_sectors) / 8)); }
d0=$(dev_pages) f0=$(cs_stat $C rbuf_fills)
for i in $(seq 0 63); do
	p=$(( (i * 37 + 11) % 1024 ))
	tfs_ok read a off=$((p * 4))k len=4k seed=3 hole=fail
done
d=$(( $(dev_pages) - d0 )) f=$(( $(cs_stat $C rbuf_fills) - f0 ))
log "64 random pages: $d pages read from the device, $f buffer fills"
[ "$d" -le 128 ] || fail "64 random 4 KiB reads made the device read $d pages (granule fills: $f)"

d0=$(dev_pages) f0=$(cs_stat $C rbuf_fills) h0=$(cs_stat $C rbuf_hit_pages)
for p in $(seq 0 1023); do
	tfs_ok read a off=$((p * 4))k len=4k seed=3 hole=fail
done
d=$(( $(dev_pages) - d0 )) f=$(( $(cs_stat $C rbuf_fills) - f0 ))
h=$(( $(cs_stat $C rbuf_hit_pages) - h0 ))
log "1024 pages in order: $d pages read from the device, $f buffer fills, $h pages from buffers"
[ "$h" -ge 900 ] || fail "sequential reads were not served from granule buffers ($h of 1024)"
[ "$f" -le 32 ] || fail "$f buffer fills for 16 granules read in order"
[ "$d" -le 1200 ] || fail "1024 pages read in order made the device read $d pages"

tfs_ok unuse a
tfs_ok relinquish a
tfs_unload
cachestore_unbind $C
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
