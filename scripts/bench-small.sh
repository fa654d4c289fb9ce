#!/bin/bash
# bench-small.sh - small files, the cost of each: NFILES files of 16 KiB
# read cold (the cache fills) and warm (served by the cache) through NFS on
# loopback, with no cache, cachefiles + cachefilesd and cachestore, in one
# VM per kernel (tests/vm/bench/small.sh has the details).
#
#   NFILES=2000 KERNELS="6.1 6.12" scripts/bench-small.sh
#   (CONFIGS="nocache cachefiles cachestore", NFSVERS=3, WARM=2: warm
#   passes per configuration, ALT="-e 65536": mkcachestore options of
#   the configuration cachestore-alt, added to CONFIGS, PERF=1: profile
#   each pass with perf in the VM, reports in OUT/KVER/perf.CONFIG.PASS.txt,
#   figures then include perf's cost; OUT=build/bench-small)
#
# Prints, per kernel, a table of seconds per pass and milliseconds per file,
# the VM's busy CPU, and what fscache and cachestore did per pass; then a
# summary per configuration: cold, the median and the range of the warm
# passes, and how cold and the warm median compare with no cache and with
# cachefiles (issue 16's goals).  TCG: compare figures within one run only;
# the warm range shows how far apart two passes of the same work fall.
# Nothing is asserted about speed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
NFILES=${NFILES:-2000}
CONFIGS=${CONFIGS:-nocache cachefiles cachestore}
# ALT= is measured as cachestore-alt, whether CONFIGS names it or not
if [ -n "${ALT:-}" ] && [[ " $CONFIGS " != *" cachestore-alt "* ]]; then
	CONFIGS+=" cachestore-alt"
fi
NFSVERS=${NFSVERS:-3}
WARM=${WARM:-2}
# shellcheck disable=SC2086
kvers=$("$repo/scripts/kver.sh" ${KERNELS:-${KVER:-6.1}}) ||
	{ echo "bench-small: cannot resolve KERNELS=${KERNELS:-}" >&2; exit 1; }
mib=$((NFILES * 16 * 2 / 1024 + 256))

# summary TSV: per configuration, cold and the warm passes' median and
# range, against no cache and cachefiles where they ran
summary() {
	awk -F'\t' '
	function median(c,   n, i, j, t, v) {
		n = nw[c]
		for (i = 1; i <= n; i++) v[i] = w[c, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	$2 == "cold" { cold[$1] = $3; if (!($1 in seen)) { seen[$1]; order[++nc] = $1 } }
	$2 ~ /^warm/ {
		w[$1, ++nw[$1]] = $3
		if (!($1 in lo) || $3 < lo[$1]) lo[$1] = $3
		if (!($1 in hi) || $3 > hi[$1]) hi[$1] = $3
	}
	END {
		printf "| config | cold s | warm median s (range, passes) | cold / no cache | warm / no cache | cachefiles warm / this warm |\n"
		printf "|---|---:|---:|---:|---:|---:|\n"
		for (k = 1; k <= nc; k++) {
			c = order[k]; m[c] = median(c)
		}
		for (k = 1; k <= nc; k++) {
			c = order[k]
			printf "| %s | %.1f | %.1f (%.1f-%.1f, %d) | %s | %s | %s |\n", c, cold[c], m[c], lo[c], hi[c], nw[c],
				("nocache" in m) ? sprintf("%.2f", cold[c] / cold["nocache"]) : "-",
				("nocache" in m) ? sprintf("%.2f", m[c] / m["nocache"]) : "-",
				("cachefiles" in m) ? sprintf("%.2f", m["cachefiles"] / m[c]) : "-"
		}
	}' "$1"
}

for kver in $kvers; do
	out=${OUT:-$repo/build/bench-small}/$kver
	rm -rf "$out"
	mkdir -p "$out"
	echo "bench-small: kernel $kver, $NFILES files of 16 KiB, ${CONFIGS// /, }; logs in $out"
	s=$(date +%s)
	if ! KVER=$kver CS_DISK_CACHE=${CS_DISK_CACHE:-writeback} "$repo/tests/vm/run-vm.sh" --out "$out" \
		--timeout 7200 --mem 3072 \
		--disk "export=${mib}M" --disk "fsc=${mib}M" --disk "cs=${mib}M" \
		"$repo/tests/vm/bench/small.sh" nfiles="$NFILES" configs="${CONFIGS// /,}" \
		nfsvers="$NFSVERS" warm="$WARM" ${ALT:+"alt=${ALT// /,}"} ${PERF:+perf=$PERF} > "$out/vm.log" 2>&1; then
		cat "$out/vm.log"
		tail -n 30 "$out/test.log" 2>/dev/null || true
		echo "bench-small: the VM run on $kver failed (logs in $out)" >&2
		exit 1
	fi
	rm -f "$out"/*.img
	echo
	echo "Small files, kernel $kver, $NFILES files of 16 KiB, NFSv$NFSVERS ($(( $(date +%s) - s )) s)"
	echo
	awk -F'\t' '
	BEGIN {
		printf "| config | pass | wall s | ms per file | busy CPU s | fscache acquires | fscache reads | fscache writes | cachestore lookups | creates | meta reads | meta writes | commits |\n"
		printf "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	}
	{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		$1, $2, $3, $5, $4, $6, $7, $8, $9, $10, $11, $12, $13 }' "$out/small.tsv" | tee "$out/small.md"
	echo | tee -a "$out/small.md"
	summary "$out/small.tsv" | tee -a "$out/small.md"
done
