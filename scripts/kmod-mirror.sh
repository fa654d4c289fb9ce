#!/bin/bash
# kmod-mirror.sh - mirror the sources of out-of-tree kernel modules into a
# per-kernel build directory, so that builds for several kernels live side
# by side (kbuild before 6.13 writes objects next to the sources of M=).
#
# usage: kmod-mirror.sh DEST DIR...
#   For each DIR (relative to the repository), DEST/DIR becomes a tree of
#   symbolic links to DIR's sources (*.c, *.h, *.S, Kbuild, Makefile,
#   *.mk, Kconfig, in every subdirectory).  Links are made afresh on every call,
#   so a file added to or removed from DIR is picked up; objects already
#   built in DEST/DIR stay (a link's target keeps its time stamp, so nothing
#   rebuilds that did not change).  Build with make -C KDIR M=DEST/DIR.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: kmod-mirror.sh DEST DIR..." >&2; exit 2; }
dest=$1
shift
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
for d in "$@"; do
	src="$repo/$d"
	[ -d "$src" ] || { echo "kmod-mirror.sh: no directory $d" >&2; exit 1; }
	mkdir -p "$dest/$d"
	# drop the links of the last call (sources may have gone)
	find "$dest/$d" -type l -delete
	(cd "$src" && find . -type f \( -name '*.[chS]' -o -name Kbuild -o -name Makefile -o -name '*.mk' \
		-o -name Kconfig \) ! -name '*.mod.c' -print0) |
	while IFS= read -r -d '' f; do
		f=${f#./}
		mkdir -p "$dest/$d/$(dirname "$f")"
		ln -s "$src/$f" "$dest/$d/$f"
	done
done
