#!/bin/bash
# vm: expect=warn:plant_init timeout=120
# Harness self-test: a script that exits 0 but leaves a kernel WARNING on the
# console must fail.
. "$CS_REPO/tests/vm/lib.sh"
insmod "$CS_KOBJ/tests/vm/selftest/plant.ko" what=warn
log "planted a warning; exiting 0"
