#!/bin/bash
# vm: disks=cache:64M timeout=900
# Volume table full (issue 11): 64 slots (mkcachestore's default) and more
# volumes than that, from test_fscache (distinct keys) and from NFS (one
# volume per mount).
#
#  - Volumes 65 and on are not cached: the kernel says so (error -28), once
#    however many lookups ask again, the cache stays in service, their
#    cookies get ENOBUFS, an NFS mount among them reads the server's bytes
#    and nothing of it is written to the cache; the cached volumes keep
#    serving their data.
#  - A volume whose coherency data changed is retired: with no object
#    naming its slot, the slot is reused at once for the fresh volume.
#  - Retired volumes whose objects remain keep their slots, so the fresh
#    volumes under those keys are not cached either, until culling has
#    removed the old objects (a stress run fills the object table, cold
#    objects are culled); then their slots are reused: the same key gets
#    a slot again and finds none of its old data (a miss, never the old
#    bytes), and the NFS mount, mounted again, is cached, warm from the
#    cache.
# fsck -n is clean after unbinding.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

# vol_cached NAME: wait for fscache to have the volume created; true when
# the cache took it (cache_priv=1)
vol_cached() {
	local i
	for i in $(seq 1 200); do
		tfs_ok vol_state "$1"
		tfs_flag CREATING || break
		sleep 0.05
	done
	tfs_flag CREATING && fail "volume $1 still being created: $TFS_REPLY"
	[ "$(tfs_get cache_priv)" = 1 ]
}
# vol NAME KEY COH: acquire (the key is test,KEY) and say whether cached
vol() {
	tfs_ok vol_acquire "$1" "key=test,$2" "coh=$3"
	tfs_expect null 0
	vol_cached "$1"
}
volumes() { cs_stat /mnt/cache volumes; }
# refusals: how many times the kernel logged a volume refused for want of
# a slot (fscache asks again at every cookie lookup: it must not flood)
refusals() { dmesg | grep -c "error -28; not caching it" || true; }

CS_MKFS_OPTS="-N 64" cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
mkdata /srv/export/f 1 5
want=$(sum /srv/export/f)
TFS_VERBOSE=0 tfs_load

# --- fill the table: 64 volumes, four of them with data ------------------------
for i in $(seq 1 64); do
	vol v$i vt$i c1 || fail "volume $i of 64 not cached: $TFS_REPLY"
done
[ "$(volumes)" -eq 64 ] || fail "$(volumes) volumes in the table, not 64"
for i in 1 2 4 6; do
	tfs_ok cookie_acquire c$i vol=v$i key=k$i size=256k
	tfs_ok use c$i
	tfs_ok write c$i off=0 len=256k seed=$i
	tfs_ok read c$i off=0 len=256k seed=$i hole=fail
done
# c1 stays in use; the others are kept (not retired) but no longer used
for i in 2 4 6; do tfs_ok relinquish c$i; done
sync -f /mnt/cache

# --- one more volume: not cached -------------------------------------------------
vol v65 vt65 c1 && fail "a 65th volume was cached: $TFS_REPLY"
dmesg | grep -q "cachestore cachestore: volume test,vt65: error -28; not caching it" ||
	fail "no message for the volume beyond the table"
[ "$(volumes)" -eq 64 ] || fail "$(volumes) volumes in the table, not 64"
[ "$(cs_stat /mnt/cache state)" = active ] || fail "a full volume table took the cache offline"
tfs_ok cookie_acquire x65 vol=v65 key=k1 size=256k
tfs_ok use x65
tfs_err ENOBUFS write x65 off=0 len=256k seed=1
tfs_err ENOBUFS read x65 off=0 len=256k seed=1 hole=fail
tfs_ok relinquish x65
# the cached ones keep serving, reads and writes
tfs_ok read c1 off=0 len=256k seed=1 hole=fail
tfs_ok write c1 off=256k len=64k seed=1 isize=320k
tfs_ok read c1 off=0 len=320k seed=1 hole=fail

# NFS: its volume is one too many; reads are the server's, nothing cached
wr0=$(fscache_stat IO wr)
nfs_mount 3 /srv/export /mnt/nfs
verify /mnt/nfs/f "$want"
drop_caches
verify /mnt/nfs/f "$want"
[ "$(fscache_stat IO wr)" -eq "$wr0" ] || fail "NFS wrote to the cache without a volume"
[ "$(nfs_fsc_stat /mnt/nfs 0)" -eq 0 ] || fail "NFS read from the cache without a volume"
umount /mnt/nfs
dmesg | grep "not caching it"
[ "$(refusals)" -eq 1 ] || fail "the full volume table was logged $(refusals) times, not once"

# --- retire an empty volume: its slot is reused at once ------------------------
tfs_ok vol_relinquish v3
vol v3 vt3 c2 || fail "the retired empty volume's slot was not reused: $TFS_REPLY"
dmesg | grep -q "volume test,vt3: coherency data changed" || fail "no retire message for vt3"
[ "$(volumes)" -eq 64 ] || fail "$(volumes) volumes in the table after reusing a slot"
tfs_ok cookie_acquire c3 vol=v3 key=k3 size=64k
tfs_ok use c3
tfs_ok write c3 off=0 len=64k seed=3
tfs_ok read c3 off=0 len=64k seed=3 hole=fail
tfs_ok relinquish c3 retire	# leaves no object naming vt3's slot

# --- retire volumes that still have objects: no slot until they are culled -------
for i in 2 4 6; do
	tfs_ok vol_relinquish v$i
	vol v$i vt$i c2 && fail "volume vt$i cached while every slot is named: $TFS_REPLY"
	dmesg | grep -q "volume test,vt$i: coherency data changed" || fail "vt$i not retired"
	tfs_ok cookie_acquire c$i vol=v$i key=k$i size=256k
	tfs_ok use c$i
	tfs_err ENOBUFS read c$i off=0 len=256k seed=$i hole=fail
	tfs_ok relinquish c$i
	tfs_ok vol_relinquish v$i
done
[ "$(volumes)" -eq 64 ] || fail "$(volumes) volumes in the table"
# vt3 got a slot in between: the full table is logged once more
[ "$(refusals)" -eq 2 ] || fail "the full volume table was logged $(refusals) times, not twice"

# Fill the object table from a cached volume: every slot used (some cookies
# get none: ENOBUFS, never wrong bytes); the commit culls the coldest
# objects no cookie uses, the retired volumes' among them.
culls0=$(cs_stat /mnt/cache culls)
tfs_q stress vol=v5 id=s threads=2 cookies=120 ops=1 len=4k seed=9 miss_ok=1 ||
	fail "stress: $TFS_REPLY"
log "stress: $TFS_REPLY"
[ "$(tfs_get nobufs)" -gt 0 ] || fail "no cookie was refused with the object table full: $TFS_REPLY"
for _ in $(seq 1 20); do
	sync -f /mnt/cache
	[ "$(cs_stat /mnt/cache objects_dying)" -eq 0 ] &&
		[ "$(cs_stat /mnt/cache culls)" -gt "$culls0" ] && break
	sleep 0.5
done
grep -E '^(objects_|volumes|culls)' /mnt/cache/stats
[ "$(cs_stat /mnt/cache culls)" -gt "$culls0" ] || fail "nothing culled with the object table full"

# vt2 again: a freed slot, and none of its old data
vol v2 vt2 c3 || fail "no slot for vt2 after its old objects were culled: $TFS_REPLY"
tfs_ok cookie_acquire c2 vol=v2 key=k2 size=256k
tfs_ok use c2
tfs_err ENODATA read c2 off=0 len=256k hole=fail
tfs_ok write c2 off=0 len=256k seed=22
tfs_ok read c2 off=0 len=256k seed=22 hole=fail
# NFS again: another freed slot, cold then warm from the cache
nfs_mount 3 /srv/export /mnt/nfs
n=$(pages /srv/export/f)
cold_read /mnt/nfs "$n" verify /mnt/nfs/f "$want"
sync -f /mnt/cache
warm_read /mnt/nfs "$n" verify /mnt/nfs/f "$want"
umount /mnt/nfs
# c1, in use all along, still holds its data
tfs_ok read c1 off=0 len=320k seed=1 hole=fail
[ "$(volumes)" -eq 64 ] || fail "$(volumes) volumes in the table at the end"

tfs_unload
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean "volume table full"
log ok
