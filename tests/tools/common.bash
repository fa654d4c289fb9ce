# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the tool tests (sourced).  Run from the repo root.
BUILD=${BUILD:-$PWD/build}
MKFS=$BUILD/bin/mkcachestore
FSCK=$BUILD/bin/fsck.cachestore
MKIMAGE=$BUILD/tests/tools/mkimage
T=$(mktemp -d /tmp/cstools.XXXXXX)
trap 'rm -rf "$T"' EXIT
npass=0
nfail=0

ok()   { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; nfail=$((nfail + 1)); }
# check NAME CONDITION-COMMAND...
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n"; fi; }
finish() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}
need() {
	for f in "$MKFS" "$FSCK" "$MKIMAGE"; do
		if [ ! -x "$f" ]; then
			echo "FAIL setup: $f missing (make -C tools && make -C tests/tools)"
			echo "0 passed, 1 failed"
			exit 1
		fi
	done
}
# run CMD...: sets $rc, $out (stdout+stderr)
run() { out=$("$@" 2>&1); rc=$?; }
# corrupt IMG BLOCK OFFSET: flip one byte inside a 4 KiB block
corrupt() {
	local b
	b=$(od -An -tu1 -j $(($2 * 4096 + $3)) -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(((b ^ 0xff) & 0xff)))" |
		dd of="$1" bs=1 seek=$(($2 * 4096 + $3)) conv=notrunc status=none
}
field() { awk -v k="$2" -v id="$3" '$1 == k && $2 == id { for (i = 3; i < NF; i += 2) if ($i == "'"$4"'") print $(i + 1) }' "$1"; }
