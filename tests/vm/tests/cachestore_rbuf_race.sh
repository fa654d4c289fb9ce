#!/bin/bash
# vm: disks=cache:1G timeout=600 smp=2
# Defect 7 of the data-safety issue: a granule buffer fill must not install
# (or serve) its buffer when the object's content changed while it was
# filled.  The module's test hook rbuf_fill_delay_ms holds a fill between
# its device read and its install; inside that window test_fscache rewrites
# the granule (cachestore_write drops the object's buffer).  A later read of
# the granule must get the new bytes or miss: a buffer of the old content,
# installed after the drop, would serve the old bytes for good.  Rounds on
# several granules; each must see its fill enter the window (rbuf_fills
# rises while the reader is still waiting).  Fills happen for sequential
# reads only, so reader A's page comes right after one just read.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

param=/sys/module/cachestore/parameters/rbuf_fill_delay_ms
C=/mnt/cache
cachestore_bind "$CS_DISK_CACHE" $C
[ -w $param ] || fail "no $param: the module lacks the test hook"
tfs_load
T=/sys/kernel/tracing
echo 1 > $T/events/cachestore/enable
echo 1 > $T/tracing_on

tfs_ok vol_acquire v key=cachestore,rbuf_race
tfs_ok cookie_acquire a vol=v key=a size=4m
tfs_ok use a w
tfs_ok settle a
[ "$(tfs_get state)" = ACTIVE ] || fail "cookie not cached: $TFS_REPLY"

# hit_when_written OFF SEED: wait (10 s at most) until the page at OFF is
# served by the cache with SEED's bytes (its write-behind is on the device)
hit_when_written() {
	local i
	for i in $(seq 1 50); do
		tfs_q read a off="$1" len=4k seed="$2" && return 0
		[ "$(tfs_errno)" = ENODATA ] || fail "read off=$1 seed=$2: $TFS_REPLY"
		sleep 0.2
	done
	fail "page at $1 never served from the cache: $TFS_REPLY"
}

wrong=0
for r in 0 1 2; do
	g0=$((r * 512)) g1=$((r * 512 + 256))	# KiB: two granules of 256 KiB
	log "round $r: granules at ${g0}K and ${g1}K"
	tfs_ok write a off=${g0}k len=512k seed=$((r * 10 + 1))
	hit_when_written $((g1 + 4))k $((r * 10 + 1))
	crc_old=$(tfs_get crc)
	# the object's buffer now holds the other granule: a buffer is filled
	# for sequential reads only (a page out of sequence is read alone),
	# so g0's first page, then the one after it
	hit_when_written ${g0}k $((r * 10 + 1))
	tfs_ok read a off=$((g0 + 4))k len=4k seed=$((r * 10 + 1))
	# g1's first page, read alone: A's page is the next
	tfs_ok read a off=${g1}k len=4k seed=$((r * 10 + 1))
	f0=$(cs_stat $C rbuf_fills)

	echo 3000 > $param
	# reader A, on its own control file: fills granule g1, then waits
	(
		exec {fd}<>"$TFS_CTL"
		echo "read a off=$((g1 + 4))k len=4k" >&$fd
		read -r reply <&$fd
		echo "$reply" > /tmp/reader-a
	) &
	apid=$!
	for i in $(seq 1 100); do
		[ "$(cs_stat $C rbuf_fills)" -gt "$f0" ] && break
		sleep 0.1
	done
	[ "$(cs_stat $C rbuf_fills)" -gt "$f0" ] ||
		fail "round $r: reader A's fill never read the device"
	kill -0 $apid 2>/dev/null || fail "round $r: reader A finished before the rewrite: the delay did not hold it"
	# the content changes while A's buffer waits to be installed
	tfs_ok write a off=${g1}k len=256k seed=$((r * 10 + 2))
	kill -0 $apid 2>/dev/null || fail "round $r: the rewrite outlasted A's window; no race tested"
	wait $apid
	echo 0 > $param
	a=$(cat /tmp/reader-a)
	log "round $r: reader A: $a"

	# every later read of the granule: new bytes or a miss, never the old
	for p in 4 8 252; do
		if tfs_q read a off=$((g1 + p))k len=4k seed=$((r * 10 + 2)); then
			:
		elif [ "$(tfs_errno)" != ENODATA ]; then
			log "WRONG: round $r, page at $((g1 + p))K: $TFS_REPLY"
			wrong=$((wrong + 1))
		fi
	done
	[ $wrong -eq 0 ] || fail "round $r: $wrong reads got the bytes from before the rewrite"
	hit_when_written $((g1 + 4))k $((r * 10 + 2))
	crc_new=$(tfs_get crc)
	# A ran alongside the rewrite: the old or the new bytes, or a miss
	# (it gave no seed: bytes= is 0 for a direct read, crc= tells)
	case $a in
	"ok "*" crc=$crc_old "*) log "round $r: reader A got the old bytes" ;;
	"ok "*" crc=$crc_new "*) log "round $r: reader A got the new bytes" ;;
	"err -61 ENODATA"*) log "round $r: reader A missed" ;;
	*) log "WRONG: round $r, reader A: neither version: $a"; wrong=$((wrong + 1)) ;;
	esac
done
echo 0 > $param
grep -v "^#" $T/trace | tail -20
grep -E '^(rbuf_fills|rbuf_hit_pages|read_hit_pages|read_miss_pages):' $C/stats
[ $wrong -eq 0 ] || fail "$wrong reads got the bytes from before the rewrite"

tfs_unload
cachestore_unbind $C
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
