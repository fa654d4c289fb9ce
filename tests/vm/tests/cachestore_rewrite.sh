#!/bin/bash
# vm: disks=cache:1G timeout=600
# In-place rewrites through test_fscache: a one-page write returns before
# its page is on the device (write-behind), and rewrites pages that are
# present.  A read made after a write returned must never get the bytes from
# before it (a miss is fine): right after a rewrite; from a granule buffer
# filled while a rewrite of another of its pages was queued (and again once
# that rewrite is long on the device); after two back-to-back rewrites of a
# page (they reach the device in order), sync and async; and in the stress
# mode with rewrites (span=2), alone and with invalidations.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
tfs_load

failures=()
bad() { echo "WRONG: $*"; failures+=("$*"); }
hits=0
# fresh DESC READ-ARGS...: the read gets the data asked for (seed=) or
# misses (ENODATA); anything else, wrong bytes above all, is noted
fresh() {
	local desc=$1
	shift
	if tfs_q read "$@"; then
		hits=$((hits + 1))
	elif [ "$(tfs_errno)" != ENODATA ]; then
		bad "$desc: $TFS_REPLY"
	fi
}

tfs_ok vol_acquire v key=cachestore,rewrite
tfs_expect null 0
tfs_ok cookie_acquire a vol=v key=a size=1m
tfs_ok use a w
tfs_ok settle a
[ "$(tfs_get state)" = ACTIVE ] || fail "cookie not cached: $TFS_REPLY"

log "1. read right after a one-page rewrite"
tfs_ok write a off=0 len=4k seed=1
tfs_ok read a off=0 len=4k seed=1
for s in 2 3 4 5 6 7 8 9; do
	tfs_ok write a off=0 len=4k seed=$s
	fresh "read after rewrite to seed $s" a off=0 len=4k seed=$s
done

log "2. granule buffer filled while a rewrite of one of its pages is queued"
for p in 0 1 2 3 4 5 6 7; do
	tfs_ok write a off=$((64 + p * 4))k len=4k seed=10
done
tfs_ok read a off=64k len=32k seed=10
for r in 1 2 3 4 5; do
	tfs_ok write a off=68k len=4k seed=$((10 + r))
	fresh "round $r: neighbour page" a off=64k len=4k seed=10
	fresh "round $r: rewritten page at once" a off=68k len=4k seed=$((10 + r))
	sleep 0.3
	fresh "round $r: rewritten page 0.3 s later" a off=68k len=4k seed=$((10 + r))
	fresh "round $r: neighbour page again" a off=72k len=4k seed=10
done

log "3. back-to-back rewrites of one page"
for r in $(seq 1 20); do
	tfs_ok write a off=256k len=4k seed=$((100 + 2 * r))
	tfs_ok write a off=256k len=4k seed=$((101 + 2 * r))
	fresh "sync pair $r" a off=256k len=4k seed=$((101 + 2 * r))
	tfs_ok write a off=512k len=64k seed=$((200 + 2 * r)) nowait id=x
	tfs_ok write a off=512k len=64k seed=$((201 + 2 * r)) nowait id=y
	tfs_ok wait x
	tfs_ok wait y
	fresh "async pair $r" a off=512k len=64k seed=$((201 + 2 * r)) async
	fresh "async pair $r, one page" a off=540k len=4k seed=$((201 + 2 * r))
done

log "settled: every rewritten page reads back as last written"
sleep 1
tfs_ok read a off=0 len=4k seed=9
tfs_ok read a off=64k len=4k seed=10
tfs_ok read a off=68k len=4k seed=15
tfs_ok read a off=72k len=24k seed=10
tfs_ok read a off=256k len=4k seed=141
tfs_ok read a off=512k len=64k seed=241 async
log "$hits reads hit during the rewrites"
[ "$hits" -gt 0 ] || bad "no read hit the cache during the rewrites"

log "4. stress with rewrites"
tfs_q stress vol=v id=s1 threads=4 cookies=64 ops=16 len=4k span=2 seed=3 ||
	bad "stress, span=2: $TFS_REPLY"
tfs_q stress vol=v id=s2 threads=4 cookies=32 ops=24 len=16k span=3 async=1 seed=4 ||
	bad "stress, span=3, async: $TFS_REPLY"
tfs_q stress vol=v id=s3 threads=4 cookies=64 ops=16 len=4k span=2 inval_ms=3 churn=1 seed=5 ||
	bad "stress, span=2, invalidations, churn: $TFS_REPLY"

[ ${#failures[@]} = 0 ] || fail "${#failures[@]} wrong results: ${failures[*]}"
tfs_unload
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
