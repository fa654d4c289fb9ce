#!/bin/bash
# Stage 2 (PID 1 inside the test VM, on the overlayed host root): set up a
# minimal system, run the test script, record its exit status in
# /results/rc, power off.  The test's own output goes to /results/test.log,
# not to the console, so that the console carries only kernel messages.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# /tmp stays the overlay's: the repository itself may live under the host's
# /tmp (writes land in the tmpfs upper layer all the same).
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /run/lock /var/lib/nfs/rpc_pipefs /var/lib/nfs/v4recovery
ln -sf /proc/self/mounts /etc/mtab
. /results/vm.env
hostname cachestore-vm
ip link set lo up
echo 0 > /proc/sys/kernel/printk_ratelimit 2>/dev/null
# Hung-task reports after 60 s so a test timeout still sees them.
echo 60 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
# ... with every CPU's backtrace: what runs while the hung tasks wait
echo 1 > /proc/sys/kernel/hung_task_all_cpu_backtrace 2>/dev/null
cd "$CS_REPO" || exit 1
export CS_REPO CS_KVER CS_BOOT CS_RESULTS=/results
# Nothing may be cached through fscache before the test starts: a host root
# mounted with a caching 9p mode (cache=loose is one on 6.1) would put every
# host file the test opens into the cache under test.
if [ -r /proc/fs/fscache/volumes ] && [ "$(wc -l < /proc/fs/fscache/volumes)" -gt 2 ]; then
	echo "stage2: fscache volumes exist before the test (the host root is cached?):" > /dev/kmsg
	cat /proc/fs/fscache/volumes > /dev/kmsg
	echo "FAIL: fscache volumes before the test started" >> /results/test.log
	cat /proc/fs/fscache/volumes >> /results/test.log
	echo 125 > /results/rc.$CS_BOOT
	sync
	busybox reboot -f
fi
echo "stage2: running $CS_SCRIPT (boot $CS_BOOT)" > /dev/kmsg
# Once the kernel reports a hung task, show where each disk's requests
# are, on the console: at the device (/sys/block/X/inflight, blk-mq's hctx
# busy list) or still queued in the block layer (dispatch, sched lists).
# A request the device never completes and one never dispatched are
# different faults.
(
	while sleep 5; do
		dmesg | grep -q 'blocked for more than' || continue
		for b in /sys/block/vd*; do
			d=${b##*/}
			echo "stage2: hang: $d inflight $(cat $b/inflight)" > /dev/kmsg
			for f in /sys/kernel/debug/block/$d/hctx*/busy \
				 /sys/kernel/debug/block/$d/hctx*/dispatch \
				 /sys/kernel/debug/block/$d/hctx*/sched_tags \
				 /sys/kernel/debug/block/$d/hctx*/tags \
				 /sys/kernel/debug/block/$d/requeue_list \
				 /sys/kernel/debug/block/$d/sched/*_fifo_list; do
				[ -r "$f" ] || continue
				case $f in
				*tags) grep -E '^(busy|ws_active)=' "$f" ;;
				*) head -c 2000 "$f" ;;
				esac | while IFS= read -r l; do
					echo "stage2: hang: ${f#/sys/kernel/debug/block/}: $l" > /dev/kmsg
				done
			done
		done
		break
	done
) &
(
	set -o pipefail
	timeout -k 5 "$CS_TIMEOUT" bash "$CS_SCRIPT" $CS_ARGS
) >> /results/test.log 2>&1 < /dev/null
rc=$?
dmesg > /results/dmesg.$CS_BOOT 2>/dev/null
echo "$rc" > /results/rc.$CS_BOOT
sync
echo "stage2: test exited with status $rc" > /dev/kmsg
umount /results 2>/dev/null
busybox reboot -f
echo b > /proc/sysrq-trigger
