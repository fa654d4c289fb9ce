#!/bin/bash
# vm: expect=exit=3 timeout=60
# Harness self-test: a script's non-zero exit status reaches the host.
exit 3
