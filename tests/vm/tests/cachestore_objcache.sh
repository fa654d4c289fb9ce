#!/bin/bash
# vm: disks=cache:64G timeout=900
# The object cache (issue 16): once a small-file working set outgrows the
# metadata buffer cache, a warm pass still reads no metadata block.  2,000
# files of 4-16 KiB over NFSv3, with the buffer cache held to 128 blocks
# (module parameter meta_bufs, testing only: 512 objects' table blocks at
# most): a cold pass fills the cache, a first warm pass fills the object
# cache, and the second warm pass must read no metadata block, with every
# lookup answered from memory (objcache_hits).  Then the same with the
# object cache off (objcache_max=0): the second warm pass reads table
# blocks again, which is what this test would see without the object
# cache.  Every file is checked against the server's sha256 list in every
# pass.  Last, an objcache_max larger than memory allows is capped.
. "$CS_REPO/tests/vm/lib.sh"

n_files=2000
P=/sys/module/cachestore/parameters
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
echo 128 > $P/meta_bufs
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
assert [ "$(cs_stat /mnt/cache objcache_max)" -ge $n_files ]
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
n=$(small_tree $S $n_files 4 4096 16384) || fail "making the files"
(cd $S && find . -type f | sort | xargs sha256sum) > /tmp/sums
assert [ "$(wc -l < /tmp/sums)" = $n_files ]
log "$n_files files, $n pages"
nfs_mount 3 $S $M
check_all() { sums_check $M /tmp/sums 2; }

# warm2 LABEL: two warm passes; sets mr and oh to the second's metadata
# reads and object-cache hits
warm2() {
	local mr0 oh0
	warm_read $M "$n" check_all
	netfs_settle
	mr0=$(cs_stat /mnt/cache meta_reads) oh0=$(cs_stat /mnt/cache objcache_hits)
	warm_read $M "$n" check_all
	netfs_settle
	mr=$(($(cs_stat /mnt/cache meta_reads) - mr0))
	oh=$(($(cs_stat /mnt/cache objcache_hits) - oh0))
	log "$1: second warm pass: metadata blocks read +$mr, object cache hits +$oh, $(cs_stat /mnt/cache objcache_objects) objects cached"
}

cold_read $M "$n" check_all
netfs_settle
drop_caches		# the cold pass's cookies relinquished
sync -f /mnt/cache
assert [ "$(cs_stat /mnt/cache objects_live)" -ge $n_files ]
warm2 "object cache on"
[ "$mr" -eq 0 ] || fail "a warm pass of $n_files files read $mr metadata blocks with the object cache on"
# each file: a lookup, its record, and the reads' queries and maps
[ "$oh" -ge $((2 * n_files)) ] || fail "a warm pass of $n_files files had only $oh object cache hits"
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"

echo 0 > $P/objcache_max
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
assert [ "$(cs_stat /mnt/cache objcache_max)" = 0 ]
nfs_mount 3 $S $M
warm2 "object cache off"
[ "$oh" -eq 0 ] || fail "the object cache answered $oh times while off"
[ "$mr" -ge $((n_files / 4)) ] ||
	fail "with the object cache off a warm pass read only $mr metadata blocks: the buffer cache was not outgrown, the test above proves nothing"
umount $M
cachestore_unbind /mnt/cache

# an objcache_max past what memory allows is capped at 1/16 of it (256
# bytes an entry), and the cache binds
echo 2147483647 > $P/objcache_max
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
cap=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024 / 256 / 16 ))
om=$(cs_stat /mnt/cache objcache_max)
log "objcache_max=2147483647: an object cache of $om objects (cap $cap)"
[ "$om" -gt 0 ] && [ "$om" -le "$cap" ] ||
	fail "objcache_max=2147483647 gave an object cache of $om objects, more than 1/16 of the memory ($cap)"
cachestore_unbind /mnt/cache
echo -1 > $P/objcache_max
echo 0 > $P/meta_bufs
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
