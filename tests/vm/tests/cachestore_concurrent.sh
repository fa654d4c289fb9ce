#!/bin/bash
# vm: disks=cache:1G timeout=300 smp=2
# 8 concurrent readers on overlapping files over NFSv3: 4 files of 3 MiB,
# reader i reads files i%4 and (i+1)%4 at once, so every file has readers
# racing to fill (cold) and read (warm) the same pages.  Every reader's bytes
# are verified; the warm pass is served by the cache.
. "$CS_REPO/tests/vm/lib.sh"

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export M=/mnt/nfs
declare -a want
n=0
for i in 0 1 2 3; do
	mkdata $S/f$i 3 $((i + 1))
	want[i]=$(sum $S/f$i)
	n=$((n + $(pages $S/f$i)))
done
nfs_mount 3 $S $M

readers() { # 8 readers at once, each verifying 2 files; fail if any failed
	local i pids=() bad=0
	rm -f /tmp/reader.*
	for i in 0 1 2 3 4 5 6 7; do
		(
			a=$((i % 4)) b=$(((i + 1) % 4))
			[ $((i / 4)) = 1 ] && { t=$a a=$b b=$t; }	# other order
			for f in $a $b; do
				got=$(sum $M/f$f)
				[ "$got" = "${want[f]}" ] || { echo "reader $i: f$f: $got != ${want[f]}"; exit 1; }
			done
		) > /tmp/reader.$i 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2 3 4 5 6 7; do
		wait "${pids[i]}" || { bad=1; cat /tmp/reader.$i; }
	done
	[ $bad = 0 ] || fail "a reader read wrong bytes"
}
cold_read $M "$n" readers
warm_read $M "$n" readers
warm_read $M "$n" readers
cat /mnt/cache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
