#!/bin/bash
# bench.sh - the NFS benchmark suite: fio through the kernel NFS client with
# no cache, cachefiles + cachefilesd and cachestore, beside a local ext4
# file and the raw device, in one VM run per kernel.
#
#   scripts/bench.sh                        the full run (make bench)
#   QUICK=1 scripts/bench.sh                the short one (make bench-quick)
#   KERNELS="6.1 6.12" PROFILES="1g 100m wan" REPS=5 scripts/bench.sh
#
# Settings (environment; full / QUICK=1 defaults):
#   KERNELS   kernels, series or releases (6.1 6.12 / $KVER or 6.1)
#   PROFILES  network profiles on lo: none, 1g (0.2 ms, 1 Gbit/s),
#             100m (5 ms, 100 Mbit/s), wan (50 ms, 50 Mbit/s) (1g 100m / 1g)
#   REPS      repetitions, for min/median/max (3 / 1)
#   CONFIGS   nocache cachefiles cachestore (all three / all three)
#   MIB       the large file, MiB (128 / 32)
#   NFILES    small files of 16 KiB (1000 / 200)
#   PAR_MIB   the file of each of the 8 concurrent readers, MiB (4 / 2)
#   RUNTIME   seconds of each random-read job (5 / 3)
#   CULL_CACHE_MIB  the cache of the cull workload; its data set is twice
#             that, in files of CULL_FILE_MIB (32, 2 / 24, 1)
#   WARM_MIB  the warm-up file (8 / 4); NFSVERS (3); MEM (VM MiB, 3072);
#   TIMEOUT   seconds the VM may run (21600 / 1500); OUT (build/bench[-quick])
#   JOBS      kernels run side by side, one vCPU each (2); one at a time,
#             or one kernel, gets two vCPUs
#
# Results, per kernel, in OUT/KVER: bench-DATE.json (every sample, the
# summary, kernel, commit, date, parameters), bench.md (the tables),
# plot-WORKLOAD.png and overview-PROFILE.png (gnuplot), bench.tsv and fio/
# (the raw samples: fio's JSON output of every measurement) and vm/ (the
# VM's logs).  Nothing is asserted about speed.  See
# Documentation/filesystems/caching/benchmarks.rst.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "${QUICK:-0}" = 1 ]; then
	: "${KERNELS:=${KVER:-6.1}}" "${PROFILES:=1g}" "${REPS:=1}" "${MIB:=32}"
	: "${NFILES:=200}" "${PAR_MIB:=2}" "${RUNTIME:=3}" "${CULL_CACHE_MIB:=24}"
	: "${CULL_FILE_MIB:=1}" "${WARM_MIB:=4}" "${TIMEOUT:=1500}"
	: "${OUT:=$repo/build/bench-quick}"
else
	: "${KERNELS:=6.1 6.12}" "${PROFILES:=1g 100m}" "${REPS:=3}" "${MIB:=128}"
	: "${NFILES:=1000}" "${PAR_MIB:=4}" "${RUNTIME:=5}" "${CULL_CACHE_MIB:=32}"
	: "${CULL_FILE_MIB:=2}" "${WARM_MIB:=8}" "${TIMEOUT:=21600}"
	: "${OUT:=$repo/build/bench}"
fi
CONFIGS=${CONFIGS:-nocache cachefiles cachestore}
NFSVERS=${NFSVERS:-3}
MEM=${MEM:-3072}
# shellcheck disable=SC2086
kvers=$("$repo/scripts/kver.sh" $KERNELS) || { echo "bench: cannot resolve KERNELS=$KERNELS" >&2; exit 1; }

# disk sizes (MiB; sparse files, only what is written takes space): the
# export and the local copy hold every file; the caches of the main phase
# hold them all too; the cull phase's caches are CULL_CACHE_MIB
data_mib=$((WARM_MIB + MIB + (NFILES * 16 + 1023) / 1024 + 1 + 8 * PAR_MIB + 2 * CULL_CACHE_MIB))
fs_mib=$((data_mib * 13 / 10 + NFILES * 4 / 1024 + 256))
cache_mib=$((data_mib * 2 + 256))

git_commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- 2>/dev/null || git_commit="$git_commit (+ uncommitted changes)"

bench_kernel() { # KVER SMP
	local kver=$1 smp=$2 out=$OUT/$1 stamp args s elapsed
	rm -rf "$out"
	mkdir -p "$out"
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	args=(reps="$REPS" profiles="${PROFILES// /,}" configs="${CONFIGS// /,}" mib="$MIB"
	      warm_mib="$WARM_MIB" runtime="$RUNTIME" nfiles="$NFILES" par_mib="$PAR_MIB"
	      cull_cache_mib="$CULL_CACHE_MIB" cull_file_mib="$CULL_FILE_MIB" nfsvers="$NFSVERS")
	echo "bench: kernel $kver: ${args[*]}; logs in $out/vm"
	s=$(date +%s)
	if ! KVER=$kver CS_DISK_CACHE=${CS_DISK_CACHE:-writeback} "$repo/tests/vm/run-vm.sh" --out "$out/vm" --timeout "$TIMEOUT" --mem "$MEM" --smp "$smp" \
		--disk "export=${fs_mib}M" --disk "local=${fs_mib}M" --disk "raw=$((MIB + 16))M" \
		--disk "fsc=${cache_mib}M" --disk "cs=${cache_mib}M" \
		--disk "fscs=${CULL_CACHE_MIB}M" --disk "css=${CULL_CACHE_MIB}M" \
		"$repo/tests/vm/bench/nfs.sh" "${args[@]}" > "$out/vm.log" 2>&1; then
		rm -f "$out"/vm/*.img
		cat "$out/vm.log"
		tail -n 40 "$out/vm/test.log" 2>/dev/null || true
		echo "bench: the VM run on $kver failed (logs in $out/vm)" >&2
		return 1
	fi
	rm -f "$out"/vm/*.img
	mv "$out/vm/bench.tsv" "$out/vm/fio" "$out/"
	elapsed=$(( $(date +%s) - s ))
	python3 - "$out/meta.json" "$kver" "$git_commit" "$stamp" "$elapsed" "$smp" "$(cat "$out/vm/cpu")" "${args[@]}" <<'PY'
import json, os, platform, subprocess, sys, datetime
path, kver, commit, stamp, elapsed, smp, vcpu = sys.argv[1:8]
params = dict(a.split("=", 1) for a in sys.argv[8:])
try:
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                          text=True).stdout.splitlines()[0]
except Exception:
    qemu = "unknown"
cpu = "unknown"
try:
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            cpu = l.split(":", 1)[1].strip()
            break
except OSError:
    pass
json.dump({
    "kernel": kver, "commit": commit, "stamp": stamp,
    "date": datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M UTC"),
    "host": f"{platform.node()}, {os.cpu_count()} CPUs ({cpu}), load {os.getloadavg()[0]:.1f} at the end",
    "qemu": qemu + ", TCG, -smp " + smp + ", -cpu " + vcpu,
    "side_by_side": os.environ.get("BENCH_SIDE", ""),
    "elapsed_s": int(elapsed),
    "parameters": params,
    "profile_desc": {"none": "no netem", "1g": "0.2 ms, 1 Gbit/s", "100m": "5 ms, 100 Mbit/s",
                     "wan": "50 ms, 50 Mbit/s"},
}, open(path, "w"), indent=1)
PY
	echo
	python3 "$repo/tests/vm/bench/report.py" "$out/meta.json" "$out/bench.tsv" "$out"
	echo "bench: kernel $kver done in $elapsed s"
}

# JOBS kernels at a time (default 2).  Under TCG a VM with two vCPUs keeps
# about 1.15 host cores busy, and two such VMs side by side each run at
# half speed, while two VMs with one vCPU each run nearly as fast as one
# alone: so kernels that run side by side get one vCPU each (the NFS
# server, the client and fio share it), a kernel alone gets two.  Each
# run's JSON records its vCPUs and what ran beside it.  A run compares
# configurations within one VM; compare kernels only through ratios.
JOBS=${JOBS:-2}
# shellcheck disable=SC2086
set -- $kvers
if [ "$JOBS" -gt 1 ] && [ $# -gt 1 ]; then
	pids=() rc=0
	for kver in "$@"; do
		mkdir -p "$OUT"
		(
			BENCH_SIDE=$(printf '%s\n' "$@" | grep -vx "$kver" | paste -sd' ')
			export BENCH_SIDE
			bench_kernel "$kver" 1
		) > "$OUT/$kver.log" 2>&1 &
		pids+=($!)
		echo "bench: kernel $kver started beside the others, one vCPU; log in $OUT/$kver.log"
		# at most JOBS at once
		while [ "$(jobs -pr | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	for kver in "$@"; do cat "$OUT/$kver.log"; done
	exit $rc
fi
for kver in "$@"; do
	bench_kernel "$kver" 2 || exit 1
done
