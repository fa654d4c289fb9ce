#!/bin/bash
# vm: disks=cache:1G timeout=300
# Coherency: a file changed on the server is never served stale from the
# cache.  Four cached files change on the server (through the server's own
# path): in place with the same size (a: held open on the client, so its
# cookie stays and is invalidated; b: one page changed, its inode evicted
# first, so the lookup finds the old object), grown (c) and shrunk (d).  The
# client (actimeo=0) must read the new bytes, then, after drop_caches, the
# new bytes again from the refilled cache.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
mkdata $S/a 2 1
mkdata $S/b 2 2
mkdata $S/c 2 3
mkdata $S/d 2 4
files="a b c d"
declare -A want
check_all() { # verify every file against the server's copy
	local f
	for f in $files; do
		want[$f]=$(sum $S/$f)
		verify $M/$f "${want[$f]}"
	done
}
total_pages() { local f n=0; for f in $files; do n=$((n + $(pages $S/$f))); done; echo $n; }
nfs_mount 3 $S $M actimeo=0

cold_read $M "$(total_pages)" check_all
warm_read $M "$(total_pages)" check_all
old_a=${want[a]} old_b=${want[b]} old_c=${want[c]} old_d=${want[d]}

exec 3< $M/a			# keeps a's inode and cookie
drop_caches			# b, c, d: inodes and cookies go
sleep 1
mkdata /tmp/new 2 11
dd if=/tmp/new of=$S/a conv=notrunc status=none	# same size, new bytes
dd if=/tmp/new of=$S/b bs=4096 seek=100 skip=100 count=1 conv=notrunc status=none
mkdata $S/c 3 13		# grown, new bytes
mkdata $S/d 1 14		# shrunk, new bytes
stat -c '%n %s %y' $S/*

inv0=$(cs_stat /mnt/cache invalidates) st0=$(cs_stat /mnt/cache stale)
check_all			# new bytes, from the server
for f in a b c d; do
	o=old_$f
	[ "${want[$f]}" != "${!o}" ] || fail "$f did not change on the server"
done
log "after the change: new bytes read; cachestore invalidates +$(($(cs_stat /mnt/cache invalidates) - inv0))"
exec 3<&-
warm_read $M "$(total_pages)" check_all	# new bytes, now from the cache
cat /mnt/cache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
