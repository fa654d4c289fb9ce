#!/bin/bash
# vm: expect=stall bootdeadline=3 timeout=60
# Harness self-test: a boot that has not started its script within the boot
# deadline (3 s here; no kernel boots that fast under TCG) is stopped and
# booted again once; when the second boot stalls too the run fails as timed
# out, and the script never runs.
exit 0
