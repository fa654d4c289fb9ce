#!/bin/bash
# demo.sh - the main job: in a VM booting the target kernel, serve a file over
# NFSv3 on loopback with emulated latency, read it with fio cold and warm
# through each cache configuration, and print a table.
#   MIB=256 DELAY_MS=5 RATE=100mbit CONFIGS='nocache cachefiles cachestore' scripts/demo.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$repo/build/demo}
mib=${MIB:-256} delay=${DELAY_MS:-5} rate=${RATE:-100mbit}
configs=${CONFIGS:-nocache cachefiles cachestore}
# the kernel: KVER= (a release or a series, 6.1 or 6.12), default 6.1; the
# modules come from build/KVER (make KVER=...)
KVER=$("$repo/scripts/kver.sh" ${KVER:+"$KVER"})
export KVER
rm -rf "$out"
echo "demo: booting the VM on $KVER (file ${mib} MiB, lo delay ${delay} ms, rate $rate); logs in $out"
CS_DISK_CACHE=${CS_DISK_CACHE:-writeback} "$repo/tests/vm/run-vm.sh" --out "$out" --timeout 1800 --mem 4096 \
	--disk fscache=4G --disk cstore=4G --disk export=4G \
	"$repo/tests/vm/demo/nfs_fio.sh" "$mib" "$delay" "$rate" $configs
rm -f "$out"/*.img
echo
echo "NFSv3 sequential read of a ${mib} MiB file, fio bs=1M, page cache dropped before each pass (kernel $KVER)"
cat "$out/demo.txt"
