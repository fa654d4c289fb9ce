#!/bin/bash
# vm: disks=cache:1G,srv:256M timeout=300
# A file deleted on the server: the client (actimeo=0) gets ENOENT, and a
# new file made under the same name (ext4 export: it usually gets the same
# inode number, with a new generation) never shows the old content, cold or
# warm.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export "$CS_DISK_SRV"
S=/srv/export M=/mnt/nfs
mkdata $S/x 2 1
old=$(sum $S/x) ino_old=$(stat -c %i $S/x)
nfs_mount 3 $S $M actimeo=0
n=$(pages $S/x)
cold_read $M "$n" verify $M/x "$old"
warm_read $M "$n" verify $M/x "$old"

rm $S/x
sync
if err=$(cat $M/x 2>&1 >/dev/null); then
	fail "$M/x still readable after its deletion on the server"
fi
case $err in *"No such file"*) ;; *) fail "reading the deleted file: $err (want ENOENT)" ;; esac
[ ! -e $M/x ] || fail "$M/x still exists"
log "deleted on the server: client gets ENOENT ($err)"

mkdata $S/x 2 2
new=$(sum $S/x) ino_new=$(stat -c %i $S/x)
[ "$new" != "$old" ] || fail "the new file has the old bytes"
log "recreated: inode $ino_old -> $ino_new"
verify $M/x "$new"
drop_caches
verify $M/x "$new"
warm_read $M "$n" verify $M/x "$new"
cat /mnt/cache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
