#!/bin/bash
# vm: disks=cache:1G timeout=400 smp=2
# Unbind while reads are running: 4 readers over NFSv3 with fsc (2 files
# cached, 2 not, the network slowed by netem) and the cache is unmounted in
# the middle.  Every reader finishes with the right bytes (NFS falls back to
# the server), no kernel warning; fsck.cachestore finds the unbound cache
# clean; rebinding works and serves the cached files warm with right bytes.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
declare -a want
for i in 0 1 2 3; do
	mkdata $S/f$i 4 $((i + 1))
	want[i]=$(sum $S/f$i)
done
nfs_mount 3 $S $M
p=$(pages $S/f0)
both() { verify $M/f0 "${want[0]}"; verify $M/f1 "${want[1]}"; }
cold_read $M $((2 * p)) both
warm_read $M $((2 * p)) both

drop_caches
netem 1 20mbit
hit0=$(cs_stat /mnt/cache read_hit_pages)
pids=()
for i in 0 1 2 3; do
	(
		got=$(sum $M/f$i)
		[ "$got" = "${want[i]}" ] || { echo "reader f$i: $got != ${want[i]}"; exit 1; }
	) > /tmp/reader.$i 2>&1 &
	pids+=($!)
done
sleep 1
running=0
for i in 0 1 2 3; do kill -0 "${pids[i]}" 2>/dev/null && running=$((running + 1)); done
log "unbinding with $running of 4 readers running; $(($(cs_stat /mnt/cache read_hit_pages) - hit0)) pages read from the cache so far"
[ $running -ge 1 ] || fail "all readers ended before the unbind: the test proves nothing"
cachestore_unbind /mnt/cache
st=$(fscache_cache_state cachestore)
log "after unbind: /proc/fs/fscache/caches state '${st}'"
[ "$st" != A ] || fail "cachestore still active in /proc/fs/fscache/caches"
bad=0
for i in 0 1 2 3; do wait "${pids[i]}" || { bad=1; cat /tmp/reader.$i; }; done
[ $bad = 0 ] || fail "a reader read wrong bytes across the unbind"
netem_off
log "all readers right across the unbind"
drop_caches
for i in 0 1 2 3; do verify $M/f$i "${want[i]}"; done
kernel_clean "the unbind"
cs_fsck "$CS_DISK_CACHE"

umount $M
cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_mount 3 $S $M
all() { local i; for i in 0 1 2 3; do verify $M/f$i "${want[i]}"; done; }
all				# what the cache lacks is filled now
warm_read $M $((4 * p)) all
cat /mnt/cache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
