#!/bin/bash
# lint.sh - kernel code quality gates, each one a test:
#   checkpatch.pl --strict (the target kernel's own) on every kernel source,
#   a W=1 build and a sparse (C=2) pass that must print no warning.
# Builds in a scratch copy so it never disturbs the tree's objects.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
KVER=${KVER:-$("$repo/scripts/kver.sh")}
KDIR=${KDIR:-/lib/modules/$KVER/build}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cachestore}
checkpatch="$CACHE/src/linux-source-6.1/scripts/checkpatch.pl"
passed=0 failed=0

result() { # NAME RC
	if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"
	else failed=$((failed + 1)); echo "FAIL $1"; fi
}

cd "$repo"
for d in fs/cachestore fs/fscache; do
	[ -f "$d/Kbuild" ] || continue
	files=$(find "$d" -name '*.[ch]' ! -name '*.mod.c' | sort)
	out=$("$checkpatch" --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES -f $files 2>&1 |
		grep -E 'ERROR|WARNING|CHECK')
	[ -z "$out" ] || echo "$out" | sed 's/^/    /'
	result "checkpatch --strict $d" "$([ -z "$out" ] && echo 0 || echo 1)"

	tmp=$(mktemp -d)
	cp -a "$d/." "$tmp/"
	find "$tmp" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
	out=$(make -s -C "$KDIR" M="$tmp" W=1 C=2 modules 2>&1 |
		grep -vE 'Skipping BTF generation|^make(\[[0-9]+\])?: (Entering|Leaving)' |
		grep -E 'warning|error|sparse' | sed "s|$tmp/|$d/|g")
	[ -z "$out" ] || echo "$out" | sed 's/^/    /'
	result "W=1 + sparse $d" "$([ -z "$out" ] && echo 0 || echo 1)"
	rm -rf "$tmp"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
