#!/bin/bash
# vm: disks=cache:1G shares=data timeout=300
# 9p with cache=fscache over cachestore: files are written into a host share
# through a plain 9p mount; then, mounted with cache=fscache, the cold read
# fills the cache (netfs copies to it) and the warm read after drop_caches is
# served by it (cachestore read_hit_pages rises by the files' pages, fscache
# IO rd rises, nothing is written to the cache) with the same bytes.
. "$CS_REPO/tests/vm/lib.sh"

[ -n "${CS_SHARE_DATA:-}" ] || fail "no 9p share: run with --share data (shares=data)"
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
opts=trans=virtio,version=9p2000.L
mkdir -p /mnt/9p
mount -t 9p -o $opts "$CS_SHARE_DATA" /mnt/9p || fail "mount 9p $CS_SHARE_DATA"
rm -rf /mnt/9p/*
mkdata /mnt/9p/a 4 1
mkdata /mnt/9p/b 1 2
head -c 5000 /mnt/9p/b > /mnt/9p/c	# a partial page at the end
declare -A want
n=0
for f in a b c; do want[$f]=$(sum /mnt/9p/$f); n=$((n + $(pages /mnt/9p/$f))); done
umount /mnt/9p

mount -t 9p -o $opts,cache=fscache "$CS_SHARE_DATA" /mnt/9p || fail "mount 9p cache=fscache"
grep " /mnt/9p " /proc/mounts
# 6.1 shows the option "fscache"; 6.12 cache=MODE bits (CACHE_FSCACHE 0x80)
c=$(awk '$2 == "/mnt/9p" { n = split($4, o, ","); for (i = 1; i <= n; i++)
	if (o[i] == "fscache" || o[i] ~ /^cache=/) print o[i] }' /proc/mounts)
[ "$c" = fscache ] || [ "$c" = cache=fscache ] ||
	{ [[ $c == cache=0x* ]] && (( ${c#cache=} & 0x80 )); } ||
	fail "9p is not mounted with cache=fscache (${c:-no cache option})"
check_all() { local f; for f in a b c; do verify /mnt/9p/$f "${want[$f]}"; done; }
snap() { echo "$(cs_stat /mnt/cache read_hit_pages) $(cs_stat /mnt/cache write_pages) $(fscache_stat IO rd) $(fscache_stat IO wr)"; }

echo 1 > /sys/kernel/tracing/events/cachestore/cachestore_write/enable
read -ra s0 <<< "$(snap)"
check_all
sync				# 6.12: 9p fills the cache at writeback
sleep 2				# netfs copies to the cache in the background
netfs_settle
read -ra s1 <<< "$(snap)"
log "cold: cachestore write_pages +$((s1[1] - s0[1])) (of $n), fscache wr +$((s1[3] - s0[3]))"
# Every page, the partial last page of c too.  (On 6.12 netfs copies a
# folio to the cache only if the subrequest that completes it asks to; the
# EOF folio is completed by the zero-fill of its tail as often as by the
# download of its head, so cachestore's ->prepare_read asks for the copy on
# that zero-fill too: before it did, c's last page was never cached here.)
ncache=$n
[ $((s1[1] - s0[1])) -ge $ncache ] || {
	grep cachestore_write: /sys/kernel/tracing/trace | tail -20
	ls -l /mnt/9p
	fail "cold read wrote only $((s1[1] - s0[1])) of $ncache pages to the cache"
}
echo 0 > /sys/kernel/tracing/events/cachestore/cachestore_write/enable
[ $((s1[3] - s0[3])) -gt 0 ] || fail "fscache IO wr did not rise on the cold read"

drop_caches
read -ra s2 <<< "$(snap)"
check_all
read -ra s3 <<< "$(snap)"
log "warm: cachestore read_hit_pages +$((s3[0] - s2[0])) (want >= $ncache), fscache rd +$((s3[2] - s2[2])), cachestore write_pages +$((s3[1] - s2[1])), fscache wr +$((s3[3] - s2[3]))"
[ $((s3[0] - s2[0])) -ge $ncache ] || fail "warm read: only $((s3[0] - s2[0])) of $ncache pages from the cache"
[ $((s3[2] - s2[2])) -gt 0 ] || fail "warm read: fscache IO rd did not rise"
[ $((s3[1] - s2[1])) -eq 0 ] && [ $((s3[3] - s2[3])) -eq 0 ] ||
	fail "warm read wrote to the cache"
cat /mnt/cache/stats
rm -f /mnt/9p/a /mnt/9p/b /mnt/9p/c
umount /mnt/9p
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
