#!/bin/bash
# vm: disks=cache:1G timeout=300
# fsck after a normal session: NFSv3 and NFSv4.2 (two volumes) cold and warm
# passes over several files, one changed on the server (its object gets a new
# generation), one deleted; after unbind, fsck.cachestore -n exits 0 (clean)
# and counts the objects the cache had.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export
for i in 1 2 3 4; do mkdata $S/f$i 1 $i; done
head -c 10000 $S/f1 > $S/small
nfs_mount 3 $S /mnt/v3 actimeo=0
nfs_mount 4.2 $S /mnt/v4 actimeo=0
files="f1 f2 f3 f4 small"
check() { local f m; for m in /mnt/v3 /mnt/v4; do for f in $files; do verify $m/$f "$(sum $S/$f)"; done; done; }
n=0; for f in $files; do n=$((n + $(pages $S/$f))); done
cold_read /mnt/v3 $((2 * n)) check
warm_read /mnt/v3 "$n" check
warm_read /mnt/v4 "$n" check

sleep 1
mkdata $S/f2 1 22		# changed on the server
rm $S/f3			# deleted on the server
files="f1 f2 f4 small"
check
[ ! -e /mnt/v3/f3 ] && [ ! -e /mnt/v4/f3 ] || fail "f3 still visible"
drop_caches
check
live=$(cs_stat /mnt/cache objects_live) dying=$(cs_stat /mnt/cache objects_dying)
log "before unbind: objects_live $live, objects_dying $dying, volumes $(cs_stat /mnt/cache volumes)"
umount /mnt/v3 /mnt/v4
cachestore_unbind /mnt/cache

out=$("$CS_REPO/build/bin/fsck.cachestore" -n -v "$CS_DISK_CACHE") || {
	rc=$?; echo "$out"; fail "fsck.cachestore -n exited $rc after a normal session"; }
echo "$out"
grep -q "clean" <<< "$out" || fail "fsck did not report the cache clean"
objs=$(sed -n 's/.*clean, \([0-9]*\)\/.*/\1/p' <<< "$out")
log "fsck: clean, $objs objects"
[ "${objs:-0}" -ge 5 ] || fail "fsck counts ${objs:-no} objects; the session made at least 5"
kernel_clean
log ok
