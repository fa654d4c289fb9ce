#!/bin/bash
# vm: disks=cache:32M timeout=900
# Device full with every object in use (issue 11): test_fscache holds eight
# cookies in use and writes 4 MiB into each, 1 MiB at a time, into a cache
# with 27.5 MiB of data blocks.  Culling can free nothing (every object is
# in use), so once the space is gone every further write fails cleanly:
# ENOBUFS to the netfs, counted (write_fail_pages: exactly the pages of the
# failed writes; fscache NoSpace nwr), the cache stays in service, nothing
# is culled.  Every write that succeeded reads back as written; every one
# that failed reads as a miss (ENODATA), never as other bytes.  NFS reading
# a file meanwhile gets the server's bytes, its cache writes skipped.  Once
# half the cookies are released, culling frees their space and writes
# succeed again, while the held objects keep their data.  fsck -n is clean
# after unbinding.
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"

NC=8 MB=4

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
data=$(cs_stat /mnt/cache blocks_data)
log "$data data blocks ($((data / 256)) MiB) for $((NC * MB)) MiB of writes"
assert [ $((data / 256)) -lt $((NC * MB)) ]
nfs_server /srv/export
mkdata /srv/export/f 2 3
want=$(sum /srv/export/f)

TFS_VERBOSE=0
tfs_load
tfs_ok vol_acquire v key=test,spacefull
nwr0=$(fscache_stat NoSpace nwr)
declare -A ok
nok=0 nfail=0
for c in $(seq 1 $NC); do
	tfs_ok cookie_acquire c$c vol=v key=k$c size=${MB}m
	tfs_ok use c$c
	for m in $(seq 0 $((MB - 1))); do
		if tfs_q write c$c off=${m}m len=1m seed=$c; then
			ok[$c.$m]=1
			nok=$((nok + 1))
		else
			[ "$(tfs_errno)" = ENOBUFS ] || fail "write c$c +${m}M: $TFS_REPLY"
			nfail=$((nfail + 1))
		fi
	done
done
sync -f /mnt/cache
sync -f /mnt/cache
grep -E '^(state|blocks_|objects_live|write_|culls)' /mnt/cache/stats
free=$(cs_stat /mnt/cache blocks_free)
wfail=$(cs_stat /mnt/cache write_fail_pages)
nwr=$(($(fscache_stat NoSpace nwr) - nwr0))
log "$nok writes of 1 MiB stored, $nfail refused; $free blocks free; fscache NoSpace nwr +$nwr"
[ $nfail -gt 0 ] || fail "no write failed with more written than the cache holds"
[ $((nok * 256)) -le "$data" ] || fail "$nok MiB stored in $data blocks"
# refused only once less than 1 MiB is left beyond the reserve for map blocks
[ "$free" -lt 512 ] || fail "writes refused with $free blocks free"
[ "$wfail" -eq $((nfail * 256)) ] ||
	fail "write_fail_pages is $wfail, not the $((nfail * 256)) pages of the refused writes"
[ "$nwr" -ge $nfail ] || fail "fscache counted $nwr writes without space, not >= $nfail"
[ "$(cs_stat /mnt/cache culls)" -eq 0 ] || fail "an object in use was culled"
dmesg | grep -q "cachestore cachestore: culling (" || fail "culling never started on a full cache"
[ "$(cs_stat /mnt/cache state)" = active ] || fail "a full cache went offline"

# verify: what was stored reads back, what was refused misses
verify_all() {
	local c m
	for c in $(seq 1 "$1"); do
		for m in $(seq 0 $((MB - 1))); do
			if [ -n "${ok[$c.$m]:-}" ]; then
				tfs_ok read c$c off=${m}m len=1m seed=$c hole=fail
				tfs_expect bad 0
			else
				tfs_err ENODATA read c$c off=${m}m len=1m seed=$c hole=fail
			fi
		done
	done
}
verify_all $NC
# still full, still in use: more writes are refused the same way
tfs_err ENOBUFS write c1 off=${MB}m len=1m seed=1 isize=$(((MB + 1) << 20))
tfs_ok cookie_acquire extra vol=v key=extra size=1m
tfs_ok use extra
tfs_err ENOBUFS write extra off=0 len=1m seed=99
tfs_err ENODATA read extra off=0 len=1m seed=99 hole=fail

# NFS on the full cache: the server's bytes, cache writes skipped
wf0=$(cs_stat /mnt/cache write_fail_pages)
nfs_mount 3 /srv/export /mnt/nfs
verify /mnt/nfs/f "$want"
sync -f /mnt/cache
drop_caches
verify /mnt/nfs/f "$want"
log "NFS on the full cache: write_fail_pages +$(($(cs_stat /mnt/cache write_fail_pages) - wf0)), nfs fsc read_ok $(nfs_fsc_stat /mnt/nfs 0)"
[ "$(cs_stat /mnt/cache write_fail_pages)" -gt "$wf0" ] ||
	fail "NFS's cache writes were not refused on a full cache"
umount /mnt/nfs
# (NFS's own object, unused once the file is closed, may be culled; the
# held ones must not be)
verify_all $NC

# --- release half: culling frees their space, writes succeed again --------------
for c in $(seq $((NC / 2 + 1)) $NC); do tfs_ok relinquish c$c; done
for _ in $(seq 1 40); do
	sync -f /mnt/cache
	free=$(cs_stat /mnt/cache blocks_free)
	[ $((free * 100)) -ge $((data * 10)) ] && break
	sleep 0.5
done
grep -E '^(blocks_|objects_|culls)' /mnt/cache/stats
[ "$(cs_stat /mnt/cache culls)" -gt 0 ] || fail "nothing culled after the cookies were released"
[ $((free * 100)) -ge $((data * 10)) ] ||
	fail "only $free of $data blocks free after culling (run mark 10 %)"
tfs_ok write extra off=0 len=1m seed=99
tfs_ok read extra off=0 len=1m seed=99 hole=fail
verify_all $((NC / 2))		# the held objects kept everything

tfs_unload
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean "device full"
log ok
