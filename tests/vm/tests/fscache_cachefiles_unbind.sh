#!/bin/bash
# vm: disks=fscache:1G timeout=600
# test_fscache against cachefiles: 1,000 cookies from 8 threads, then the
# cache unbound while cookies are in use and I/O is running.  Nothing may
# fail except with ENOBUFS once the cache is gone; cookies stay usable
# (uncached) and are relinquished cleanly.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

cachefiles_bind "$CS_DISK_FSCACHE"
tfs_load

tfs_ok vol_acquire v1 key=test_fscache,unbind
tfs_ok stress vol=v1 threads=8 cookies=1000 ops=2 len=4k
tfs_expect fail 0
tfs_expect pass 2000

tfs_ok cookie_acquire c1 vol=v1 key=c1 size=64k
tfs_ok use c1 w
tfs_ok settle c1
tfs_ok write c1 off=0 len=64k seed=1
tfs_ok op_begin o1 c1 read
tfs_ok stress vol=v1 id=s1 threads=8 cookies=200 ops=1000000 len=16k async=1 secs=60 bg
sleep 2
log "unbinding cachefiles under load, with an operation held on c1"
# The cache's state letter in /proc/fs/fscache/caches: A active, W being
# withdrawn, - gone (the entry stays while volumes still point at it).
cache_state() { awk '$NF == "vmcache" { print $6 }' /proc/fs/fscache/caches; }
pkill -x cachefilesd
for i in $(seq 100); do
	[ "$(cache_state)" = W ] && break
	sleep 0.1
done
cat /proc/fs/fscache/caches
# The held operation keeps an access on c1, so the withdrawal waits for it.
tfs_err ENOBUFS read c1 off=0 len=4k seed=1 hole=fail
tfs_q read c1 op=o1 off=0 len=4k seed=1 hole=fail || true
log "read on an operation begun before the unbind: $TFS_REPLY"
sleep 1
[ "$(cache_state)" = W ] || fail "withdrawal did not wait for the held operation"
tfs_ok op_end o1
for i in $(seq 300); do
	[ "$(cache_state)" = W ] || break
	sleep 0.1
done
cat /proc/fs/fscache/caches
[ "$(cache_state)" = W ] && fail "cache still being withdrawn 30 s after op_end"
pgrep -x cachefilesd && fail "cachefilesd still there"
log "cache withdrawn"
tfs_ok stop s1
tfs_ok wait s1 timeout=120000
log "stress across the unbind: $TFS_REPLY"
tfs_expect fail 0
[ "$(tfs_get pass)" -gt 0 ] || fail "no pass before the unbind"
[ "$(tfs_get nobufs)" -gt 0 ] || fail "no ENOBUFS after the unbind"

tfs_ok state c1
log "cookie after unbind: $TFS_REPLY"
tfs_err ENOBUFS write c1 off=0 len=4k seed=2
tfs_ok invalidate c1 size=0
tfs_ok resize c1 4k
tfs_ok unuse c1
tfs_ok relinquish c1 retire
tfs_ok cookie_acquire c2 vol=v1 key=c2 size=4k
tfs_ok use c2
tfs_err ENOBUFS read c2 off=0 len=4k hole=fail
tfs_ok stats
tfs_expect double_term 0
tfs_unload
for i in $(seq 300); do
	grep -q test_fscache /proc/fs/fscache/volumes || break
	sleep 0.1
done
grep -q test_fscache /proc/fs/fscache/volumes && fail "volume left after rmmod"
umount /var/cache/fscache
log "ok"
