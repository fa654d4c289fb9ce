#!/bin/bash
# vm: disks=cache:1G timeout=300
# Truncate and extend on the server.  Cached files are cut short and then
# extended on the server: e (4 MiB) is read by the client at each step; f (4
# MiB) only after both; g is cut at an offset inside a page.  The client must
# read what the server has: holes read as zeros, the old bytes never
# reappear.  Afterwards a warm pass is served by the cache with the same bytes.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
mkdata $S/e 4 1
mkdata $S/f 4 2
mkdata $S/g 2 3
files="e f g"
check_all() { local f; for f in $files; do verify $M/$f "$(sum $S/$f)"; done; }
total_pages() { local f n=0; for f in $files; do n=$((n + $(pages $S/$f))); done; echo $n; }
# zeros FILE OFF LEN: LEN bytes at OFF of FILE are zero
zeros() {
	if ! cmp <(tail -c +$(($2 + 1)) "$1" | head -c "$3") <(head -c "$3" /dev/zero); then
		log "$1: size $(stat -c %s "$1"), sum now $(sum "$1"), server's $(sum "$S/${1##*/}")"
		cmp -l "$1" "$S/${1##*/}" | head -n 5 || true
		fail "$1: bytes $2..$(($2 + $3)) are not all zero"
	fi
}
nfs_mount 3 $S $M actimeo=0

cold_read $M "$(total_pages)" check_all
warm_read $M "$(total_pages)" check_all

sleep 1
truncate -s 1M $S/e
truncate -s 1000000 $S/g
drop_caches
check_all
assert [ "$(stat -c %s $M/e)" = 1048576 ]
assert [ "$(stat -c %s $M/g)" = 1000000 ]
log "shrunk: e, g read correctly"

sleep 1
truncate -s 6M $S/e
truncate -s 1M $S/f
truncate -s 6M $S/f
truncate -s 3M $S/g
drop_caches
check_all
for f in e f; do zeros $M/$f 1048576 $((5 * 1048576)); done
zeros $M/g 1000000 $((3 * 1048576 - 1000000))
log "extended: e, f, g read correctly, holes are zero"

warm_read $M "$(total_pages)" check_all
cat /mnt/cache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
