#!/bin/bash
# deps.sh - install everything cachestore needs on a Debian 12 machine, and
# unpack every supported distro kernel (scripts/kver.sh --all: the default
# 6.1 and 6.12 from bookworm-security; never installed on the host) for the
# VM, with a kbuild tree for those whose headers are not installed.
# Idempotent: a second run only checks.  Needs root (apt-get, dpkg).
set -euo pipefail

PKGS=(
	# build
	build-essential linux-headers-amd64 libblkid-dev liburing-dev libxxhash-dev
	uuid-dev libmount-dev
	# make dkms-install
	dkms
	sparse clang libclang-rt-14-dev llvm pkg-config xz-utils
	# each supported kernel's own source: checkpatch.pl, and what the
	# debug kernel (make check-debug) is built from
	linux-source-6.1 linux-source-6.12
	# what linux-headers-6.12.* and linux-kbuild-6.12.* depend on (they are
	# unpacked, not installed): the compiler the kernel was built with, and
	# pahole for the BTF of modules (the 6.12 tree has a vmlinux)
	gcc-12 dwarves
	# VM and tests
	qemu-system-x86 busybox-static cpio kmod nfs-kernel-server nfs-common rpcbind
	cachefilesd e2fsprogs fio iproute2 util-linux dmsetup xxhash
	openssl python3 procps bc
	# the plots of make bench / bench-quick (PNG, no X)
	gnuplot-nox
	# the tool tests: man --warnings on the pages, the fstab lines through
	# systemd-fstab-generator and systemd-analyze verify
	man-db systemd
	# cachestore_dkms, installed as an admin installs it: udevd for the
	# /dev/disk/by-label links of the udev rule
	udev
)

CACHE=${CACHESTORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cachestore}

missing=()
for p in "${PKGS[@]}"; do
	case $p in \#*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to install packages" >&2
		exit 1
	fi
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# cachefilesd and the NFS server must not run on the host: the VM starts its own.
for s in cachefilesd nfs-kernel-server; do
	systemctl disable --now "$s" >/dev/null 2>&1 || true
done

# fetch_image KVER: linux-image-KVER unpacked (dpkg -x, never installed) into
# $CACHE/kernel/KVER, with modules.dep, for the test VM.
fetch_image() {
	local kver=$1 root="$CACHE/kernel/$1" tmp
	[ -f "$root/.done" ] && return 0
	echo "deps: fetching linux-image-$kver for the test VM into $root"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download "linux-image-$kver" >/dev/null)
	rm -rf "$root"
	mkdir -p "$root"
	dpkg -x "$tmp"/linux-image-"$kver"_*.deb "$root"
	rm -rf "$tmp"
	depmod -b "$root" "$kver"
	touch "$root/.done"
}

# fetch_headers KVER: when KVER's headers are not installed (bookworm's
# linux-headers-6.12.* Depend on the image, so they are not apt-get
# installed), unpack linux-headers-KVER, the -common package and the
# linux-kbuild package it depends on into $CACHE/kernel/KVER too, and make
# $CACHE/kernel/KVER/lib/modules/KVER/build a kbuild tree that works with
# `make -C KDIR M=...` (scripts/kver.sh --kdir KVER prints it).
fetch_headers() {
	local kver=$1 root="$CACHE/kernel/$1" tmp pkgs p f l kdir rel bad
	[ -f "/lib/modules/$kver/build/Makefile" ] && return 0
	[ -f "$root/.headers-done" ] && return 0
	# the packages linux-headers-KVER depends on for a module build
	pkgs=("linux-headers-$kver")
	for p in $(apt-cache depends "linux-headers-$kver" 2>/dev/null |
		   sed -n 's/^ *|\{0,1\}Depends: //p'); do
		case $p in
		linux-headers-*-common|linux-kbuild-*) pkgs+=("$p") ;;
		esac
	done
	[ ${#pkgs[@]} -ge 3 ] || {
		echo "deps: linux-headers-$kver: cannot find its -common and linux-kbuild packages (got: ${pkgs[*]})" >&2
		exit 1
	}
	echo "deps: fetching ${pkgs[*]} (kbuild tree for $kver, not installed) into $root"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download "${pkgs[@]}" >/dev/null)
	for f in "$tmp"/*.deb; do
		dpkg -x "$f" "$root"
	done
	rm -rf "$tmp"
	# The arch tree's Makefile includes the -common tree's by absolute
	# path; lib/modules/KVER/{build,source} are absolute links.  Point them
	# into the cache.  (scripts/ and tools/ are relative links already.)
	kdir="$root/usr/src/linux-headers-$kver"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	for l in build source; do
		rel=$(readlink "$root/lib/modules/$kver/$l") || continue
		case $rel in /*) ln -sfn "../../..$rel" "$root/lib/modules/$kver/$l" ;; esac
	done
	# Every link in the trees must resolve, and the host tools must be there.
	bad=$(find "$root/lib/modules/$kver" "$root/usr/src" "$root/usr/lib" -maxdepth 3 -type l ! -exec test -e {} \; -print)
	[ -z "$bad" ] || { echo "deps: dangling links in $root: $bad" >&2; exit 1; }
	for f in Makefile .config Module.symvers scripts/basic/fixdep scripts/mod/modpost scripts/Makefile.build; do
		[ -e "$root/lib/modules/$kver/build/$f" ] ||
			{ echo "deps: $root/lib/modules/$kver/build/$f missing" >&2; exit 1; }
	done
	rel=$(make -s -C "$root/lib/modules/$kver/build" kernelrelease 2>/dev/null) || true
	[ "$rel" = "$kver" ] ||
		{ echo "deps: the kbuild tree in $root says kernelrelease '$rel', not $kver" >&2; exit 1; }
	touch "$root/.headers-done"
}

# Every supported kernel (scripts/kver.sh --series; the default first): the
# VM image, and a kbuild tree when its headers are not installed.  Only the
# default kernel is required: one another series cannot resolve (no
# bookworm-security in the apt sources) is skipped with a warning.
KVERS=()
for s in $("$(dirname "$0")/kver.sh" --series); do
	if k=$("$(dirname "$0")/kver.sh" "$s"); then
		KVERS+=("$k")
	elif [ ${#KVERS[@]} -eq 0 ]; then
		echo "deps: cannot resolve the default kernel ($s)" >&2
		exit 1
	else
		echo "deps: warning: no $s kernel (skipped; see above)" >&2
	fi
done
for k in "${KVERS[@]}"; do
	fetch_image "$k"
	fetch_headers "$k"
done

# checkpatch.pl and friends from each target kernel's own source
# (scripts/lint.sh checks the code with the checkpatch of the kernel it
# builds for).
for v in 6.1 6.12; do
	SRC="$CACHE/src/linux-source-$v"
	if [ ! -x "$SRC/scripts/checkpatch.pl" ]; then
		mkdir -p "$CACHE/src"
		tar -C "$CACHE/src" -xf "/usr/src/linux-source-$v.tar.xz" \
			"linux-source-$v/scripts" "linux-source-$v/include/linux/fscache.h"
	fi
done
echo "deps: ok (kernels ${KVERS[*]}; VM kernels and kbuild trees in $CACHE/kernel)"
