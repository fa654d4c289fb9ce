#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkcachestore: signatures, -f, size limits, missing device, -n, 1 TiB speed.
. "$(dirname "$0")/common.bash"
need

# ext4 signature: refused with exit 2 and a message naming it, file intact
truncate -s 64M "$T/ext4.img"
mkfs.ext4 -qF "$T/ext4.img" >/dev/null 2>&1
sum=$(md5sum <"$T/ext4.img")
run "$MKFS" -q "$T/ext4.img"
check ext4-refused-exit2 [ "$rc" -eq 2 ]
check ext4-refused-message grep -q "contains ext4" <<<"$out"
check ext4-intact [ "$(md5sum <"$T/ext4.img")" = "$sum" ]
check ext4-still-ext4 [ "$(blkid -p -o value -s TYPE "$T/ext4.img")" = ext4 ]

# -f formats it; fsck says clean; blkid no longer sees ext4
run "$MKFS" -q -f -L tools-test "$T/ext4.img"
check force-formats [ "$rc" -eq 0 ]
run "$FSCK" -n "$T/ext4.img"
check force-fsck-clean [ "$rc" -eq 0 ]
check force-no-ext4 [ -z "$(blkid -p -o value -s TYPE "$T/ext4.img" 2>/dev/null)" ]

# an existing cache is refused without -f
run "$MKFS" -q "$T/ext4.img"
check cache-refused [ "$rc" -eq 2 ]
check cache-refused-message grep -q "contains a cachestore cache" <<<"$out"

# a partition table is refused
# (a DOS MBR with one partition entry, written by hand: no sfdisk needed)
truncate -s 64M "$T/pt.img"
printf '\x00\x00\x00\x00\x00\x83\x00\x00\x00\x08\x00\x00\x00\x10\x00\x00' |
	dd of="$T/pt.img" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$T/pt.img" bs=1 seek=510 conv=notrunc status=none
run "$MKFS" -q "$T/pt.img"
check partition-table-refused eval '[ "$rc" -eq 2 ] && grep -q "dos partition table" <<<"$out"'

# swap
truncate -s 64M "$T/swap.img"
mkswap "$T/swap.img" >/dev/null 2>&1
run "$MKFS" -q "$T/swap.img"
check swap-refused eval '[ "$rc" -eq 2 ] && grep -q "swap" <<<"$out"'

# too small
truncate -s 1M "$T/small.img"
run "$MKFS" -q "$T/small.img"
check too-small-exit2 [ "$rc" -eq 2 ]
check too-small-message grep -q "too small" <<<"$out"

# missing device
run "$MKFS" -q "$T/does-not-exist"
check missing-exit2 [ "$rc" -eq 2 ]
check missing-message grep -q "No such file or directory" <<<"$out"
check missing-not-created [ ! -e "$T/does-not-exist" ]

# usage errors
run "$MKFS" -g 100K "$T/small.img"
check bad-granule-exit1 [ "$rc" -eq 1 ]
run "$MKFS"
check no-device-exit1 [ "$rc" -eq 1 ]
for e in 1 3 0x30 -2 $((1 << 41)); do
	run "$MKFS" -q -f -e "$e" -s 64M "$T/epoch.img"
	check "bad-epoch-$e-exit1" eval '[ "$rc" -eq 1 ] && grep -q "invalid LRU epoch" <<<"$out"'
done
run "$MKFS" -q -f -e 2 -s 64M "$T/epoch.img"
check epoch-2-formats [ "$rc" -eq 0 ]
check epoch-2-recorded eval '"$BUILD/bin/dumpcachestore" "$T/epoch.img" | grep -q "LRU stamps in 2 s epochs"'

# -O: the probation feature, on by default, off with ^probation
run "$MKFS" -q -f -O bogus -s 64M "$T/feat.img"
check bad-feature-exit1 eval '[ "$rc" -eq 1 ] && grep -q "unknown feature .bogus." <<<"$out"'
run "$MKFS" -q -f -s 64M "$T/feat.img"
check probation-default eval '"$BUILD/bin/dumpcachestore" "$T/feat.img" | grep -q "incompat 0x1 (probation)"'
run "$MKFS" -q -f -O ^probation -s 64M "$T/feat.img"
check probation-off eval '[ "$rc" -eq 0 ] && "$BUILD/bin/dumpcachestore" "$T/feat.img" | grep -q "incompat 0x0,"'
check probation-off-fsck "$BUILD/bin/fsck.cachestore" -n "$T/feat.img"

# -n writes nothing
truncate -s 256M "$T/dry.img"
dd if=/dev/urandom of="$T/dry.img" bs=4096 count=4 conv=notrunc status=none
sum=$(md5sum <"$T/dry.img")
run "$MKFS" -n "$T/dry.img"
check dry-run-exit0 [ "$rc" -eq 0 ]
check dry-run-unchanged [ "$(md5sum <"$T/dry.img")" = "$sum" ]
check dry-run-summary grep -q "Would create" <<<"$out"

# -s creates a regular file; options show in the summary
run "$MKFS" -s 128M -g 1M -J 8M -N 1000 -L lbl \
	-U 01234567-89ab-cdef-0123-456789abcdef "$T/new.img"
check size-creates eval '[ "$rc" -eq 0 ] && [ "$(stat -c %s "$T/new.img")" -eq $((128 << 20)) ]'
check summary-fields eval 'grep -q "Granule: *256.00 KiB\|Granule: *1.00 MiB" <<<"$out" &&
	grep -q "UUID: *01234567-89ab-cdef-0123-456789abcdef" <<<"$out" &&
	grep -q "Label: *lbl" <<<"$out" && grep -q "Journal: *8.00 MiB" <<<"$out"'
check summary-granule grep -q "Granule: *1.00 MiB" <<<"$out"
run "$FSCK" -n "$T/new.img"
check size-fsck-clean [ "$rc" -eq 0 ]

# 1 TiB sparse file: format < 1 s target (assert < 5 s), then fsck clean
truncate -s 1T "$T/big.img"
t0=$(date +%s.%N)
run "$MKFS" -q "$T/big.img"
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
echo "# mkcachestore on a 1 TiB sparse file: ${secs} s"
check tib-format [ "$rc" -eq 0 ]
check tib-format-fast [ "$(echo "$secs < 5" | bc)" = 1 ]
t0=$(date +%s.%N)
run "$FSCK" -n "$T/big.img"
t1=$(date +%s.%N)
echo "# fsck.cachestore -n on the 1 TiB cache: $(echo "$t1 - $t0" | bc) s"
check tib-fsck-clean [ "$rc" -eq 0 ]
check tib-sparse [ "$(du -k "$T/big.img" | cut -f1)" -lt 65536 ]

finish
