#!/bin/sh
# kver.sh - the kernel ABI versions (e.g. 6.1.0-56-amd64) cachestore targets,
# each resolved from a Debian metapackage, never hard-coded.
#
#   kver.sh                the default kernel: the one linux-headers-amd64
#                          depends on (Debian 12: 6.1)
#   kver.sh NAME...        one line per NAME: "default", a supported series
#                          (6.1 is the default kernel; 6.12 resolves through
#                          linux-headers-6.12-amd64, bookworm-security), "all"
#                          (every supported kernel), or a full release such as
#                          6.12.117+deb12-amd64, printed as it is
#   kver.sh --all          every supported kernel, one a line, default first
#   kver.sh --series       the supported series, one a line
#   kver.sh --kdir KVER    the kbuild tree to build modules for KVER against:
#                          /lib/modules/KVER/build when its headers are
#                          installed, else the tree `make deps` unpacked into
#                          $CACHE/kernel/KVER (see scripts/deps.sh)
#
# Installed metapackages are read with dpkg-query, others with apt-cache
# (which works on a fresh machine after apt-get update).
set -e

SERIES="6.1 6.12"	# the first is the default kernel's

# meta_dep PKG: the linux-headers-* package that metapackage PKG depends on
meta_dep() {
	dep=$(dpkg-query -W -f='${Depends}' "$1" 2>/dev/null || true)
	if [ -z "$dep" ]; then
		dep=$(apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *Depends: //p' | head -n 1)
	fi
	printf '%s\n' "$dep" | sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p' | head -n 1
}

# resolve NAME: print the release NAME stands for
resolve() {
	case $1 in
	""|default)
		v=$(meta_dep linux-headers-amd64)
		[ -n "$v" ] || {
			echo "kver.sh: cannot resolve the kernel version from linux-headers-amd64 (run 'make deps')" >&2
			exit 1
		}
		echo "$v" ;;
	all)
		for s in $SERIES; do resolve "$s"; done ;;
	*-*)	# a full release
		echo "$1" ;;
	[0-9]*.[0-9]*)
		first=${SERIES%% *}
		case " $SERIES " in
		*" $1 "*) ;;
		*) echo "kver.sh: unsupported kernel series $1 (supported: $SERIES)" >&2; exit 1 ;;
		esac
		if [ "$1" = "$first" ]; then
			v=$(resolve default)
			case $v in "$1".*) ;; *)
				echo "kver.sh: linux-headers-amd64 gives $v, not a $1 kernel" >&2; exit 1 ;;
			esac
			echo "$v"
			return 0
		fi
		v=$(meta_dep "linux-headers-$1-amd64")
		[ -n "$v" ] || {
			echo "kver.sh: cannot resolve the $1 kernel from linux-headers-$1-amd64 (is bookworm-security in the apt sources? run apt-get update)" >&2
			exit 1
		}
		echo "$v" ;;
	*)
		echo "kver.sh: unknown kernel name '$1'" >&2
		exit 2 ;;
	esac
}

case ${1:-} in
--all)
	resolve all ;;
--series)
	for s in $SERIES; do echo "$s"; done ;;
--kdir)
	[ $# -eq 2 ] || { echo "usage: kver.sh --kdir KVER" >&2; exit 2; }
	k=$(resolve "$2")
	if [ -f "/lib/modules/$k/build/Makefile" ]; then
		echo "/lib/modules/$k/build"
	else
		cache=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cachestore}
		echo "$cache/kernel/$k/lib/modules/$k/build"
	fi ;;
-h|--help)
	sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
-*)
	echo "kver.sh: unknown option $1" >&2; exit 2 ;;
"")
	resolve default ;;
*)
	for n in "$@"; do resolve "$n"; done ;;
esac
