#!/bin/bash
# bench-cull.sh - culling at the scale of real caches: cachestore against
# cachefiles + cachefilesd, side by side in one VM per object count.
#
#   NS="10000 100000" OBJ_KIB=4 PCTS="1 3" KVER=6.1 scripts/bench-cull.sh
#   (LIMIT=seconds: the longest a cull phase may take, default 1800;
#   CS_OPTS=O1,O2: more cachestore mount options for the cull phases
#   (e.g. CS_OPTS=nodiscard);
#   PERF=1: profile each cull phase with perf in the VM, reports in
#   OUT/nN/perf.BACKEND.N.P.txt; such a run's figures include perf's cost;
#   IMAGE=FILE with BACKENDS=cachestore and one N: bind FILE, a cachestore
#   image of N objects made on the host, instead of filling a new cache
#   through fscache, which at a million objects takes hours under TCG:
#     mkcachestore -f -N 1000000 -s 16G img &&
#     build/tests/tools/mkimage build img 1000000 > /dev/null
#   (objects of 1 to 4 pages, about 25 minutes natively))
#
# For each N in NS, one VM (tests/vm/bench/cull.sh) fills each backend's
# cache (sized so that N objects of OBJ_KIB KiB leave it about 20 % free)
# through test_fscache, then for each P in PCTS binds it again with
# thresholds that make it free P % more of its space, and times that cull.
# The table gives, per backend, N and P: objects culled, bind time, time to
# the first eviction, wall time to the run mark (polled every 20 ms with
# shell builtins only for cachestore; every 100 ms for cachefiles, whose
# cull takes seconds), for cachestore also the kernel's own time for the
# episode (from its first pick to the run mark, from its "culled N objects
# in T ms" message), the VM's busy CPU time in that window (and
# cachefilesd's own), and per culled object.  The time to the first
# eviction, per cached object, is the part of the cost that grows
# with the cache (cachefilesd walks the whole tree before it culls); the
# rest of the wall time, per culled object, the part that grows with what
# is evicted.  TCG: compare figures within one run only.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
NS=${NS:-10000 100000}
OBJ_KIB=${OBJ_KIB:-4}
PCTS=${PCTS:-1 3}
BACKENDS=${BACKENDS:-cachestore cachefiles}
KVER=$("$repo/scripts/kver.sh" ${KVER:+"$KVER"})
export KVER
out=${OUT:-$repo/build/bench-cull/$KVER}
mkdir -p "$out"
tsv="$out/cull.tsv"
: > "$tsv"

for n in $NS; do
	# data at 78 % of the disk, object slots (cachestore: 2 N of about
	# 1 KiB each) and 64 MiB for the rest of the metadata on top
	mib=$(( (n * OBJ_KIB * 100 / 78 + n * 2) / 1024 + 64 ))
	o="$out/n$n"
	rm -rf "$o"
	if [ -n "${IMAGE:-}" ]; then
		# a prebuilt cachestore image of N objects: bound as it is
		mkdir -p "$o"
		cp --sparse=always "$IMAGE" "$o/cs.img"
		mib=$(( $(stat -c %s "$IMAGE") / 1048576 ))
	fi
	echo "bench-cull: N=$n objects of $OBJ_KIB KiB, caches of $mib MiB, phases freeing ${PCTS// /, } %, kernel $KVER"
	s=$(date +%s)
	if ! CS_DISK_CACHE=${CS_DISK_CACHE:-writeback} "$repo/tests/vm/run-vm.sh" --out "$o" --timeout 7200 --mem 4096 \
		--disk "cs=${mib}M" --disk "fs=${mib}M" \
		"$repo/tests/vm/bench/cull.sh" "$n" "$OBJ_KIB" "${PCTS// /,}" "${LIMIT:-1800}" $BACKENDS ${PERF:+perf=$PERF} ${IMAGE:+image=1} ${CS_OPTS:+opts=$CS_OPTS} > "$o.log" 2>&1; then
		cat "$o.log"
		tail -n 30 "$o/test.log" 2>/dev/null || true
		echo "bench-cull: the VM run for N=$n failed (logs in $o)" >&2
		exit 1
	fi
	rm -f "$o"/*.img
	grep -E '^\[' "$o/test.log" | grep -E 'fill|N=' | sed 's/^/    /'
	cat "$o/cull.tsv" >> "$tsv"
	echo "    ($(( $(date +%s) - s )) s)"
done

echo
echo "Culling, kernel $KVER, objects of $OBJ_KIB KiB (times in ms; per object in us)"
echo
awk -F'\t' '
BEGIN {
	printf "| backend | cached N | freed | culled | bind | first eviction | wall | kernel episode | busy CPU | daemon CPU | wall/culled | CPU/culled | scan per cached object | per culled object after the first |\n"
	printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
}
{
	b = $1; n = $2; p = $3; c = $4
	# the time to the first eviction is what a cull costs before it
	# evicts anything (cachefilesd scans the whole tree), per cached
	# object; what follows, per culled object
	printf "| %s | %d | %d %% | %d | %d | %d | %d | %s | %d | %s | %s | %s | %.2f | %s |\n",
		b, n, p, c, $5, $6, $7, (b == "cachestore" && $11 != "" ? $11 : "-"),
		$8, (b == "cachefiles" ? $9 : "-"),
		(c ? sprintf("%.0f", $7 * 1000 / c) : "-"),
		(c ? sprintf("%.0f", $8 * 1000 / c) : "-"),
		$6 * 1000 / n,
		(c > 1 ? sprintf("%.0f", ($7 - $6) * 1000 / (c - 1)) : "-")
}' "$tsv" | tee "$out/cull.md"
echo
echo "bench-cull: figures in $tsv and $out/cull.md"
