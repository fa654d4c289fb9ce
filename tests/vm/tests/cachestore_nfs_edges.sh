#!/bin/bash
# vm: disks=cache:1G timeout=600
# NFS through cachestore at the edges of a file and of a granule, on either
# kernel.  Files whose sizes end mid-page, mid-granule and one byte past a
# granule are read cold, then warm after drop_caches: every byte matches,
# and the warm pass fetches nothing from the server (mountstats server read
# bytes do not rise), so the partial last page was cached too (on 6.12
# ->issue_write completes it from the zeroed folio tail at EOF).  On 6.12,
# where netfs honours ->expand_readahead, every cache write and read of a
# sequential pass starts on a granule boundary and covers whole granules
# except at EOF (the cachestore_write/cachestore_read tracepoints show it).
. "$CS_REPO/tests/vm/lib.sh"

# server_read_bytes MNT: bytes the NFS client read from the server (mountstats)
server_read_bytes() {
	awk -v mp="$1" '$1 == "device" { cur = ($5 == mp) }
		cur && $1 == "bytes:" { print $6; exit }' /proc/self/mountstats
}

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
gran=262144	# mkcachestore's default granule
netfs612=0
[ -L /proc/fs/fscache ] && netfs612=1	# fscache inside netfs: 6.12's netfs
T=/sys/kernel/tracing
nfs_server /srv/export
sizes="1 4095 4097 $((gran - 1)) $((gran + 1)) $((3 * 1048576 + 123)) $((4 * 1048576))"
mkdata /srv/export/big 5 7
for s in $sizes; do
	head -c "$s" /srv/export/big > "/srv/export/f$s"
done
rm -f /srv/export/big
nfs_mount 3 /srv/export /mnt/nfs

echo 0 > $T/tracing_on
echo > $T/trace
echo 1 > $T/events/cachestore/cachestore_write/enable
echo 1 > $T/events/cachestore/cachestore_read/enable
echo 1 > $T/events/cachestore/cachestore_written/enable
echo 1 > $T/events/cachestore/cachestore_lookup/enable
# (a page that is never offered to the cache: which of fscache's steps
# skipped it; dumped on failure)
for e in fscache_acquire fscache_access fscache_cookie netfs_failure; do
	for d in $T/events/fscache/$e $T/events/netfs/$e; do
		[ -d "$d" ] && echo 1 > "$d/enable"
	done
done
echo 1 > $T/tracing_on
for s in $sizes; do
	verify "/mnt/nfs/f$s" "$(sum "/srv/export/f$s")"
done
netfs_settle			# 6.12: copies to the cache are asynchronous
sync -f /mnt/cache
log "cold pass: $(cs_stat /mnt/cache write_pages) pages written to the cache, $(cs_stat /mnt/cache write_fail_pages) not"

drop_caches
b0=$(server_read_bytes /mnt/nfs)
for s in $sizes; do
	verify "/mnt/nfs/f$s" "$(sum "/srv/export/f$s")"
done
b1=$(server_read_bytes /mnt/nfs)
log "warm pass: $((b1 - b0)) bytes from the server, $(cs_stat /mnt/cache read_hit_pages) pages served by the cache"
[ $((b1 - b0)) -eq 0 ] || {
	grep -E 'cachestore_(write|written|lookup):' $T/trace | head -40
	grep -E 'fscache_(acquire|cookie)|netfs_failure' $T/trace | head -60
	grep -E 'fscache_access' $T/trace | grep -vE 'io_(read|write|end)|BEGIN|END' | head -40
	cat /proc/fs/fscache/cookies
	fail "warm pass read $((b1 - b0)) bytes from the server"
}
[ "$(cs_stat /mnt/cache read_hit_pages)" -gt 0 ] || fail "warm pass served nothing from the cache"
echo 0 > $T/tracing_on

if [ $netfs612 = 1 ]; then
	# cachestore_write/read: o=OBJ g=GEN pos=HEX len=HEX r=RESULT
	nall=0 nbad=0
	while read -r line; do
		pos=${line##*pos=}; pos=$((0x${pos%% *}))
		nall=$((nall + 1))
		if [ $((pos % gran)) -ne 0 ]; then
			nbad=$((nbad + 1))
			[ $nbad -le 5 ] && echo "not aligned: $line"
		fi
	done < <(grep -E 'cachestore_(write|read): .* r=0$' $T/trace)
	log "6.12 readahead: $nall cache reads and writes, $nbad not granule-aligned"
	[ "$nall" -gt 0 ] || fail "no cache reads or writes traced"
	[ "$nbad" -eq 0 ] || fail "$nbad cache I/Os not aligned to the $gran-byte granule"
else
	log "6.1: NFS reads the cache a page at a time; no readahead expansion to check"
fi

umount /mnt/nfs
cachestore_unbind /mnt/cache
kernel_clean "NFS edges"
cs_fsck "$CS_DISK_CACHE"
log "PASS"
