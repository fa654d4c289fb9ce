#!/bin/bash
# lint.sh - kernel code quality gates, each one a test:
#   checkpatch.pl --strict (the target kernel's own) on every kernel source,
#   a W=1 build and a sparse (C=2) pass that must print no warning.
# Builds in a scratch copy so it never disturbs the tree's objects.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
KVER=$("$repo/scripts/kver.sh" ${KVER:+"$KVER"})
KDIR=${KDIR:-$("$repo/scripts/kver.sh" --kdir "$KVER")}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cachestore}
# the checkpatch.pl of the kernel the code is built for (its rules change
# between releases): 6.12.117+deb12-amd64 -> linux-source-6.12
series=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$KVER")
checkpatch="$CACHE/src/linux-source-$series/scripts/checkpatch.pl"
echo "    kernel $KVER (checkpatch from linux-source-$series, kbuild $KDIR)"
passed=0 failed=0

result() { # NAME RC
	if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"
	else failed=$((failed + 1)); echo "FAIL $1"; fi
}

cd "$repo"
# A gate whose tool is missing fails: it must never report ok unchecked.
have_checkpatch=1 have_kdir=1 have_sparse=1
[ -x "$checkpatch" ] || { echo "    no $checkpatch (run make deps)"; have_checkpatch=0; }
[ -f "$KDIR/Makefile" ] || { echo "    no kernel build tree $KDIR (run make deps)"; have_kdir=0; }
command -v sparse >/dev/null || { echo "    no sparse (run make deps)"; have_sparse=0; }
for d in fs/cachestore fs/fscache; do
	[ -f "$d/Kbuild" ] || continue
	files=$(find "$d" -name '*.[ch]' ! -name '*.mod.c' | sort)
	if [ $have_checkpatch = 1 ]; then
		out=$("$checkpatch" --no-tree --strict --terse --show-types \
			--ignore FILE_PATH_CHANGES -f $files 2>&1)
		rc=$?
		bad=$(grep -E 'ERROR|WARNING|CHECK' <<<"$out")
		# checkpatch exits 0 only when it checked every file and found
		# nothing; a crash of the script itself must not pass
		[ -z "$bad" ] || echo "$bad" | sed 's/^/    /'
		[ $rc -eq 0 ] || [ -n "$bad" ] || echo "$out" | tail -n 5 | sed 's/^/    /'
		result "checkpatch --strict $d [$series]" "$([ $rc -eq 0 ] && [ -z "$bad" ] && echo 0 || echo 1)"
	else
		result "checkpatch --strict $d (checkpatch.pl missing)" 1
	fi

	if [ $have_kdir = 1 ] && [ $have_sparse = 1 ]; then
		tmp=$(mktemp -d)
		cp -a "$d/." "$tmp/"
		find "$tmp" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
		log=$(make -s -C "$KDIR" M="$tmp" W=1 C=2 modules 2>&1)
		rc=$?
		out=$(grep -vE 'Skipping BTF generation|^make(\[[0-9]+\])?: (Entering|Leaving)' <<<"$log" |
			grep -E 'warning|error|sparse' | sed "s|$tmp/|$d/|g")
		[ -z "$out" ] || echo "$out" | sed 's/^/    /'
		[ $rc -eq 0 ] || [ -n "$out" ] || echo "$log" | tail -n 5 | sed 's/^/    /'
		# the build must have produced the module, not merely printed nothing
		ko=$(ls "$tmp"/*.ko 2>/dev/null | head -n 1)
		result "W=1 + sparse $d [$KVER]" "$([ $rc -eq 0 ] && [ -z "$out" ] && [ -n "$ko" ] && echo 0 || echo 1)"
		rm -rf "$tmp"
	else
		result "W=1 + sparse $d (kernel build tree or sparse missing)" 1
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
