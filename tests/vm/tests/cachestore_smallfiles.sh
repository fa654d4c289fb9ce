#!/bin/bash
# vm: disks=cache:1G timeout=900
# 10,000 small files (1-8 KiB, 10 directories) over NFSv3: a cold pass
# fills the cache, a warm pass after drop_caches is served by it, every file
# verified by sha256sum against the server's list both times.  The cache has
# mkcachestore's default object table (one expected object per 64 KiB: some
# 20,000 on 1 GiB), which must hold a small-file working set as it is.
# Under TCG plain NFS alone takes 10-20 ms a file, so each pass runs 4
# checkers.  Warm passes write no metadata block: lookups and reads note
# their use in memory (the LRU lists change only when a cull meets an
# object, or at unbind), and giving back an object's unchanged aux data and
# size at relinquish journals nothing.  At unbind the reads noted go to
# disk: bound again, the cache has every object off probation.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
assert [ "$(cs_stat /mnt/cache objects_max)" -ge 10000 ]
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
n=$(small_tree $S 10000 10 1024 8192) || fail "making the files"
(cd $S && find . -type f | sort | xargs sha256sum) > /tmp/sums
assert [ "$(wc -l < /tmp/sums)" = 10000 ]
log "10000 files, $n pages"
nfs_mount 3 $S $M

check_all() { sums_check $M /tmp/sums 4; }
cold_read $M "$n" check_all
netfs_settle
drop_caches		# the cold pass's cookies relinquished
sync -f /mnt/cache	# and its last commit made
log "cache: $(cs_stat /mnt/cache objects_live) objects, $(cs_stat /mnt/cache objects_probation) on probation"
assert [ "$(cs_stat /mnt/cache objects_probation)" -ge 9000 ]
mw0=$(cs_stat /mnt/cache meta_writes) cm0=$(cs_stat /mnt/cache commits)
warm_read $M "$n" check_all
warm_read $M "$n" check_all
netfs_settle
mw=$(($(cs_stat /mnt/cache meta_writes) - mw0))
log "two warm passes: metadata blocks written +$mw, commits +$(($(cs_stat /mnt/cache commits) - cm0))"
[ "$mw" -eq 0 ] || fail "two warm passes wrote $mw metadata blocks"
cat /mnt/cache/stats
grep -E '^(IO|Cookies|Acquire|Relinqs)' /proc/fs/fscache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
# the reads noted in memory reached the LRU lists at unbind
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
p=$(cs_stat /mnt/cache objects_probation) l=$(cs_stat /mnt/cache objects_live)
log "bound again: $p of $l objects on probation"
[ "$p" -le $((l / 100)) ] || fail "bound again, $p of $l objects are on probation: the reads served warm were not applied at unbind"
cachestore_unbind /mnt/cache
kernel_clean
log ok
