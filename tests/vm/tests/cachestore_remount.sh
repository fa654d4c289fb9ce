#!/bin/bash
# vm: disks=cache:64M timeout=600
# Mount options through fs_context, shown and retuned live (issue 15):
#  1. /proc/mounts shows every option in effect, defaults included.
#  2. mount -o remount changes what it names (commit, discard, rbufs) and
#     keeps the rest.
#  3. A remount whose marks do not hold, that changes the tag, asks for
#     read-only or names an unknown option is refused with a kernel message
#     saying why, and changes nothing.
#  4. New marks take effect without unmounting: a cache filled with 300
#     objects culls down to an frun set by remount, while bound.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
MNT=/mnt/cache
TFS_VERBOSE=0

"$CS_REPO/build/bin/mkcachestore" -q -f -N 400 -L rmt "$CS_DISK_CACHE" || fail "mkcachestore"
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
mkdir -p "$MNT"

# opts: the options /proc/mounts shows for the cache
opts() { awk -v m="$MNT" '$2 == m && $3 == "cachestore" { print $4 }' /proc/mounts; }
# want_opts WHAT EXPECTED
want_opts() {
	local got
	got=$(opts)
	[ "$got" = "$2" ] || fail "$1: /proc/mounts shows '$got', want '$2'"
	log "$1: $got"
}
# refused WHAT OPTS MESSAGE: a remount with OPTS fails, the kernel says
# MESSAGE, and the options in effect stay
refused() {
	local before
	before=$(opts)
	dmesg -C
	if mount -o "remount,$2" "$MNT" 2>/tmp/err; then
		fail "$1: remount -o $2 accepted"
	fi
	dmesg | grep -qF "$3" || fail "$1: no kernel message '$3' (dmesg: $(dmesg | tail -n 3))"
	[ "$(opts)" = "$before" ] || fail "$1: options changed to '$(opts)'"
	log "$1: refused ($(cat /tmp/err))"
}

# --- 1. what is in effect, defaults included -----------------------------------
mount -t cachestore -o commit=3000,cull=1,run=2 "$CS_DISK_CACHE" "$MNT" || fail "mount"
want_opts "bound" "rw,relatime,tag=rmt,commit=3000,discard,rbufs=64,protect=75,brun=2,bcull=1,bstop=0,frun=2,fcull=1,fstop=0"

# --- 2. remount changes what it names -----------------------------------------
mount -o remount,commit=500,nodiscard,rbufs=8,protect=60 "$MNT" || fail "remount commit=500,nodiscard,rbufs=8,protect=60"
want_opts "remounted" "rw,relatime,tag=rmt,commit=500,nodiscard,rbufs=8,protect=60,brun=2,bcull=1,bstop=0,frun=2,fcull=1,fstop=0"
dmesg | grep -q 'cachestore rmt: remounted: commit=500,nodiscard,rbufs=8,protect=60' ||
	fail "no kernel message for the remount"

# --- 3. refused remounts change nothing -----------------------------------------
refused "marks that do not hold" bstop=5 "cachestore: bstop (5) < bcull (1) < brun (2) < 100 does not hold"
refused "a mark out of range" fcull=100 "the marks take 0 to 99"
refused "another tag" tag=other "the tag cannot change on remount"
refused "read-only" ro "a cache cannot be made read-only"
refused "an unknown option" bogus=1 "Unknown parameter 'bogus'"
refused "commit out of range" commit=5 "commit= takes 10 to 600000 ms"
refused "protect out of range" protect=101 "protect= takes 0 to 100"
grep -q "^$CS_DISK_CACHE $MNT cachestore rw," /proc/mounts || fail "the cache is no longer bound read-write"

# --- 4. new marks take effect while bound ----------------------------------------
tfs_load
tfs_ok vol_acquire v key=test,remount
tfs_ok stress vol=v id=fill threads=2 cookies=300 ops=1 len=16k seed=4
tfs_expect fail 0
tfs_ok vol_relinquish v
tfs_unload
live=$(cs_stat "$MNT" objects_live)
slots=$(cs_stat "$MNT" objects_max)
[ "$live" -eq 300 ] || fail "$live objects after the fill, not 300"
culls0=$(cs_stat "$MNT" culls)
# just above where the slots stand, and a run mark ten points higher
fcull=$(( (slots - live) * 100 / slots + 1 ))
frun=$((fcull + 10))
mount -o "remount,fcull=$fcull,frun=$frun" "$MNT" || fail "remount fcull=$fcull,frun=$frun"
for i in $(seq 40); do
	live=$(cs_stat "$MNT" objects_live)
	[ $(( (slots - live) * 100 )) -ge $((slots * frun)) ] &&
		[ "$(cs_stat "$MNT" objects_dying)" -eq 0 ] && break
	sleep 0.5
done
live=$(cs_stat "$MNT" objects_live)
log "remount fcull=$fcull,frun=$frun: $live of $slots slots used, $(( $(cs_stat "$MNT" culls) - culls0 )) culled"
[ $(( (slots - live) * 100 )) -ge $((slots * frun)) ] || fail "frun=$frun set by remount not reached: $live of $slots slots used"
want_opts "after culling" "rw,relatime,tag=rmt,commit=500,nodiscard,rbufs=8,protect=60,brun=2,bcull=1,bstop=0,frun=$frun,fcull=$fcull,fstop=0"
umount "$MNT"
cs_fsck "$CS_DISK_CACHE"
log ok
