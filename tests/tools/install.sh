#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install (DESTDIR, PREFIX), cachestore-probe (identity, udev output,
# damaged and foreign superblocks), dumpcachestore (superblock, journal,
# volumes, objects, -x extents), dkms.conf.  No VM, no root needed.
. "$(dirname "$0")/common.bash"
need
PROBE=$BUILD/bin/cachestore-probe
DUMP=$BUILD/bin/dumpcachestore
for f in "$PROBE" "$DUMP"; do
	[ -x "$f" ] || { echo "FAIL setup: $f missing (make -C tools)"; echo "0 passed, 1 failed"; exit 1; }
done

# ---- make install into a DESTDIR ----
D=$T/root
run make --no-print-directory install DESTDIR="$D" BUILD="$BUILD"
check install-exit0 [ "$rc" -eq 0 ]
for t in mkcachestore fsck.cachestore cachestore-probe dumpcachestore; do
	check "install-sbin-$t" [ -x "$D/usr/sbin/$t" ]
	check "install-man-$t" [ -f "$D/usr/share/man/man8/$t.8" ]
done
check install-man5-cachestore [ -f "$D/usr/share/man/man5/cachestore.5" ]
check install-mkfs-link [ "$(readlink "$D/usr/sbin/mkfs.cachestore")" = mkcachestore ]
run "$D/usr/sbin/mkfs.cachestore" -V
check install-mkfs-link-runs eval '[ "$rc" -eq 0 ] && grep -q "^mkfs.cachestore (cachestore format" <<<"$out"'
check install-mkfs-man-so grep -qx '.so man8/mkcachestore.8' "$D/usr/share/man/man8/mkfs.cachestore.8"
rule=$D/usr/lib/udev/rules.d/60-cachestore.rules
check install-udev-rule [ -f "$rule" ]
check install-udev-rule-path grep -qF 'IMPORT{program}="/usr/sbin/cachestore-probe -o udev $devnode"' "$rule"
check install-udev-rule-no-placeholder eval '! grep -q @ "$rule"'
check install-udev-rule-links eval 'grep -qF "SYMLINK+=\"disk/by-uuid/\$env{ID_FS_UUID_ENC}\"" "$rule" &&
	grep -qF "SYMLINK+=\"disk/by-label/\$env{ID_FS_LABEL_ENC}\"" "$rule"'
# every installed page renders without a warning (man --warnings)
warn=
for p in "$D"/usr/share/man/man8/*.8 "$D"/usr/share/man/man5/*.5; do
	w=$(cd "$D/usr/share/man" && man --warnings -l "$p" 2>&1 >/dev/null)
	[ -z "$w" ] || warn+="$(basename "$p"): $w "
done
check install-man-no-warnings eval '[ -z "$warn" ] || { echo "$warn"; false; }'
# PREFIX and SBINDIR move the tools and the path in the rule
D2=$T/root2
run make --no-print-directory install DESTDIR="$D2" PREFIX=/usr/local BUILD="$BUILD"
check install-prefix eval '[ "$rc" -eq 0 ] && [ -x "$D2/usr/local/sbin/cachestore-probe" ] &&
	grep -qF "/usr/local/sbin/cachestore-probe -o udev" "$D2/usr/local/lib/udev/rules.d/60-cachestore.rules"'
run make --no-print-directory uninstall DESTDIR="$D" BUILD="$BUILD"
check uninstall-removes eval '[ "$rc" -eq 0 ] && [ -z "$(find "$D" ! -type d)" ]'

# dkms.conf: module, location, AUTOINSTALL, kernels admitted
conf=$(sed 's/@VERSION@/1.0/' dkms.conf.in)
check dkms-conf-module grep -qx 'BUILT_MODULE_NAME\[0\]="cachestore"' <<<"$conf"
check dkms-conf-autoinstall grep -qx 'AUTOINSTALL="yes"' <<<"$conf"
re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' <<<"$conf")
check dkms-conf-admits-6.1 grep -Eq "$re" <<<"6.1.0-56-amd64"
check dkms-conf-admits-6.12 grep -Eq "$re" <<<"6.12.117+deb12-amd64"
check dkms-conf-refuses-6.10 eval '! grep -Eq "$re" <<<"6.10.3-amd64"'
check dkms-conf-refuses-6.13 eval '! grep -Eq "$re" <<<"6.13.1-amd64"'

# ---- cachestore-probe ----
uuid=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
"$MKFS" -q -s 64M -U "$uuid" -L "my cache" "$T/img"
sum=$(md5sum <"$T/img")
run "$PROBE" -o udev "$T/img"
check probe-udev-exit0 [ "$rc" -eq 0 ]
# shellcheck disable=SC2034  # used in the eval below
expect="ID_FS_TYPE=cachestore
ID_FS_UUID=$uuid
ID_FS_UUID_ENC=$uuid
ID_FS_LABEL=my_cache
ID_FS_LABEL_ENC=my\\x20cache
ID_FS_VERSION=1.0
ID_FS_USAGE=other"
check probe-udev-output eval '[ "$out" = "$expect" ] || { diff <(echo "$expect") <(echo "$out"); false; }'
run "$PROBE" "$T/img"
check probe-full eval '[ "$out" = "$T/img: TYPE=\"cachestore\" UUID=\"$uuid\" LABEL=\"my cache\" VERSION=\"1.0\" USAGE=\"other\"" ]'
run "$PROBE" -o export "$T/img"
check probe-export-shell eval '(eval "$out"; [ "$LABEL" = "my cache" ] && [ "$UUID" = "$uuid" ] && [ "$TYPE" = cachestore ])'
run "$PROBE" -o value -s label "$T/img"
check probe-value-tag [ "$out" = "my cache" ]
check probe-wrote-nothing [ "$(md5sum <"$T/img")" = "$sum" ]
# a label that needs more encoding; no label at all
"$MKFS" -q -f -s 64M -L 'a/b"c' "$T/img2"
run "$PROBE" -o udev -s LABEL "$T/img2"
check probe-label-encoded eval 'grep -qx "ID_FS_LABEL_ENC=a\\\\x2fb\\\\x22c" <<<"$out"'
"$MKFS" -q -f -s 64M "$T/img2"
run "$PROBE" -o udev "$T/img2"
check probe-no-label eval '[ "$rc" -eq 0 ] && ! grep -q LABEL <<<"$out"'
# usage
run "$PROBE" -o bogus "$T/img"
check probe-usage-exit1 [ "$rc" -eq 1 ]

# damaged primary superblock (a label byte: only the checksum is wrong)
cp "$T/img" "$T/bad.img"
corrupt "$T/bad.img" 0 210
run "$PROBE" -o udev "$T/bad.img"
check probe-damaged-exit3 [ "$rc" -eq 3 ]
check probe-damaged-message grep -q "damaged cachestore superblock: bad checksum" <<<"$out"
check probe-damaged-names-backup grep -q "backup in block 16383 is valid" <<<"$out"
check probe-damaged-no-udev-vars eval '! grep -q "^ID_FS" <<<"$out"'
run "$PROBE" -b -o value -s UUID "$T/bad.img"
check probe-backup-b eval '[ "$rc" -eq 0 ] && grep -qx "$uuid" <<<"$out"'
corrupt "$T/bad.img" 16383 210
run "$PROBE" -b "$T/bad.img"
check probe-both-damaged-exit3 eval '[ "$rc" -eq 3 ] && grep -q "backup in block 16383 is damaged: bad checksum" <<<"$out"'
# not a cache; no device
truncate -s 64M "$T/ext4.img"
mkfs.ext4 -qF "$T/ext4.img" >/dev/null 2>&1
run "$PROBE" -o udev "$T/ext4.img"
check probe-foreign-exit2 eval '[ "$rc" -eq 2 ] && grep -q "not a cachestore cache" <<<"$out"'
run "$PROBE" "$T/none.img"
check probe-missing-exit4 eval '[ "$rc" -eq 4 ] && grep -q "No such file" <<<"$out"'

# ---- dumpcachestore ----
run "$DUMP" "$T/img"
check dump-fresh-exit0 [ "$rc" -eq 0 ]
check dump-fresh-uuid grep -Eq "^  UUID: +$uuid\$" <<<"$out"
check dump-fresh-label grep -Eq '^  Label: +"my cache"$' <<<"$out"
check dump-fresh-blocks grep -Eq '^  Blocks: +16384 \(64.00 MiB\)$' <<<"$out"
check dump-fresh-both-sb eval 'grep -Eq "^  Primary \(block 0\): +valid" <<<"$out" && grep -Eq "^  Backup \(block 16383\): +valid" <<<"$out"'
check dump-fresh-journal-clean grep -Eq '^  State: +clean \(empty\)$' <<<"$out"
check dump-fresh-no-volumes eval 'grep -A2 -x Volumes <<<"$out" | grep -qx "  (none)"'
check dump-fresh-no-objects grep -Eq '^  Live: +0$' <<<"$out"
check dump-wrote-nothing [ "$(md5sum <"$T/img")" = "$sum" ]

# objects: 8 checkpointed, 1 only in the journal (replayed in memory)
"$MKIMAGE" build "$T/img" 8 1 >"$T/layout"
sum=$(md5sum <"$T/img")
run "$DUMP" "$T/img"
check dump-objects-exit0 [ "$rc" -eq 0 ]
check dump-journal-pending grep -Eq '^  State: +needs recovery: 1 transaction ' <<<"$out"
check dump-state-live grep -Eq '^  Live objects: +9$' <<<"$out"
check dump-volume-line grep -Eq '^ +1  live +9 +[0-9]+  test$' <<<"$out"
check dump-count-live grep -Eq '^  Live: +9$' <<<"$out"
check dump-no-extents-without-x eval '! grep -q "^  Object [0-9]" <<<"$out"'
run "$DUMP" -x "$T/img"
check dump-x-objects [ "$(grep -c '^  Object [0-9]* ' <<<"$out")" -eq 9 ]
# each object's first extent is where mkimage put it
bad=0
while read -r _ id _ _ _ _ _ _ _ pblk _ len _; do
	awk -v id="$id" '$1 == "Object" && $2 == id { on = 1; next }
		$1 == "Object" { on = 0 }
		on && /granule 0 / { print; exit }' <<<"$out" |
		grep -q "blocks $pblk-$((pblk + len - 1)) ($len)" || bad=$((bad + 1))
done < <(grep '^obj ' "$T/layout")
check dump-x-extents-match-layout [ "$bad" -eq 0 ]
check dump-x-content-map grep -q 'present: 0-1$' <<<"$out"
check dump-x-wrote-nothing [ "$(md5sum <"$T/img")" = "$sum" ]
# damaged primary superblock: dumped from the backup, and says so
corrupt "$T/img" 0 210
run "$DUMP" "$T/img"
check dump-backup-used eval '[ "$rc" -eq 0 ] && grep -Eq "^  Primary \(block 0\): +bad checksum" <<<"$out" &&
	grep -Eq "^  In use: +backup$" <<<"$out"'
run "$DUMP" "$T/ext4.img"
check dump-foreign-exit2 eval '[ "$rc" -eq 2 ] && grep -q "not a cachestore cache" <<<"$out"'
run "$DUMP"
check dump-usage-exit1 [ "$rc" -eq 1 ]

# libuuid: -U round trip (upper case accepted, printed lower case); bad UUID
"$MKFS" -q -f -s 64M -U "${uuid^^}" "$T/img2"
check uuid-upper-case [ "$("$PROBE" -o value -s UUID "$T/img2")" = "$uuid" ]
run "$MKFS" -q -f -s 64M -U "${uuid}0" "$T/img2"
check uuid-invalid-exit1 [ "$rc" -eq 1 ]
"$MKFS" -q -f -s 64M "$T/img2"
check uuid-random-v4 grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$("$PROBE" -o value -s UUID "$T/img2")"
finish
