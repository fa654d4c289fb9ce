#!/bin/bash
# vm: expect=clockskew timeout=60
# Harness self-test: the first boot is told that its TSC runs at 100 MHz
# (tsc_early_khz=100000; the host's runs at some GHz), so the guest's clock
# runs many times too fast, as a miscalibrated TSC made it in stop 23's CI,
# where a test's own timeout then fired after 16 s.  run-vm.sh must see it
# from the console's timestamps against its own clock and boot again with
# the TSC frequency it measured on the host; that boot runs this script.
# The run fails if the plant does not take, if the skew goes unseen, or if
# the second boot is skewed too.
exit 0
