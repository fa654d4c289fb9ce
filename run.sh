#!/bin/bash
# run.sh - entry point for a fresh Debian 12 machine: installs make (and, via
# `make deps`, everything else), then runs a top-level make target.
#   ./run.sh demo     the main job
#   ./run.sh check    every test
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
	exec sudo -E "$0" "$@"
fi
if ! command -v make >/dev/null || ! command -v gcc >/dev/null; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends make gcc libc6-dev
fi
exec make "${@:-check}"
