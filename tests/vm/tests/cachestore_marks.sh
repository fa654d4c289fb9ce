#!/bin/bash
# vm: disks=cache:64M timeout=900
# The culling marks, cachefilesd's: brun/bcull/bstop on free blocks and
# frun/fcull/fstop on free object slots, each pair on its own (issue 13).
#  1. Marks that do not hold stop < cull < run < 100 are refused.
#  2. Block marks alone: a cache with 3/4 of its slots used but some 92 %
#     of its blocks free, bound with bcull and brun 1 and 2 points above
#     that, culls until brun is reached and no further: most objects stay
#     (with one pair for both, as before, the slot count below brun would
#     cull nearly all).
#  3. Slot marks alone, changed at run time: bound with the default marks
#     (nothing to cull), then frun=85 and fcull=80 written to sysfs: culling
#     starts at once (long before the 30 s commit interval) and goes down to
#     15 % of the slots used, whatever the blocks; marks lowered again stop
#     it (nothing more culled as objects are created).
#  4. bstop: with every object in use (nothing to cull), writes fail with
#     ENOBUFS once free blocks fall below bstop=50, not when the device is
#     full; fscache counts them (NoSpace nwr).
#  5. fstop: with every object in use, no object is created below fstop=50
#     (NoSpace ncr); the cookies go uncached.
# Culling starts at bind, not at the first commit interval (commit=30000
# here): each cull must be done long before 30 s.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
MKFS=$CS_REPO/build/bin/mkcachestore
MNT=/mnt/cache
TFS_VERBOSE=0

"$MKFS" -q -f -N 400 "$CS_DISK_CACHE" || fail "mkcachestore"
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
mkdir -p "$MNT"

# --- 1. marks that do not hold are refused ------------------------------------
for o in bstop=7 bcull=10,brun=10 frun=100 fcull=2,fstop=5 cull=50,run=40 bcull=abc; do
	if mount -t cachestore -o "$o" "$CS_DISK_CACHE" "$MNT" 2>/dev/null; then
		umount "$MNT"
		fail "mount -o $o was accepted"
	fi
done
dmesg | grep -q 'cachestore: bstop (7) < bcull (7) < brun (10) < 100 does not hold' ||
	fail "no message naming the marks that do not hold"
log "marks that do not hold: refused"

bind() { # OPTS
	mount -t cachestore -o "commit=30000${1:+,$1}" "$CS_DISK_CACHE" "$MNT" || fail "mount -o $1"
}
# wait_cull WHAT: wait for culling to end (the culls count stops moving for
# a second and no object is dying), at most 25 s after bind: well before
# the first commit interval (30 s), however loaded the host
wait_cull() {
	local t0 last=-1 n i
	t0=$(date +%s%3N)
	for i in $(seq 50); do
		n=$(cs_stat "$MNT" culls)
		[ "$n" = "$last" ] && [ "$(cs_stat "$MNT" objects_dying)" -eq 0 ] && break
		last=$n
		sleep 0.5
	done
	log "$1: $(cs_stat "$MNT" culls) culled in about $(( $(date +%s%3N) - t0 )) ms;" \
		"$(cs_stat "$MNT" objects_live) objects live," \
		"$(cs_stat "$MNT" blocks_free) of $(cs_stat "$MNT" blocks_data) blocks free"
	[ $(( $(date +%s%3N) - t0 )) -lt 25000 ] || fail "$1: culling took past the first commit interval"
}

# --- fill: 300 objects of 16 KiB, nothing culled -----------------------------------
bind cull=1,run=2
tfs_load
tfs_ok vol_acquire v key=test,marks
tfs_ok stress vol=v id=fill threads=2 cookies=300 ops=1 len=16k seed=4
tfs_expect fail 0
tfs_ok vol_relinquish v
live=$(cs_stat "$MNT" objects_live)
[ "$live" -eq 300 ] || fail "$live objects after the fill, not 300"
slots=$(cs_stat "$MNT" objects_max)
data=$(cs_stat "$MNT" blocks_data) free=$(cs_stat "$MNT" blocks_free)
umount "$MNT"

# --- 2. block marks alone ---------------------------------------------------------
# just above where the blocks stand: some 2 % of them, about 75 objects
bcull=$((free * 100 / data + 1))
brun=$((bcull + 1))
bind "bcull=$bcull,brun=$brun"
wait_cull "bcull=$bcull,brun=$brun"
free=$(cs_stat "$MNT" blocks_free)
live=$(cs_stat "$MNT" objects_live)
[ $((free * 100)) -ge $((data * brun)) ] || fail "free blocks $free of $data: brun=$brun not reached"
# a batch (cull.c: CACHESTORE_CULL_BATCH, 32) of objects of 4 blocks past
# the mark at most
[ $(( (free - 32 * 4) * 100)) -lt $((data * brun)) ] || fail "culled past brun: $free of $data blocks free"
[ "$live" -ge 150 ] || fail "block marks culled $((300 - live)) of 300 objects (slot counts drove it?)"
umount "$MNT"

# --- 3. slot marks alone, changed at run time ------------------------------------
bind ""
SYS=/sys/fs/cachestore/${CS_DISK_CACHE#/dev/}
sleep 1
[ "$(cs_stat "$MNT" culls)" -eq 0 ] || fail "the default marks culled $(cs_stat "$MNT" culls) objects"
# (in an order that keeps stop < cull < run at every step)
echo 85 > $SYS/frun || fail "frun=85 through sysfs"
echo 80 > $SYS/fcull || fail "fcull=80 through sysfs"
grep -q " $MNT cachestore .*,frun=85,fcull=80," /proc/mounts || fail "/proc/mounts: $(grep " $MNT " /proc/mounts)"
wait_cull "fcull=80,frun=85 (sysfs, at run time)"
live=$(cs_stat "$MNT" objects_live)
[ $(( (slots - live) * 100 )) -ge $((slots * 85)) ] || fail "$live of $slots slots used: frun=85 not reached"
[ $(( (slots - live - 32) * 100 )) -lt $((slots * 85)) ] || fail "culled past frun: $live of $slots slots used"
# lowered again: objects created past the old cull mark stay
echo 10 > $SYS/fcull && echo 20 > $SYS/frun || fail "fcull=10,frun=20 through sysfs"
culls=$(cs_stat "$MNT" culls)
tfs_ok vol_acquire v key=test,marks
tfs_ok stress vol=v id=more threads=2 cookies=60 ops=1 len=16k seed=6
tfs_ok vol_relinquish v
sleep 1.5
[ "$(cs_stat "$MNT" culls)" -eq "$culls" ] ||
	fail "culled $(( $(cs_stat "$MNT" culls) - culls )) objects after fcull=10: the lowered mark did not take"
[ "$(cs_stat "$MNT" objects_live)" -eq $((live + 60)) ] || fail "$(cs_stat "$MNT" objects_live) live, want $((live + 60))"
log "fcull=10,frun=20 (sysfs): 60 objects created, none culled"
umount "$MNT"

# --- 4. bstop: every object in use, writes refused below 50 % free -----------------
bind bstop=50,bcull=60,brun=70
tfs_ok vol_acquire v key=test,marks,stop
nwr0=$(fscache_stat NoSpace nwr)
refused=""
for c in $(seq 1 14); do
	tfs_ok cookie_acquire b$c vol=v key=b$c size=4m
	tfs_ok use b$c
	for m in 0 1 2 3; do
		if ! tfs_q write b$c off=${m}m len=1m seed=$c; then
			[ "$(tfs_errno)" = ENOBUFS ] || fail "write b$c +${m}M: $TFS_REPLY"
			refused=${refused:-$(cs_stat "$MNT" blocks_free)}
		fi
	done
done
data=$(cs_stat "$MNT" blocks_data)
[ -n "$refused" ] || fail "no write refused with 56 MiB written in use into $data blocks"
log "bstop=50: first write refused with $refused of $data blocks free"
[ $((refused * 100)) -lt $((data * 50)) ] || fail "a write refused above bstop ($refused of $data free)"
[ $((refused * 100)) -ge $((data * 40)) ] || fail "writes went on far below bstop ($refused of $data free)"
[ $(($(fscache_stat NoSpace nwr) - nwr0)) -gt 0 ] || fail "fscache counted no write without space"
tfs_ok reset
tfs_load
umount "$MNT"

# --- 5. fstop: every object in use, no new object below 50 % free slots --------------
bind fstop=50,fcull=60,frun=70,bcull=1,brun=2
live0=$(cs_stat "$MNT" objects_live)
tfs_ok vol_acquire v key=test,marks,fstop
ncr0=$(fscache_stat NoSpace ncr)
for c in $(seq 1 $((slots * 3 / 4))); do
	tfs_ok cookie_acquire f$c vol=v key=f$c size=4k
	tfs_ok use f$c
	tfs_ok settle f$c
done
live=$(cs_stat "$MNT" objects_live)
ncr=$(($(fscache_stat NoSpace ncr) - ncr0))
log "fstop=50: $live of $slots slots used ($live0 before), $ncr creations refused"
[ $(( (slots - live) * 100 )) -ge $((slots * 50 - 100)) ] || fail "objects created below fstop: $live of $slots slots used"
[ "$ncr" -gt 0 ] || fail "fscache counted no creation without space"
tfs_ok reset
umount "$MNT"
cs_fsck "$CS_DISK_CACHE"
log ok
