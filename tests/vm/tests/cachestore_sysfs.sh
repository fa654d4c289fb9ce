#!/bin/bash
# vm: disks=cache:1G timeout=900 smp=2
# /sys/fs/cachestore/DEV and eviction by hand (issue 15):
#  1. The directory appears at bind, named after the device, with the
#     cache's tag, uuid (cachestore-probe's) and label; it goes at unbind.
#  2. Every tunable reads what /proc/mounts shows; a write changes it there
#     too (and a remount changes what sysfs shows); writes out of range,
#     malformed, or marks that do not hold are refused and change nothing.
#  3. stats/ has one file per counter of the stats file, and no other, with
#     the same values while nothing moves; meta_read_us counted the
#     bind's metadata reads.
#  4. Over NFSv3 and NFSv4.2 (two volumes, their files cached and their
#     cookies still in use): evicting the NFSv3 volume deletes its objects
#     only; its files read back right from the server, the NFSv4.2 files
#     are still served by the cache; after a remount of NFSv3 they are
#     cached again.  "all" empties the cache (every block free again) while
#     readers verify every byte; bad volume ids are refused.
#  5. fsck finds the cache clean; no kernel warning.
. "$CS_REPO/tests/vm/lib.sh"
C=/mnt/cache S=/srv/export
dev=${CS_DISK_CACHE#/dev/}
SYS=/sys/fs/cachestore/$dev

"$CS_REPO/build/bin/mkcachestore" -q -f -L sysfst "$CS_DISK_CACHE" || fail "mkcachestore"
touch "/tmp/.cs-formatted-$dev"
cachestore_bind "$CS_DISK_CACHE" $C

# --- 1. the directory ----------------------------------------------------------------
[ -d "$SYS" ] || fail "no $SYS after binding (/sys/fs/cachestore: $(ls /sys/fs/cachestore 2>&1))"
[ "$(cat $SYS/tag)" = sysfst ] || fail "tag: '$(cat $SYS/tag)', want sysfst (the label)"
[ "$(cat $SYS/label)" = sysfst ] || fail "label: '$(cat $SYS/label)'"
uuid=$("$CS_REPO/build/bin/cachestore-probe" -o udev "$CS_DISK_CACHE" | sed -n 's/^ID_FS_UUID=//p')
[ -n "$uuid" ] && [ "$(cat $SYS/uuid)" = "$uuid" ] ||
	fail "uuid: sysfs '$(cat $SYS/uuid)', cachestore-probe '$uuid'"
[ "$(cat $SYS/state)" = active ] || fail "state: '$(cat $SYS/state)'"
for f in blocks_total blocks_data blocks_free objects_max objects_live objects_probation objects_dying volumes journal_blocks journal_used objcache_hits objcache_objects objcache_max; do
	[ "$(cat $SYS/$f)" = "$(cs_stat $C $f)" ] ||
		fail "$f: sysfs '$(cat $SYS/$f)', stats file '$(cs_stat $C $f)'"
done
log "sysfs $SYS: tag, label, uuid $uuid, state and space agree with the stats file"

# --- 2. tunables -----------------------------------------------------------------------
opts() { awk -v m="$C" '$2 == m && $3 == "cachestore" { print $4 }' /proc/mounts; }
# mount_opt NAME: NAME's value in /proc/mounts (discard: 1 or 0)
mount_opt() {
	case $1 in
	discard) opts | tr , '\n' | grep -qx discard && echo 1 || echo 0 ;;
	*) opts | tr , '\n' | sed -n "s/^$1=//p" ;;
	esac
}
tunables="commit discard rbufs protect brun bcull bstop frun fcull fstop"
for t in $tunables; do
	[ "$(cat $SYS/$t)" = "$(mount_opt $t)" ] ||
		fail "$t: sysfs '$(cat $SYS/$t)', /proc/mounts '$(mount_opt $t)'"
done
# set NAME VALUE: a write that must take effect
set_ok() {
	echo "$2" > "$SYS/$1" || fail "echo $2 > $SYS/$1 refused"
	[ "$(cat $SYS/$1)" = "$2" ] && [ "$(mount_opt $1)" = "$2" ] ||
		fail "$1=$2: sysfs '$(cat $SYS/$1)', /proc/mounts '$(mount_opt $1)'"
}
set_ok commit 2500
set_ok rbufs 7
set_ok protect 40
set_ok discard 0
set_ok discard 1
set_ok brun 20
set_ok bcull 15
set_ok bstop 5
set_ok fcull 8
# refused NAME VALUE ERRNO-TEXT [KERNEL-MESSAGE]: nothing changes
refused() {
	local before err
	before=$(opts)
	dmesg -C
	if err=$( (echo "$2" > "$SYS/$1") 2>&1 ); then
		fail "echo '$2' > $1 accepted"
	fi
	grep -q "$3" <<< "$err" || fail "echo '$2' > $1: '$err', want '$3'"
	[ -z "${4:-}" ] || dmesg | grep -qF "$4" || fail "echo '$2' > $1: no kernel message '$4'"
	[ "$(opts)" = "$before" ] || fail "echo '$2' > $1 changed the options to $(opts)"
	log "echo '$2' > $1: refused (${err##*: })"
}
refused bstop 16 "Invalid argument" "cachestore: bstop (16) < bcull (15) < brun (20) < 100 does not hold"
refused frun 8 "Invalid argument" "cachestore: fstop (3) < fcull (8) < frun (8) < 100 does not hold"
refused brun 100 "Numerical result out of range"
refused commit 5 "Numerical result out of range"
refused rbufs 4097 "Numerical result out of range"
refused protect 101 "Numerical result out of range"
refused commit abc "Invalid argument"
refused discard maybe "Invalid argument"
refused tag x "Permission denied"
# and the other way: a remount shows in sysfs
mount -o remount,commit=1000,brun=10,bcull=7,bstop=3,fcull=7 $C || fail "remount"
for t in commit brun bcull bstop fcull; do
	[ "$(cat $SYS/$t)" = "$(mount_opt $t)" ] || fail "after remount, $t: sysfs '$(cat $SYS/$t)', /proc/mounts '$(mount_opt $t)'"
done
log "tunables: sysfs and /proc/mounts agree both ways: $(opts)"

# --- 3. stats/ --------------------------------------------------------------------------
names=$(sed -n '/^journal_used:/,$p' $C/stats | sed 1d | cut -d: -f1 | sort)
files=$(ls $SYS/stats | sort)
[ -n "$names" ] && [ "$names" = "$files" ] ||
	fail "stats/ holds '$(echo $files)', the stats file's counters are '$(echo $names)'"
# nothing moves while the commit worker sleeps for ten minutes
echo 600000 > $SYS/commit
sleep 1
for n in $names; do
	sv=$(cat $SYS/stats/$n) fv=$(cs_stat $C $n)
	[ "$sv" = "$fv" ] || fail "stats/$n: '$sv', stats file '$fv'"
done
# the metadata I/O counters: the bind read the superblock, the journal and
# the state block, and replay flushed its checkpoint
for f in meta_reads meta_writes meta_flushes checkpoints; do
	[ "$(cat $SYS/$f)" = "$(cs_stat $C $f)" ] ||
		fail "$f: sysfs '$(cat $SYS/$f)', stats file '$(cs_stat $C $f)'"
done
[ "$(cs_stat $C meta_reads)" -gt 0 ] && [ "$(cs_stat $C meta_flushes)" -gt 0 ] ||
	fail "after a bind: meta_reads $(cs_stat $C meta_reads), meta_flushes $(cs_stat $C meta_flushes)"
# and the reads were waited for: meta_read_us counts that time
[ "$(cs_stat $C meta_read_us)" -gt 0 ] ||
	fail "after a bind that read $(cs_stat $C meta_reads) metadata blocks: meta_read_us $(cs_stat $C meta_read_us)"
echo 1000 > $SYS/commit
log "stats/: $(echo "$names" | wc -l) counters, as in the stats file"

# --- 4. eviction -------------------------------------------------------------------------
nfs_server $S
for i in 1 2 3 4; do mkdata $S/f$i 2 "$i"; done
files="f1 f2 f3 f4"
n=0; for f in $files; do n=$((n + $(pages $S/$f))); done
nfs_mount 3 $S /mnt/v3
nfs_mount 4.2 $S /mnt/v4
check() { local m f; for m in "$@"; do for f in $files; do verify $m/$f "$(sum $S/$f)"; done; done; }
cold_read /mnt/v3 "$n" check /mnt/v3
cold_read /mnt/v4 "$n" check /mnt/v4
warm_read /mnt/v3 "$n" check /mnt/v3
warm_read /mnt/v4 "$n" check /mnt/v4
sync; sleep 2	# the objects committed (the commit interval is 1 s)
cat $C/volumes
[ "$(wc -l < $C/volumes)" -eq 2 ] || fail "$(wc -l < $C/volumes) volumes listed, want 2"
v3=$(awk '$2 == "live" && $3 ~ /^nfs,3\.0,/ { print $1 }' $C/volumes)
v4=$(awk '$2 == "live" && $3 ~ /^nfs,4\.2,/ { print $1 }' $C/volumes)
[ -n "$v3" ] && [ -n "$v4" ] || fail "the NFSv3 and NFSv4.2 volumes are not both listed"
live0=$(cat $SYS/objects_live)
[ "$live0" -ge 8 ] || fail "$live0 objects live, want >= 8 (4 files, 2 volumes)"

refused evict 0 "Invalid argument"
refused evict bogus "Invalid argument"
refused evict 4000000000 "Invalid argument"

# the NFSv3 files stay open through the eviction: their cookies are in use
exec 3<"/mnt/v3/f1" 4<"/mnt/v3/f2" 5<"/mnt/v3/f3" 6<"/mnt/v3/f4"
dmesg -C
echo "$v3" > $SYS/evict || fail "echo $v3 > evict refused"
dmesg | grep -q "cachestore sysfst: evicted [0-9]* objects of volume $v3" ||
	fail "no kernel message for the eviction of volume $v3 ($(dmesg | tail -n 2))"
live1=$(cat $SYS/objects_live)
ev=$(cat $SYS/stats/evictions)
log "evicted volume $v3 (NFSv3): objects_live $live0 -> $live1, evictions $ev"
[ "$ev" -eq $((live0 - live1)) ] && [ "$ev" -ge 4 ] ||
	fail "evictions $ev, objects_live $live0 -> $live1: want >= 4 evicted and counted"
[ "$live1" -ge 4 ] || fail "the NFSv4.2 volume lost its objects too ($live1 live)"
# the NFSv3 files, held open (their cookies in use), come from the server,
# right, and do not hit the cache
h0=$(cat $SYS/stats/read_hit_pages)
drop_caches
check /mnt/v3
h1=$(cat $SYS/stats/read_hit_pages)
[ "$h1" -eq "$h0" ] || fail "after its eviction, NFSv3 reads hit the cache ($((h1 - h0)) pages)"
exec 3<&- 4<&- 5<&- 6<&-
# the NFSv4.2 files are still in the cache
warm_read /mnt/v4 "$n" check /mnt/v4
# NFSv3 again, its cookies new: cached again
umount /mnt/v3
drop_caches
nfs_mount 3 $S /mnt/v3
check /mnt/v3
warm_read /mnt/v3 "$n" check /mnt/v3
log "NFSv3 cached again after the eviction of its volume"

# "all" while readers verify every byte, five times over
reader() {
	local m=$1 end=$((SECONDS + 40))
	while [ $SECONDS -lt $end ] && [ ! -e /tmp/stop-readers ]; do
		drop_caches
		check "$m" || exit 1
	done
}
rm -f /tmp/stop-readers
reader /mnt/v3 & r1=$!
reader /mnt/v4 & r2=$!
for i in 1 2 3 4 5; do
	sleep 2
	echo all > $SYS/evict || fail "echo all > evict refused (round $i)"
	log "evict all, round $i: objects_live $(cat $SYS/objects_live), evictions $(cat $SYS/stats/evictions)"
done
touch /tmp/stop-readers
wait $r1 || fail "a reader of /mnt/v3 saw wrong bytes while the cache was evicted"
wait $r2 || fail "a reader of /mnt/v4 saw wrong bytes while the cache was evicted"
umount /mnt/v3 /mnt/v4
echo all > $SYS/evict || fail "echo all > evict refused"
for i in $(seq 20); do
	sync
	[ "$(cat $SYS/objects_live)" -eq 0 ] && [ "$(cat $SYS/objects_dying)" -eq 0 ] &&
		[ "$(cat $SYS/blocks_free)" -eq "$(cat $SYS/blocks_data)" ] && break
	sleep 0.5
done
log "after evict all: objects_live $(cat $SYS/objects_live), objects_dying $(cat $SYS/objects_dying), blocks_free $(cat $SYS/blocks_free) of $(cat $SYS/blocks_data)"
[ "$(cat $SYS/objects_live)" -eq 0 ] || fail "objects left after evicting all"
[ "$(cat $SYS/blocks_free)" -eq "$(cat $SYS/blocks_data)" ] ||
	fail "blocks not freed after evicting all: $(cat $SYS/blocks_free) of $(cat $SYS/blocks_data) free"
[ "$(wc -l < $C/volumes)" -eq 2 ] || fail "volumes went with their objects"
kernel_clean "eviction"

# --- 5. unbind ------------------------------------------------------------------------------
cachestore_unbind $C
[ ! -e "$SYS" ] || fail "$SYS still there after unbinding"
cs_fsck "$CS_DISK_CACHE"
out=$("$CS_REPO/build/bin/dumpcachestore" "$CS_DISK_CACHE") || fail "dumpcachestore"
vols=$(awk '/^Volumes/ { f = 1; next } f && /^$/ { exit } f && $1 ~ /^[0-9]+$/' <<< "$out")
echo "$vols"
[ "$(wc -l <<< "$vols")" -eq 2 ] && [ "$(awk '$3 != 0' <<< "$vols" | wc -l)" -eq 0 ] ||
	fail "dumpcachestore does not show the two volumes empty"
grep -Eq '^  Live: +0$' <<< "$out" || fail "dumpcachestore does not show 0 live objects"
log "dumpcachestore: two volumes, no objects"
rmmod cachestore || fail "rmmod cachestore"
[ ! -e /sys/fs/cachestore ] || fail "/sys/fs/cachestore still there after rmmod"
kernel_clean
log ok
