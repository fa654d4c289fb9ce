#!/bin/bash
# vm: disks=cache:24M timeout=600
# Culling inside the kernel: read 40 MiB of NFS files through a 24 MiB
# cache.  The cache must cull least recently used objects on its own (no
# daemon), keep free space above its cull mark once settled, keep serving
# the most recent files warm, and every byte read must be right.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
for i in $(seq 1 10); do mkdata /srv/export/f$i 4 $i; done
(cd /srv/export && sha256sum f*) > /tmp/sums
nfs_mount 3 /srv/export /mnt/nfs

for i in $(seq 1 10); do
	(cd /mnt/nfs && sha256sum -c --quiet <(grep " f$i\$" /tmp/sums)) || fail "f$i read wrong"
	sleep 1.2	# let a commit interval pass: culling runs in the commit worker
done
# Settled: the files just read stay in use (fscache keeps a cookie for
# 10 s after its file is closed), and only objects no cookie uses can be
# culled; when the last one not in use is released, culling takes it.
# Wait for that, up to 30 s (a commit interval each look).
for i in $(seq 30); do
	sync -f /mnt/cache
	[ $(( $(cs_stat /mnt/cache blocks_free) * 100 )) -ge $(( $(cs_stat /mnt/cache blocks_data) * 7 )) ] && break
	sleep 1
done
stat=$(cat /mnt/cache/stats)
echo "$stat" | grep -E 'blocks_|objects_live|culls|write_fail'
culls=$(echo "$stat" | awk '$1 == "culls:" { print $2 }')
free=$(echo "$stat" | awk '$1 == "blocks_free:" { print $2 }')
data=$(echo "$stat" | awk '$1 == "blocks_data:" { print $2 }')
[ "$culls" -gt 0 ] || fail "no object was culled"
[ "$(fscache_stat NoSpace cull)" -gt 0 ] || fail "fscache's cull counter did not move"
log "culled $culls objects; $free of $data blocks free after $i s"
# the claim above: once settled, free space is back above the cull mark (7 %)
[ $((free * 100)) -ge $((data * 7)) ] ||
	fail "only $free of $data blocks free after culling settled (cull mark 7 %)"

# Pages the full cache refused while culling caught up (ENOBUFS is a
# miss, never an error) are stored by reading again; a refill can itself
# meet the stop mark (it writes up to 1,024 blocks into 767 or so free:
# culling makes room meanwhile), so it is repeated, up to three times,
# while fscache counts refused writes (NoSpace nwr).  Then the most
# recent file is served warm, whole, and everything still reads right.
for r in 1 2 3; do
	nwr0=$(fscache_stat NoSpace nwr)
	drop_caches
	(cd /mnt/nfs && sha256sum -c --quiet <(grep " f10\$" /tmp/sums)) || fail "f10 read wrong (refill $r)"
	sleep 1.5
	sync -f /mnt/cache
	nwr1=$(fscache_stat NoSpace nwr)
	log "refill $r of f10: $((nwr1 - nwr0)) page writes refused for space"
	[ "$nwr1" = "$nwr0" ] && break
done
drop_caches
ok0=$(nfs_fsc_stat /mnt/nfs 0)
(cd /mnt/nfs && sha256sum -c --quiet <(grep " f10\$" /tmp/sums)) || fail "f10 read wrong (warm)"
ok1=$(nfs_fsc_stat /mnt/nfs 0)
log "warm f10: $((ok1 - ok0)) pages from the cache"
[ $((ok1 - ok0)) -ge 1024 ] || fail "f10 not served from the cache after culling"
drop_caches
(cd /mnt/nfs && sha256sum -c --quiet /tmp/sums) || fail "a file read wrong after culling"
umount /mnt/nfs
cachestore_unbind /mnt/cache
"$CS_REPO/build/bin/fsck.cachestore" -n "$CS_DISK_CACHE" || fail "fsck after culling: exit $?"
log ok
