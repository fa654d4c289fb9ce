#!/bin/bash
# vm: disks=fscache:1G timeout=600
# test_fscache against cachefiles: the basic commands of the test netfs
# (fs/fscache/test_fscache.c) and what cachefiles, the reference backend,
# answers to them.  Needs build/KVER/fs/fscache/test_fscache.ko (make modules).
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

cachefiles_bind "$CS_DISK_FSCACHE"
tfs_load

# --- input validation -------------------------------------------------------------
tfs_err EINVAL bogus_command
tfs_err EINVAL read
tfs_err ENOENT read nosuch off=0 len=4096
tfs_err EINVAL vol_acquire 'bad/name' key=x
tfs_err EINVAL vol_acquire v0 key=x unknown=1
tfs_err ENOMEM vol_acquire v0 key=fill:256:41		# fscache: key > NAME_MAX
tfs_err EINVAL vol_acquire v0 "key=$(printf 'x%.0s' $(seq 4000))"	# > 512
tfs_ok help
tfs_ok pattern off=0 len=8 seed=1

# --- volume and cookie --------------------------------------------------------------
tfs_ok vol_acquire v1 key=test_fscache,smoke coh=hex:01020304
tfs_expect null 0
tfs_err EEXIST vol_acquire v1 key=other
tfs_err EBUSY vol_acquire v2 key=test_fscache,smoke	# live duplicate volume key
tfs_ok vol_state v1
tfs_expect cache vmcache

tfs_ok cookie_acquire c1 vol=v1 key=hex:0011223344 aux=hex:a1a2a3a4 size=64k
tfs_expect null 0
tfs_ok cookie_acquire dup vol=v1 key=hex:0011223344	# live duplicate key
tfs_expect null 1
tfs_ok relinquish dup
tfs_ok cookie_acquire big vol=v1 key=fill:256:41	# key > 255
tfs_expect null 1
tfs_ok relinquish big
assert [ "$(tfs_state c1)" = QUIESCENT ]

# --- negative lookup, write, read back ---------------------------------------------------
tfs_ok use c1
tfs_ok settle c1
tfs_expect state ACTIVE
tfs_expect_flag IS_CACHING NO_DATA_TO_READ '!HAVE_DATA'
tfs_err ENODATA read c1 off=0 len=4096 seed=1 hole=fail
tfs_ok write c1 off=0 len=32k seed=1
tfs_expect bytes 32768
tfs_ok read c1 off=0 len=32k seed=1 hole=fail
tfs_expect data 32768
tfs_ok read c1 off=4096 len=8192 seed=1 hole=fail async
tfs_expect data 8192
tfs_err EBADMSG read c1 off=0 len=4096 seed=2 hole=fail	# wrong seed
tfs_ok state c1
tfs_expect_flag HAVE_DATA

# hole policies around the end of the data (32k) in a 64k object
tfs_err ENODATA read c1 off=32k len=4096 seed=1 hole=fail
tfs_ok read c1 off=28k len=8k seed=1 hole=clear expect=mixed
tfs_expect data 4096
tfs_expect zero 4096
tfs_ok read c1 off=36k len=4k seed=1 hole=clear expect=zero
tfs_ok read c1 off=0 len=4k seed=1 hole=ignore async
tfs_ok occupancy c1 off=0 len=64k gran=4096
tfs_expect start 0
tfs_expect len 32768
tfs_ok prepare_read c1 off=0 len=64k
tfs_expect source DOWNLOAD_FROM_SERVER		# NO_DATA_TO_READ fast path
tfs_ok page_release c1
tfs_ok state c1
tfs_expect_flag '!NO_DATA_TO_READ' HAVE_DATA
tfs_ok prepare_read c1 off=0 len=64k
tfs_expect source READ_FROM_CACHE
tfs_expect len 32768
tfs_ok prepare_read c1 off=32k len=32k
tfs_expect source DOWNLOAD_FROM_SERVER
tfs_ok write c1 off=32k len=4k seed=1 async
tfs_ok read c1 off=0 len=36k seed=1 hole=fail
tfs_ok expand c1 off=4096 len=4096

# --- positive lookup after relinquish; aux mismatch drops the data ------------------------
tfs_ok relinquish c1
tfs_ok cookie_acquire c1 vol=v1 key=hex:0011223344 aux=hex:a1a2a3a4 size=64k
tfs_ok use c1
tfs_ok settle c1
tfs_expect_flag '!NO_DATA_TO_READ'
tfs_ok read c1 off=0 len=36k seed=1 hole=fail
tfs_ok relinquish c1
tfs_ok cookie_acquire c1 vol=v1 key=hex:0011223344 aux=hex:b1b2b3b4 size=64k
tfs_ok use c1 w
tfs_ok settle c1
tfs_expect_flag NO_DATA_TO_READ
tfs_err ENODATA read c1 off=0 len=4096 seed=1 hole=fail

# --- invalidation ---------------------------------------------------------------
tfs_ok write c1 off=0 len=64k seed=5
tfs_ok read c1 off=0 len=64k seed=5
tfs_ok invalidate c1 size=64k aux=hex:c1c2c3c4
tfs_expect inval_counter 1
tfs_ok settle c1
tfs_err ENODATA read c1 off=0 len=4096 seed=5 hole=fail
tfs_ok state c1
tfs_expect aux hex:c1c2c3c4
tfs_err EINVAL invalidate c1 aux=hex:01		# aux length must match

# a read through an operation begun before the invalidation is stale
tfs_ok write c1 off=0 len=4k seed=6
tfs_ok op_begin o1 c1 read
tfs_ok invalidate c1 size=64k
tfs_ok settle c1
tfs_err ESTALE read c1 op=o1 off=0 len=4k seed=6 hole=fail async
tfs_q read c1 op=o1 off=0 len=4k seed=6 hole=fail || true
log "cachefiles, sync read on a pre-invalidation operation: $TFS_REPLY"
tfs_err EBUSY relinquish c1			# operation still held
tfs_ok op_end o1
tfs_err ENODATA read c1 off=0 len=4k seed=6 hole=fail

# invalidate while a write is in flight: its data must not appear afterwards
tfs_ok write c1 off=0 len=1M seed=7 nowait id=w1
tfs_ok invalidate c1 size=1M
tfs_q wait w1 || true
log "write overlapping an invalidation: $TFS_REPLY"
tfs_ok settle c1
tfs_err ENODATA read c1 off=0 len=1M seed=7 hole=fail

# DIO-write invalidation disables caching until the last unuse
tfs_ok invalidate c1 dio
tfs_ok state c1
tfs_expect_flag DISABLED
tfs_err ENOBUFS read c1 off=0 len=4k seed=7 hole=fail
tfs_ok unuse c1
tfs_ok state c1
tfs_expect_flag '!DISABLED'
tfs_err EINVAL unuse c1				# not in use any more
tfs_ok use c1
tfs_ok settle c1

# --- resize: shrink, grow, no old bytes reappear ------------------------------------
tfs_ok write c1 off=0 len=64k seed=8
tfs_ok resize c1 16k
tfs_ok read c1 off=0 len=16k seed=8 hole=fail
tfs_err ENODATA read c1 off=16k len=4k seed=8 hole=fail
tfs_ok resize c1 64k
tfs_ok read c1 off=16k len=48k seed=8 hole=clear expect=zero
tfs_ok update c1 aux=hex:d1d2d3d4 size=64k

# --- malformed input on live objects: each must give EINVAL/ENOENT, nothing else
for cmd in "read c1 off=-1 len=4k" "read c1 off=0 len=0" "write c1 off=0 len=17m seed=1" \
	"write c1 off=0 len=4k" "read c1 len=4k hole=maybe" "read c1 len=4k expect=data" \
	"read c1 len=4k seed=1 dump=2000" "read c1 len=4k seed=1 op=nosuch" \
	"write c1 len=4k seed=1 id=x" "write c1 len=4k seed=1 nowait id=bad/id" \
	"cookie_acquire x vol=v1 key=hex:zz" "cookie_acquire x vol=v1 key=hex:abc" \
	"cookie_acquire x vol=v1 key=fill:9999:41" "cookie_acquire x vol=v1 key=fill:1:4" \
	"cookie_acquire x vol=nosuch key=a" "cookie_acquire x key=a" "cookie_acquire x vol=v1 key=a adv=bogus" \
	"cookie_acquire $(printf 'n%.0s' $(seq 33)) vol=v1 key=a" "use c1 x" "use c1 w w" \
	"resize c1 abc" "resize c1" "resize c1 1k2" "update c1 aux=hex:01" "update c1 size=" \
	"wait_state c1 BOGUS" "wait_state c1" "settle c1 timeout=700000" "state" "state c1 extra" \
	"stress vol=v1 threads=0" "stress vol=v1 cookies=0" "stress vol=nosuch" "stress vol=v1 len=2m" \
	"wait nosuch" "stop nosuch" "op_end nosuch" "op_begin o9 c1 sideways" "op_begin o9 nosuch read" \
	"vol_relinquish v1" "vol_relinquish nosuch" "vol_acquire v9 key=hex:6100" "vol_acquire v9" \
	"occupancy c1 off=0 len=0" "prepare_read c1 len=0" "pattern len=65" "reset now" \
	"read c1 len=4k a=1 a=2" "=x" "$(printf 'state c1\001')"; do
	tfs_q "$cmd" && fail "accepted: $cmd => $TFS_REPLY"
	case $(tfs_errno) in
	EINVAL|ENOENT|EBUSY|E2BIG) ;;
	*) fail "unexpected error for '$cmd': $TFS_REPLY" ;;
	esac
done
tfs_ok state c1
tfs_expect state ACTIVE

# --- relinquish with retire deletes the object ---------------------------------------
tfs_ok relinquish c1 retire
tfs_ok cookie_acquire c1 vol=v1 key=hex:0011223344 aux=hex:d1d2d3d4 size=64k
tfs_ok use c1
tfs_ok settle c1
tfs_expect_flag NO_DATA_TO_READ
tfs_err ENODATA read c1 off=0 len=4k seed=8 hole=fail

# --- maximal lengths cachefiles can take (its names limit keys) -------------------------
tfs_ok cookie_acquire long vol=v1 key=fill:180:5a aux=fill:255:a5 size=8k
tfs_expect null 0
tfs_ok use long w
tfs_ok write long off=0 len=8k seed=9
tfs_ok relinquish long
tfs_ok cookie_acquire long vol=v1 key=fill:180:5a aux=fill:255:a5 size=8k
tfs_ok use long
tfs_ok settle long
tfs_ok read long off=0 len=8k seed=9 hole=fail

# --- stress -----------------------------------------------------------------
tfs_ok stress vol=v1 threads=4 cookies=64 ops=3 len=16k
tfs_expect fail 0
tfs_expect pass 192
tfs_ok stress vol=v1 threads=4 cookies=16 ops=20 len=16k async=1 inval_ms=5 churn=1
tfs_expect fail 0
log "stress with invalidation: $TFS_REPLY"

# --- module removal with objects, an operation and a job still held --------------------
tfs_ok cookie_acquire tmp vol=v1 key=tmp size=1M
tfs_ok use tmp w
tfs_ok op_begin o2 long read
tfs_ok write tmp off=0 len=1M seed=10 nowait
tfs_ok stress vol=v1 id=s1 threads=2 cookies=8 ops=1000000 secs=60 bg
tfs_ok list
tfs_ok stats
tfs_expect double_term 0
tfs_close
rmmod test_fscache || fail "rmmod test_fscache"
# Every cookie pins its volume, so our volume going away means all our
# cookies went.  Relinquished cookies that were unused stay on the fscache
# LRU (a 10 s timer) before they are freed.  (Other cookies, the 9p root's,
# are live in the VM, so the global count is no use.)
for i in $(seq 300); do
	grep -q test_fscache /proc/fs/fscache/volumes || break
	sleep 0.1
done
grep -E '^(Cookies|Acquire|LRU|Relinqs|Invals|IO)' /proc/fs/fscache/stats
if grep -q test_fscache /proc/fs/fscache/volumes; then
	cat /proc/fs/fscache/volumes
	fail "our volume is still there 30 s after rmmod"
fi

# reload, and the data committed at removal is still there
tfs_load
tfs_ok vol_acquire v1 key=test_fscache,smoke coh=hex:01020304
tfs_ok cookie_acquire long vol=v1 key=fill:180:5a aux=fill:255:a5 size=8k
tfs_ok use long
tfs_ok settle long
tfs_ok read long off=0 len=8k seed=9 hole=fail
tfs_ok reset
tfs_expect cookies 1
tfs_expect volumes 1
tfs_unload
cachefiles_unbind
log "ok"
