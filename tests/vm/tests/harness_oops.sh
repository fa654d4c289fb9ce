#!/bin/bash
# vm: expect=oops:plant_init timeout=120
# Harness self-test: an Oops in the kernel must fail the run (and must not hang it).
. "$CS_REPO/tests/vm/lib.sh"
insmod "$CS_KOBJ/tests/vm/selftest/plant.ko" what=oops || true
log "planted an oops; exiting 0"
