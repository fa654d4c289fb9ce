#!/bin/bash
# vm: disks=cache:64M,log:4G,replay:64M timeout=2400
# Power cuts of the real module (after xfstests' generic/455): the cache is
# formatted and bound on dm-log-writes, test_fscache runs a workload of cold
# fills, local modifications (in-place rewrites, new aux at the end), server
# changes (invalidate), relinquish/re-acquire and retire over two volumes and
# objects of 16 pages to 8 MiB (map trees), with `sync -f` now and then;
# then the log is replayed to flush points (POWERCUT_POINTS, default 30,
# every 4th with unflushed writes dropped and reordered on top).  At each:
# fsck.cachestore -n is clean; every present page of every clean object is
# exactly its version's bytes for the aux data the object records (all 4096
# bytes); the cache binds, serves those bytes or a miss through
# test_fscache, unbinds, and fsck is clean again.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
PC="python3 $CS_REPO/tests/vm/powercut.py"
points=${POWERCUT_POINTS:-30}

modprobe dm-log-writes
cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
sectors=$(blockdev --getsz "$CS_DISK_CACHE")
dmsetup create --noudevsync lw --table \
	"0 $sectors log-writes $CS_DISK_CACHE $CS_DISK_LOG" || fail "dmsetup create log-writes"
dmsetup mknodes lw
"$CS_REPO/build/bin/mkcachestore" -q -f -K /dev/mapper/lw || fail "mkcachestore"
dmsetup message lw 0 mark mkfs
mkdir -p /mnt/cache /mnt/pc
mount -t cachestore -o commit=200 /dev/mapper/lw /mnt/cache || fail "bind on log-writes"

TFS_VERBOSE=0 tfs_load
# the checker's pattern is test_fscache's
tfs_ok pattern off=4096 len=64 seed=7
want=$(python3 -c "import sys; sys.path.insert(0, '$CS_REPO/tests/vm'); import powercut; print(powercut.page_bytes(7, 1)[:64].hex())")
[[ $TFS_REPLY == *"hex=hex:$want"* ]] || fail "powercut.py's pattern differs from test_fscache's: $TFS_REPLY vs $want"
tfs_close	# the workload opens the control file itself

$PC workload /tmp/model.json --mark-dev lw --seed "${POWERCUT_SEED:-1}" || fail "workload"
grep -E 'commits|creates|invalidates|deletes' /mnt/cache/stats
# The power cut: whatever the log holds past a point is lost there.  The
# clean unbind below is logged too, so its flush points are cut as well.
tfs_unload
umount /mnt/cache || fail "unbind"
dmsetup remove --noudevsync lw
kernel_clean "workload"

$PC points "$CS_DISK_LOG" > /tmp/points || fail "reading the log"
log "log: $(head -n 1 /tmp/points), $(($(wc -w < /tmp/points) - 3)) flush/FUA points"
TFS_VERBOSE=0 tfs_load
tfs_close
rc=0
$PC run "$CS_DISK_LOG" "$CS_DISK_REPLAY" "$CS_DISK_CACHE" /tmp/model.json \
	--tools "$CS_REPO/build" --points "$points" --extra-every 4 > /tmp/run.log 2>&1 || rc=$?
grep -E '^(==|FAIL|FSCK|check:|readback:|run:|replay:)' /tmp/run.log | tail -n 200
[ $rc -eq 0 ] || fail "a power-cut state failed its checks"
kernel_clean "replay"
rmmod test_fscache
log ok
