#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fsck.cachestore: clean images, and each planted corruption class gives
# exit 4 with -n (image unchanged), exit 1 with -y, then exit 0.
. "$(dirname "$0")/common.bash"
need

# fresh IMG [NDIRTY]: format a 64 MiB image, 8 objects (+NDIRTY journal-only
# transactions); the layout goes to $T/layout
fresh() {
	rm -f "$T/img"
	truncate -s 64M "$T/img"
	"$MKFS" -q "$T/img" && "$MKIMAGE" build "$T/img" 8 "${1:-0}" >"$T/layout"
}

# cycle NAME MESSAGE-REGEX: -n -> 4 and unchanged, -y -> 1, again -> 0
cycle() {
	local name=$1 re=$2 sum
	sum=$(md5sum <"$T/img")
	run "$FSCK" -n "$T/img"
	check "$name-n-exit4" [ "$rc" -eq 4 ]
	[ "$rc" -eq 4 ] || echo "$out" | sed 's/^/#   /'
	# the problem lines only: pass headers name every structure each run
	problems=$(grep -vE '^(Pass [0-9]+:|Checking cache on|fsck\.cachestore \()' <<<"$out")
	[ -n "${FSCK_SHOW:-}" ] && echo "$problems" | sed "s/^/# $name: /"
	check "$name-n-reports" grep -qiE "$re" <<<"$problems"
	check "$name-n-unchanged" [ "$(md5sum <"$T/img")" = "$sum" ]
	run "$FSCK" -y "$T/img"
	check "$name-y-exit1" [ "$rc" -eq 1 ]
	[ "$rc" -eq 1 ] || echo "$out" | sed 's/^/#   /'
	run "$FSCK" -n "$T/img"
	check "$name-after-exit0" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/#   /'
	run "$FSCK" -fp "$T/img"
	check "$name-preen-exit0" [ "$rc" -eq 0 ]
}

# clean images
truncate -s 64M "$T/img"
"$MKFS" -q "$T/img"
run "$FSCK" -n "$T/img"
check fresh-n-exit0 [ "$rc" -eq 0 ]
check fresh-clean-line grep -q "clean, 0/" <<<"$out"
run "$FSCK" -fy "$T/img"
check fresh-y-exit0 [ "$rc" -eq 0 ]
fresh
run "$FSCK" -n "$T/img"
check objects-n-exit0 [ "$rc" -eq 0 ]
check objects-count grep -q "clean, 8/" <<<"$out"
fresh 3
run "$FSCK" -n "$T/img"
check dirty-journal-n-exit0 [ "$rc" -eq 0 ]
check dirty-journal-replayed grep -q "Replayed 3 journal transactions" <<<"$out"
run "$FSCK" -p "$T/img"
check dirty-journal-p-exit0 [ "$rc" -eq 0 ]
check dirty-journal-11-objects grep -q "11/" <<<"$out"

# usage and operational errors
run "$FSCK" -n -y "$T/img"
check usage-exit16 [ "$rc" -eq 16 ]
run "$FSCK" -n "$T/missing"
check missing-exit8 [ "$rc" -eq 8 ]
truncate -s 64M "$T/zero.img"
run "$FSCK" -n "$T/zero.img"
check not-a-cache-exit8 eval '[ "$rc" -eq 8 ] && grep -q "no cachestore superblock" <<<"$out"'
run "$FSCK" -n -C 0 "$T/img"
check progress-bar eval '[ "$rc" -eq 0 ] && grep -q "100%" <<<"$out"'

# 1. primary superblock checksum bad, backup good
fresh
corrupt "$T/img" 0 200
cycle bad-super "Primary superblock is damaged"

# 2. two objects claim the same blocks
fresh
"$MKIMAGE" plant "$T/img" overlap 2 3 >/dev/null
cycle overlap "blocks claimed by two objects +[1-9]"
run "$MKIMAGE" info "$T/img"
check overlap-survivors eval '[ $(grep -c "^obj " <<<"$out") -ge 6 ]'

# 3. an extent outside the data area
fresh
"$MKIMAGE" plant "$T/img" outofrange 4 >/dev/null
# (the record validator rejects the record before the extent walk)
cycle out-of-range "extents outside the data area +[1-9]|damaged object records +[1-9]"

# 4. garbled journal: a block image inside the 2nd of 3 transactions
fresh 3
b=$(awk '$1 == "txn" && NR > 1 { n++; if (n == 2) print $4 + 1 }' "$T/layout")
corrupt "$T/img" "$b" 300
cycle garbled-journal "Journal transaction [0-9]+ is damaged"

# 5. truncated journal: the 1st of 3 transactions loses its commit block
fresh 3
b=$(awk '$1 == "txn" { print $6; exit }' "$T/layout")
dd if=/dev/zero of="$T/img" bs=4096 seek="$b" count=1 conv=notrunc status=none
cycle truncated-journal "Journal is truncated or garbled: 2 committed"

# 6. object table block checksum
fresh
b=$(field "$T/layout" obj 5 objtab)
corrupt "$T/img" "$b" 1000
cycle bad-objtab-csum "metadata blocks with bad checksums +[1-9]"

# 7. index bucket checksum
fresh
b=$(field "$T/layout" obj 1 bucket)
corrupt "$T/img" "$b" 100
cycle bad-bucket-csum "metadata blocks with bad checksums +1\$"

# 8. the journal scan (every ring block, 4 GiB at -J 4G) must not pull the
# ring through the page cache: a 3 GiB test VM thrashed (and its watchdog
# reported a soft lockup in fsck) reading a 64 GiB cache's 4 GiB journal
rm -f "$T/img"
truncate -s 64G "$T/img"
"$MKFS" -q -J 4G "$T/img"
if dd if="$T/img" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
	dd if="$T/img" iflag=nocache count=0 status=none	# drop its cache
	run "$FSCK" -n -v "$T/img"
	check big-journal-n-exit0 [ "$rc" -eq 0 ]
	check big-journal-whole-ring-read grep -qE "I/O: [0-9]+ reads \(10[5-9][0-9]{4} blocks\)" <<<"$out"
	res=$(fincore -b -n "$T/img" | awk '{ print $1 }')
	echo "# page cache after fsck -n of a 4 GiB journal: $res bytes"
	check big-journal-not-cached [ "${res:-0}" -lt $((256 << 20)) ]
else
	echo "# $T: no O_DIRECT here, big-journal page cache check skipped"
fi
rm -f "$T/img"

finish
