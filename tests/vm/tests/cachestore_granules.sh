#!/bin/bash
# vm: disks=cache:64G timeout=2400
# Every granule size mkcachestore allows (64K..4M; CS_ARGS may name a
# subset, CS_QUICK=1 takes three): format a sparse 64 GiB cache with a
# 4 GiB journal, so that all
# data blocks lie past 4 GiB on the device, and over NFSv3 cold-read and
# warm-read a 9 MiB file (more than two granules of the largest size, its
# granule buffer fills need more than BIO_MAX_VECS pages per bio) and a file
# with a partial last page.  Bytes are verified against the server's copy;
# warm reads must be served by the cache (NFS read_ok, the cache's
# read_hit_pages, and after an unbind and rebind the cache disk's read
# sectors in /sys/block/DEV/stat); the cache device must hold the file's
# first page past 4 GiB; fsck.cachestore finds the device clean.
. "$CS_REPO/tests/vm/lib.sh"

# (CS_QUICK=1, make check's second kernel: the smallest, the default and
# the largest)
granules=${CS_ARGS:-$([ "${CS_QUICK:-0}" = 1 ] && echo "64K 256K 4M" || echo "64K 128K 256K 512K 1M 2M 4M")}
help=$("$CS_REPO/build/bin/mkcachestore" -h 2>&1 || true)
grep -q -- '-g granule .*64K\.\.4M' <<< "$help" ||
	fail "mkcachestore -h no longer documents granules 64K..4M: update this test"
dev=${CS_DISK_CACHE#/dev/}
S=/srv/export M=/mnt/nfs C=/mnt/cache
nfs_server $S

# rd_sectors: sectors read from the cache disk so far
rd_sectors() { awk '{ print $3 }' "/sys/block/$dev/stat"; }

# served_warm WHAT PAGES: warm-read both files; the cache must serve them
served_warm() {
	local what=$1 n=$2 h0 h1 s0 s1
	h0=$(cs_stat $C read_hit_pages) s0=$(rd_sectors)
	warm_read $M "$n" check
	h1=$(cs_stat $C read_hit_pages) s1=$(rd_sectors)
	log "$what: read_hit_pages +$((h1 - h0)), disk read sectors +$((s1 - s0))"
	[ $((h1 - h0)) -ge "$n" ] ||
		fail "$what: read_hit_pages rose by $((h1 - h0)), want >= $n"
	[ $((s1 - s0)) -ge $((n * 8)) ] ||
		fail "$what: the cache disk read $((s1 - s0)) sectors, want >= $((n * 8))"
}

# past_4g BLOCK FILE: the device holds FILE's first page somewhere in the
# 64 MiB from BLOCK (the data area's start), and BLOCK lies past 4 GiB
past_4g() {
	/usr/bin/python3 - "$CS_DISK_CACHE" "$1" "$2" <<'PY' || fail "no copy of $2's first page found past 4 GiB"
import sys
dev, blk, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
assert blk * 4096 >= 4 << 30, "data area starts below 4 GiB"
page = open(path, "rb").read(4096)
with open(dev, "rb") as f:
    f.seek(blk * 4096)
    for i in range(64 << 8):
        if f.read(4096) == page:
            print("first page at device offset %d MiB" % ((blk + i) * 4096 >> 20))
            sys.exit(0)
sys.exit(1)
PY
}

for g in $granules; do
	log "=== granule $g"
	out=$("$CS_REPO/build/bin/mkcachestore" -f -K -g "$g" -J 4G "$CS_DISK_CACHE") ||
		{ echo "$out"; fail "mkcachestore -g $g"; }
	grep -q "Granule: *$(sed 's/K/.00 KiB/; s/M/.00 MiB/' <<< "$g")" <<< "$out" ||
		{ echo "$out"; fail "mkcachestore -g $g: granule not reported"; }
	dstart=$(sed -n 's/.*Data blocks:.*from block \([0-9]*\).*/\1/p' <<< "$out")
	[ -n "$dstart" ] || { echo "$out"; fail "no data start in mkcachestore's output"; }
	touch "/tmp/.cs-formatted-$dev"

	seed=$(( ${#g} * 7 + ${g%[KM]} ))
	mkdata $S/big.$g 9 "$seed"
	head -c 1050001 $S/big.$g > $S/small.$g		# last page partial
	check() {
		verify $M/big.$g "$(sum $S/big.$g)"
		verify $M/small.$g "$(sum $S/small.$g)"
	}
	n=$(($(pages $S/big.$g) + $(pages $S/small.$g)))

	cachestore_bind "$CS_DISK_CACHE" $C
	nfs_mount 3 $S $M
	cold_read $M "$n" check
	served_warm "granule $g, warm" "$n"
	cat $C/stats
	umount $M
	cachestore_unbind $C
	cs_fsck "$CS_DISK_CACHE"

	cachestore_bind "$CS_DISK_CACHE" $C
	nfs_mount 3 $S $M
	served_warm "granule $g, after rebind" "$n"
	umount $M
	cachestore_unbind $C
	past_4g "$dstart" $S/big.$g
	kernel_clean "granule $g"
done
log ok
