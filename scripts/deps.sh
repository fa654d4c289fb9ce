#!/bin/bash
# deps.sh - install everything cachestore needs on a Debian 12 machine, and
# unpack the target distro kernel (never installed on the host) for the VM.
# Idempotent: a second run only checks.  Needs root (apt-get, dpkg).
set -euo pipefail

PKGS=(
	# build
	build-essential linux-headers-amd64 libblkid-dev liburing-dev libxxhash-dev
	sparse clang libclang-rt-14-dev llvm pkg-config linux-source-6.1 xz-utils
	# VM and tests
	qemu-system-x86 busybox-static cpio kmod nfs-kernel-server nfs-common rpcbind
	cachefilesd e2fsprogs fio iproute2 util-linux dmsetup xxhash
	openssl python3 procps bc
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

KVER=$("$(dirname "$0")/kver.sh")
KDIR_IMG="$CACHE/kernel/$KVER"
if [ ! -f "$KDIR_IMG/.done" ]; then
	echo "deps: fetching linux-image-$KVER for the test VM into $KDIR_IMG"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download "linux-image-$KVER" >/dev/null)
	rm -rf "$KDIR_IMG"
	mkdir -p "$KDIR_IMG"
	dpkg -x "$tmp"/linux-image-"$KVER"_*.deb "$KDIR_IMG"
	rm -rf "$tmp"
	depmod -b "$KDIR_IMG" "$KVER"
	touch "$KDIR_IMG/.done"
fi

# checkpatch.pl and friends from the target kernel's own source.
SRC="$CACHE/src/linux-source-6.1"
if [ ! -x "$SRC/scripts/checkpatch.pl" ]; then
	mkdir -p "$CACHE/src"
	tar -C "$CACHE/src" -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts linux-source-6.1/include/linux/fscache.h
fi
echo "deps: ok (kernel $KVER, VM kernel in $KDIR_IMG)"
