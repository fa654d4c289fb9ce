#!/bin/bash
# vm: disks=cache:128M timeout=1200
# A hot set survives a streaming scan (issue 13, scan resistance).
# 32 files of 256 KiB (8 MiB) are read twice over NFSv3: the second read is
# served by the cache, which notes it in memory; the first cull that meets
# them on probation promotes them (the promotions counter must show it after
# the stream).  Then one pass
# over a 192 MiB file, half again the cache's data space, is read once: its
# pages are written into the cache and never read back.  The cache fills,
# and the only object on probation is the stream itself, in use; the hot
# files hold far less than the protected list's share (75 %), so nothing is
# culled and the rest of the stream is not cached (write_fail_pages).  The
# hot set must then be served by the cache again, every page.
# The same run on a cache made with mkcachestore -O ^probation (one LRU
# list, as before) is the control: there the stream must push the hot set
# out, or this test could not fail for the reason it names.  In between, the
# protected share is set to 0 through sysfs (protect), at run time: a second
# stream must then push the hot set out too.
. "$CS_REPO/tests/vm/lib.sh"
S=/srv/export M=/mnt/nfs C=/mnt/cache
NHOT=32

nfs_server $S
mkdir $S/hot
for i in $(seq $NHOT); do
	head -c 262144 /dev/urandom > $S/hot/f$i
done
mkdata $S/big 192 3
(cd $S && sha256sum hot/* big) > /tmp/sums
grep ' hot/' /tmp/sums > /tmp/hot.sums
hot_pages=$((NHOT * 64))

hits() { cs_stat $C read_hit_pages; }
read_hot() { (cd $M && sha256sum -c --quiet /tmp/hot.sums) || fail "a hot file read wrong"; }

# stream: one pass over the big file, then the hot set read again; sets
# RESULT (hot pages the cache served) and CULLS (objects culled meanwhile)
stream() {
	local feat=$1 h0 h1 culls wf
	drop_caches
	culls=$(cs_stat $C culls) wf=$(cs_stat $C write_fail_pages)
	(cd $M && sha256sum big) | cmp -s - <(grep ' big$' /tmp/sums) || fail "$feat: the stream read wrong"
	culls=$(($(cs_stat $C culls) - culls)) wf=$(($(cs_stat $C write_fail_pages) - wf))
	log "$feat: stream: $culls culled, $wf pages not cached, $(cs_stat $C blocks_free) of $(cs_stat $C blocks_data) blocks free"
	drop_caches
	h0=$(hits)
	read_hot
	h1=$(hits)
	log "$feat: after the stream the cache served $((h1 - h0)) of $hot_pages hot pages"
	RESULT=$((h1 - h0)) CULLS=$culls
}

# bind FEATURE: a new cache made with -O FEATURE, NFS mounted over it, the
# hot set read cold and then back from the cache
bind() {
	local feat=$1 h0 h1 p
	rm -f "/tmp/.cs-formatted-${CS_DISK_CACHE##*/}"
	CS_MKFS_OPTS="-O $feat" cachestore_bind "$CS_DISK_CACHE" $C
	nfs_mount 3 $S $M
	read_hot				# cold: fills the cache
	drop_caches
	h0=$(hits)
	read_hot				# warm: read back, promoted
	h1=$(hits)
	p=$(cs_stat $C promotions)
	log "$feat: warm read served $((h1 - h0)) of $hot_pages pages; promotions $p, on probation $(cs_stat $C objects_probation) of $(cs_stat $C objects_live)"
	[ $((h1 - h0)) -ge $hot_pages ] || fail "$feat: the warm read was not served by the cache ($((h1 - h0)) of $hot_pages pages)"
}

# promotions so far, which must be at least $2
promoted() {
	local p
	p=$(cs_stat $C promotions)
	log "$1: promotions $p, on probation $(cs_stat $C objects_probation) of $(cs_stat $C objects_live)"
	[ "$p" -ge "$2" ] || fail "$1: $p promotions: the cull did not promote the $NHOT hot files it met on probation, read back from the cache"
}

unbind() {
	umount $M
	cachestore_unbind $C
	cs_fsck "$CS_DISK_CACHE"
}

SYS=/sys/fs/cachestore/${CS_DISK_CACHE##*/}
bind probation
[ "$(cat $SYS/protect)" = 75 ] || fail "protect is $(cat $SYS/protect), not the default 75"
stream probation
# reads are noted in memory; the cull promotes what it meets
promoted probation $NHOT
[ "$RESULT" -ge $hot_pages ] || fail "the stream pushed the hot set out: $RESULT of $hot_pages hot pages served after it ($CULLS culled)"
[ "$CULLS" -eq 0 ] || fail "$CULLS objects culled during the stream"
# protect changed at run time: with 0 the protected list has no share
echo 0 > $SYS/protect || fail "echo 0 > $SYS/protect"
stream "probation, protect=0"
[ "$RESULT" -lt $((hot_pages / 2)) ] || fail "protect=0 (set through sysfs) left $RESULT of $hot_pages hot pages: the setting did not take effect"
unbind
# the control
bind ^probation
stream ^probation
[ "$(cs_stat $C promotions)" -eq 0 ] || fail "^probation: $(cs_stat $C promotions) promotions without the feature"
[ "$RESULT" -lt $((hot_pages / 2)) ] || fail "control: without probation the stream left $RESULT of $hot_pages hot pages; the scenario does not push them out, so the test proves nothing"
unbind
dmesg | grep 'cachestore.*culling' | head -5
kernel_clean
log ok
