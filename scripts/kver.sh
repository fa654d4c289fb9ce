#!/bin/sh
# Print the kernel ABI version (e.g. 6.1.0-56-amd64) that cachestore targets:
# the one the linux-headers-amd64 metapackage depends on.  Never hard-coded.
set -e
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null || true)
if [ -z "$dep" ]; then
	dep=$(apt-cache depends linux-headers-amd64 2>/dev/null | sed -n 's/^ *Depends: //p' | head -n 1)
fi
v=$(printf '%s\n' "$dep" | sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p' | head -n 1)
if [ -z "$v" ]; then
	echo "kver.sh: cannot resolve the kernel version from linux-headers-amd64 (run 'make deps')" >&2
	exit 1
fi
echo "$v"
