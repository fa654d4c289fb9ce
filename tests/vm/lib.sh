# shellcheck shell=bash
# lib.sh - helpers for test scripts that run inside the test VM.
# Source it: . "$CS_REPO/tests/vm/lib.sh".  Every helper fails the test
# (exit 1 with a message) when it cannot do its job.

set -euo pipefail

log() { echo "[$(date +%T)] $*"; }
fail() { echo "FAIL: $*"; exit 1; }
# assert COND-WORDS... : run a test(1)-style condition
assert() { "$@" || fail "assertion failed: $*"; }

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# --- fscache statistics ----------------------------------------------------
# fscache_stat LINE FIELD: e.g. fscache_stat IO rd
fscache_stat() {
	awk -v l="$1" -v f="$2" '
		$1 == l || $1 == l":" {
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == f) { print kv[2]; exit }
			}
		}' /proc/fs/fscache/stats
}

# nfs_fsc_stat MOUNTPOINT INDEX: the NFS "fsc:" counters of one mount from
# /proc/self/mountstats: 0 read_ok, 1 read_fail, 2 written_ok, 3 written_fail,
# 4 uncached.
nfs_fsc_stat() {
	awk -v mp="$1" -v i="$2" '
		$1 == "device" { cur = ($5 == mp) }
		cur && $1 == "fsc:" { print $(i + 2); exit }' /proc/self/mountstats
}

# --- NFS server and client on loopback ----------------------------------------
# nfs_server DIR [DISK]: export DIR, a tmpfs (or ext4 on DISK), as the NFSv4
# pseudo root (fsid=0); v3 mounts it by path.
nfs_server() {
	local dir=$1 disk=${2:-}
	mkdir -p "$dir" /var/lib/nfs/rpc_pipefs /var/lib/nfs/v4recovery
	if [ -n "$disk" ]; then
		mkfs.ext4 -q -F "$disk"
		mount "$disk" "$dir"
	else
		mount -t tmpfs -o size=80% tmpfs "$dir"
	fi
	modprobe nfsd
	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
	mountpoint -q /var/lib/nfs/rpc_pipefs ||
		mount -t rpc_pipefs sunrpc /var/lib/nfs/rpc_pipefs
	echo "$dir 127.0.0.1(rw,no_root_squash,no_subtree_check,fsid=0,insecure)" > /etc/exports
	rpcbind -w
	exportfs -ra
	rpc.mountd
	rpc.nfsd 4
	# nfsd needs its grace period over before v4 opens succeed
	echo 1 > /proc/fs/nfsd/nfsv4gracetime 2>/dev/null || true
	log "nfs server: exporting $dir"
}

# nfs_mount VERS SERVERDIR MNT [EXTRA-OPTS]: mount with fsc
nfs_mount() {
	local vers=$1 dir=$2 mnt=$3 extra=${4:-}
	local src="127.0.0.1:$dir"
	mkdir -p "$mnt"
	[ "${vers%%.*}" = 4 ] && src="127.0.0.1:/"
	mount -t nfs -o "vers=$vers,fsc${extra:+,$extra}" "$src" "$mnt" ||
		fail "mount nfs vers=$vers $src"
	log "nfs client: $src on $mnt (vers=$vers fsc)"
}

# --- cachefiles, our peer ---------------------------------------------------
# cachefiles_bind DISK: ext4 on DISK, cachefilesd binding cachefiles to it
cachefiles_bind() {
	local disk=$1 dir=/var/cache/fscache
	mkfs.ext4 -q -F "$disk"
	mkdir -p "$dir"
	mount -o user_xattr "$disk" "$dir"
	modprobe cachefiles
	cat > /tmp/cachefilesd.conf <<CONF
dir $dir
tag vmcache
brun 10%
bcull 7%
bstop 3%
frun 10%
fcull 7%
fstop 3%
CONF
	cachefilesd -s -f /tmp/cachefilesd.conf ||
		fail "cachefilesd did not start"
	local i
	for i in $(seq 50); do
		grep -q vmcache /proc/fs/fscache/caches 2>/dev/null && break
		sleep 0.1
	done
	grep -q vmcache /proc/fs/fscache/caches || fail "cachefiles did not bind"
	log "cachefiles bound on $disk ($dir)"
}

cachefiles_unbind() {
	pkill -x cachefilesd || true
	local i
	for i in $(seq 100); do
		pgrep -x cachefilesd >/dev/null || break
		sleep 0.1
	done
	umount /var/cache/fscache
}

# --- cachestore ---------------------------------------------------------------
# cachestore_bind DISK MNT [MOUNT-OPTS] : format DISK (unless CS_NOFORMAT=1 or
# it is already formatted and bound before), load the module, bind.
cachestore_bind() {
	local disk=$1 mnt=$2 opts=${3:-}
	if ! grep -q '^cachestore ' /proc/modules; then
		insmod "$CS_REPO/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
	fi
	if [ "${CS_NOFORMAT:-0}" != 1 ] && [ ! -e "/tmp/.cs-formatted-${disk##*/}" ]; then
		"$CS_REPO/build/bin/mkcachestore" -q -f "$disk" || fail "mkcachestore $disk"
		touch "/tmp/.cs-formatted-${disk##*/}"
	fi
	mkdir -p "$mnt"
	mount -t cachestore ${opts:+-o "$opts"} "$disk" "$mnt" || fail "mount -t cachestore $disk"
	grep -q cachestore /proc/fs/fscache/caches || fail "cachestore not in /proc/fs/fscache/caches"
	log "cachestore bound on $disk ($mnt)"
}

cachestore_unbind() {
	umount "$1" || fail "umount $1"
	log "cachestore unbound ($1)"
}

# --- network emulation on lo ---------------------------------------------------
# netem DELAY_MS [RATE]: e.g. netem 2 1gbit ; netem_off
netem() {
	modprobe sch_netem
	tc qdisc replace dev lo root netem delay "${1}ms" ${2:+rate "$2"}
	log "netem on lo: delay ${1}ms ${2:-}"
}
netem_off() { tc qdisc del dev lo root 2>/dev/null || true; }

# --- data -----------------------------------------------------------------------
# mkdata FILE MIB [SEED]: deterministic pseudo-random content
mkdata() {
	local f=$1 mib=$2 seed=${3:-1}
	openssl enc -aes-128-ctr -nosalt -pass "pass:cachestore$seed" -pbkdf2 \
		-in <(head -c "$((mib * 1048576))" /dev/zero) -out "$f" 2>/dev/null ||
		head -c "$((mib * 1048576))" /dev/urandom > "$f"
}
sum() { sha256sum "$1" | cut -d' ' -f1; }
# verify FILE EXPECTED-SUM
verify() {
	local got
	got=$(sum "$1")
	[ "$got" = "$2" ] || fail "checksum mismatch on $1: $got != $2"
}
