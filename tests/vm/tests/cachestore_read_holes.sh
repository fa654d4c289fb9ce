#!/bin/bash
# vm: disks=cache:1G timeout=300
# netfs reads (hole=ignore, and hole=clear for the rest of a short read)
# never report pages the cache did not read (a synchronous hole=clear read
# may zero holes, nothing else): through test_fscache, a read
# over data followed by a hole, a read of pages that prepare_read promised
# but a resize trimmed, and a read of pages that a write into the object's
# grown granule reallocated ("start over").  Each read must fail (ENODATA,
# ESTALE) or report at most the bytes it delivered, all of them correct:
# the module fills the buffer with poison first and counts 512-byte chunks
# of pattern data, zeros and other bytes (the counts are in bytes).
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
tfs_load

# bad MSG: note a wrong read and go on (the test fails at the end)
failures=()
bad() { echo "WRONG: $*"; failures+=("$*"); }

# honest DESC MAXBYTES READ-ARGS...: the read fails (any error sends netfs
# to the server), or reports B <= MAXBYTES bytes, every one delivered as data
honest() {
	local desc=$1 max=$2 b d z
	shift 2
	if ! tfs_q read "$@" expect=none; then
		log "$desc: $(tfs_errno) (a miss)"
		return 0
	fi
	b=$(tfs_get bytes) d=$(tfs_get data) z=$(tfs_get zero)
	log "$desc: bytes=$b data=$d zero=$z bad=$(tfs_get bad)"
	[ "$b" -le "$max" ] || bad "$desc: reported $b bytes, at most $max can be in the cache"
	[ "$d" -ge "$b" ] || bad "$desc: reported $b bytes read but only $d hold the data"
}

# sync_honest DESC DATA ZEROS READ-ARGS...: a synchronous read (no byte
# count) fails, or delivers DATA bytes of data and ZEROS bytes of zeros
# (hole=clear zeroes holes when asked to synchronously, as fscache_read()
# documents) and nothing else
sync_honest() {
	local desc=$1 data=$2 zeros=$3
	shift 3
	if ! tfs_q read "$@" expect=none; then
		log "$desc: $(tfs_errno) (a miss)"
		return 0
	fi
	log "$desc: data=$(tfs_get data) zero=$(tfs_get zero) bad=$(tfs_get bad)"
	[ "$(tfs_get data)" = "$data" ] && [ "$(tfs_get zero)" = "$zeros" ] ||
		bad "$desc: succeeded with other bytes than $data of data and $zeros of zeros: $TFS_REPLY"
}

tfs_ok vol_acquire v key=cachestore,holes
tfs_expect null 0
cookie() {
	tfs_ok cookie_acquire "$1" vol=v "key=$1" "size=$2"
	tfs_expect null 0
	tfs_ok use "$1" w
	tfs_ok settle "$1"
	[ "$(tfs_get state)" = ACTIVE ] || fail "cookie $1 not cached: $TFS_REPLY"
}

# 1. data, then a hole
cookie a 64k
tfs_ok write a off=0 len=16k seed=7
tfs_ok read a off=0 len=16k seed=7 async
if netfs_gen; then
	# 6.12: what an asynchronous read cannot deliver is a short transfer
	# (netfs reads it from the server; an error would be EIO to the reader)
	tfs_ok read a off=0 len=64k hole=fail async expect=none
	[ "$(tfs_get bytes)" = 0 ] || fail "a read from a hole transferred $(tfs_get bytes) bytes"
else
	tfs_err ENODATA read a off=0 len=64k hole=fail async
fi
for h in ignore clear; do
	honest "data then hole, hole=$h, async" 16384 a off=0 len=64k seed=7 hole=$h async
	z=0
	[ $h = clear ] && z=49152
	sync_honest "data then hole, hole=$h, sync" 16384 $z a off=0 len=64k seed=7 hole=$h
	honest "hole first, hole=$h, async" 0 a off=16k len=48k seed=7 hole=$h async
done

# 2. promised by prepare_read, then trimmed by a resize
cookie b 64k
tfs_ok write b off=0 len=64k seed=8
tfs_ok page_release b
tfs_ok prepare_read b off=0 len=64k isize=64k
tfs_expect source READ_FROM_CACHE
tfs_expect len 65536
tfs_ok resize b 16k
tfs_ok prepare_read b off=16k len=48k isize=64k
[ "$(tfs_get source)" != READ_FROM_CACHE ] || fail "the resize left pages past 16 KiB in the cache"
honest "trimmed after prepare_read, hole=ignore" 16384 b off=0 len=64k seed=8 hole=ignore async

# 3. promised by prepare_read, then reallocated: c's granule holds 4 blocks
# with d's right behind them, so a write that grows c into page 8 cannot
# extend c's run and allocates the granule afresh; pages 0-3 are gone
cookie c 16k
tfs_ok write c off=0 len=16k seed=9
cookie d 16k
tfs_ok write d off=0 len=16k seed=10
tfs_ok page_release c
tfs_ok prepare_read c off=0 len=16k isize=16k
tfs_expect source READ_FROM_CACHE
tfs_expect len 16384
tfs_ok write c off=32k len=4k seed=9 isize=36k
tfs_ok read c off=32k len=4k seed=9
tfs_ok prepare_read c off=0 len=16k isize=36k
[ "$(tfs_get source)" != READ_FROM_CACHE ] ||
	fail "pages 0-3 of c survived the write into page 8 (no start over): the test needs another layout"
honest "reallocated after prepare_read, hole=ignore" 0 c off=0 len=16k seed=9 hole=ignore async
tfs_ok read d off=0 len=16k seed=10 async

[ ${#failures[@]} = 0 ] || fail "${#failures[@]} reads reported bytes they did not deliver: ${failures[*]}"
tfs_unload
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
