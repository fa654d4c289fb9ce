#!/bin/bash
# vm: expect=clockskew disks=d:64M timeout=60
# Harness self-test: the first boot is told that its TSC runs at 100 MHz
# (tsc_early_khz=100000; the host's runs at some GHz), so the guest's clock
# runs many times too fast, as a miscalibrated TSC made it in stop 23's CI,
# where a test's own timeout then fired after 16 s.  run-vm.sh must see it
# from the console's timestamps against its own clock and boot again with
# the TSC frequency it measured on the host, on a new disk: the first boot
# leaves a mark on its disk, and the second must not find it.
# The run fails if the plant does not take, if the skew goes unseen, if
# the second boot is skewed too, or if it gets the first boot's disk.
if [ "$(head -c 6 "$CS_DISK_D" | tr -d '\0')" = MARKED ]; then
	echo "FAIL: booted again on the first boot's disk"
	exit 1
fi
printf MARKED > "$CS_DISK_D"
sync
exit 0
