# shellcheck shell=bash
# lib.sh - helpers for test scripts that run inside the test VM.
# Source it: . "$CS_REPO/tests/vm/lib.sh".  Every helper fails the test
# (exit 1 with a message) when it cannot do its job.

set -euo pipefail

# stage2 mounts a bare devtmpfs: bash's process substitution <(...) needs
# /dev/fd.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

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

# fscache_cache_state NAME: the state letter of cache NAME in
# /proc/fs/fscache/caches (- P A E W: inactive, preparing, active, I/O error,
# withdrawn), empty when not listed.  A withdrawn cache stays listed while
# netfs volumes still hold it.
fscache_cache_state() {
	awk -v n="$1" 'NR > 1 && $7 == n { print $6; exit }' /proc/fs/fscache/caches
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
# nfs_server DIR [DISK [reuse]]: export DIR, a tmpfs (or ext4 on DISK), as
# the NFSv4 pseudo root (fsid=0); v3 mounts it by path.  With "reuse", DISK
# keeps the ext4 it has (made by an earlier boot), so the same inodes with the
# same times and file handles are served again.  The NFSv4 grace period is
# ended at once, so v4 opens do not wait for it.
nfs_server() {
	local dir=$1 disk=${2:-} reuse=${3:-}
	mkdir -p "$dir" /var/lib/nfs/rpc_pipefs /var/lib/nfs/v4recovery
	if [ -n "$disk" ]; then
		if [ "$reuse" = reuse ]; then
			blkid -t TYPE=ext4 "$disk" >/dev/null ||
				fail "nfs_server: $disk has no ext4 to reuse"
		else
			mkfs.ext4 -q -F "$disk"
		fi
		mount "$disk" "$dir" || fail "nfs_server: mount $disk"
	else
		mount -t tmpfs -o size=80% tmpfs "$dir"
	fi
	modprobe nfsd
	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
	mountpoint -q /var/lib/nfs/rpc_pipefs ||
		mount -t rpc_pipefs sunrpc /var/lib/nfs/rpc_pipefs
	echo "$dir 127.0.0.1(rw,no_root_squash,no_subtree_check,fsid=0,insecure)" > /etc/exports
	# Only settable before nfsd starts; 10 s is the least nfsd takes.
	echo 10 > /proc/fs/nfsd/nfsv4leasetime 2>/dev/null || true
	echo 10 > /proc/fs/nfsd/nfsv4gracetime 2>/dev/null || true
	rpcbind -w
	exportfs -ra
	rpc.mountd
	rpc.nfsd 4
	# No client has state to reclaim: end the grace period now.
	echo Y > /proc/fs/nfsd/v4_end_grace 2>/dev/null || true
	log "nfs server: exporting $dir${disk:+ (ext4 on $disk${reuse:+, reused})}"
}

# nfs_server_stop DIR: stop nfsd and unmount the export
nfs_server_stop() {
	exportfs -ua
	rpc.nfsd 0
	umount "$1" || fail "nfs_server_stop: umount $1"
	log "nfs server stopped"
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
	cachefilesd_start /tmp/cachefilesd.conf
	local i
	for i in $(seq 50); do
		grep -q vmcache /proc/fs/fscache/caches 2>/dev/null && break
		sleep 0.1
	done
	grep -q vmcache /proc/fs/fscache/caches || fail "cachefiles did not bind"
	log "cachefiles bound on $disk ($dir)"
}

# cachefilesd_start CONF: run the daemon in the foreground of a background
# job, so that its messages (-s: to stderr, not syslog) and its exit status
# land in /tmp/cachefilesd.log, where a test can show why it exited.
# $CACHEFILESD_OPTS adds options (-N: no scanning and culling).
cachefilesd_start() {
	# shellcheck disable=SC2086
	# The daemon must not inherit the test's descriptors (an open
	# test_fscache control file would pin that module).
	( for fd in $(ls /proc/$BASHPID/fd); do
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	  done
	  cachefilesd -n -s ${CACHEFILESD_OPTS:-} -f "$1"
	  echo "cachefilesd exited with status $?" ) </dev/null >>/tmp/cachefilesd.log 2>&1 &
	local i
	for i in $(seq 50); do
		pgrep -x cachefilesd >/dev/null && return 0
		sleep 0.1
	done
	cat /tmp/cachefilesd.log
	fail "cachefilesd did not start"
}

# cachefiles_unbind: stop cachefilesd (which unbinds the cache), unmount
cachefiles_unbind() {
	pkill -x cachefilesd || true
	local i
	for i in $(seq 600); do
		pgrep -x cachefilesd >/dev/null || break
		sleep 0.1
	done
	pgrep -x cachefilesd >/dev/null && fail "cachefilesd still running 60 s after SIGTERM"
	umount /var/cache/fscache || fail "umount /var/cache/fscache"
	log "cachefiles unbound"
}

# --- cachestore ---------------------------------------------------------------
# cachestore_bind DISK MNT [MOUNT-OPTS] : format DISK (unless CS_NOFORMAT=1 or
# it is already formatted and bound before; mkcachestore gets $CS_MKFS_OPTS),
# load the module, bind.
cachestore_bind() {
	local disk=$1 mnt=$2 opts=${3:-}
	if ! grep -q '^cachestore ' /proc/modules; then
		insmod "$CS_REPO/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
	fi
	if [ "${CS_NOFORMAT:-0}" != 1 ] && [ ! -e "/tmp/.cs-formatted-${disk##*/}" ]; then
		# shellcheck disable=SC2086
		"$CS_REPO/build/bin/mkcachestore" -q -f ${CS_MKFS_OPTS:-} "$disk" || fail "mkcachestore $disk"
		touch "/tmp/.cs-formatted-${disk##*/}"
	fi
	mkdir -p "$mnt"
	mount -t cachestore ${opts:+-o "$opts"} "$disk" "$mnt" || fail "mount -t cachestore $disk"
	local tag
	tag=$(awk '$1 == "tag:" { print $2 }' "$mnt/stats")
	awk -v t="$tag" 'NR > 1 && $6 == "A" && $NF == t { f = 1 } END { exit !f }' \
		/proc/fs/fscache/caches || fail "cache \"$tag\" not active in /proc/fs/fscache/caches"
	log "cachestore bound on $disk ($mnt), cache tag $tag"
}

cachestore_unbind() {
	umount "$1" || fail "umount $1"
	log "cachestore unbound ($1)"
}

# cs_stat MNT NAME: one value from the cache's stats file (MNT/stats)
cs_stat() {
	awk -v k="$2:" '$1 == k { print $2; found = 1; exit }
		END { if (!found) exit 1 }' "$1/stats" || fail "cs_stat: no $2 in $1/stats"
}

# cs_fsck DISK: fsck.cachestore -n on an unbound cache must find it clean
cs_fsck() {
	local rc=0
	"$CS_REPO/build/bin/fsck.cachestore" -n "$1" || rc=$?
	[ $rc -eq 0 ] || fail "fsck.cachestore -n $1 exited $rc (not clean)"
	log "fsck.cachestore -n $1: clean"
}

# --- cache service checks -------------------------------------------------------
# pages FILE: how many pages NFS reads for FILE
pages() { echo $((($(stat -c %s "$1") + 4095) / 4096)); }

# counters MNT: "read_ok written_ok fscache_rd fscache_wr" now
counters() {
	echo "$(nfs_fsc_stat "$1" 0) $(nfs_fsc_stat "$1" 2) $(fscache_stat IO rd) $(fscache_stat IO wr)"
}

# warm_read MNT PAGES CMD...: drop caches, run CMD (which must verify bytes),
# and check the cache served PAGES pages (NFS read_ok rises by at least
# PAGES) and was not written to (fscache IO wr does not rise).
warm_read() {
	local _mnt=$1 _want=$2 _c0 _c1
	shift 2
	drop_caches
	read -ra _c0 <<< "$(counters "$_mnt")"
	"$@"
	read -ra _c1 <<< "$(counters "$_mnt")"
	log "warm read: nfs read_ok +$((_c1[0] - _c0[0])) (want >= $_want), fscache rd +$((_c1[2] - _c0[2])), wr +$((_c1[3] - _c0[3]))"
	[ $((_c1[0] - _c0[0])) -ge "$_want" ] ||
		fail "warm read: only $((_c1[0] - _c0[0])) of $_want pages served by the cache"
	[ $((_c1[3] - _c0[3])) -eq 0 ] ||
		fail "warm read wrote $((_c1[3] - _c0[3])) pages to the cache"
}

# cold_read MNT PAGES CMD...: run CMD (which must verify bytes) and check at
# least PAGES pages were written to the cache (fscache IO wr).
cold_read() {
	local _mnt=$1 _want=$2 _c0 _c1
	shift 2
	read -ra _c0 <<< "$(counters "$_mnt")"
	"$@"
	read -ra _c1 <<< "$(counters "$_mnt")"
	log "cold read: nfs written_ok +$((_c1[1] - _c0[1])), fscache wr +$((_c1[3] - _c0[3])) (want >= $_want)"
	[ $((_c1[3] - _c0[3])) -ge "$_want" ] ||
		fail "cold read: only $((_c1[3] - _c0[3])) of $_want pages written to the cache"
}

# kernel_clean: no kernel problem in the log so far (the harness checks the
# console too; this fails the test at the step that caused it)
kernel_clean() {
	if dmesg | grep -Eq 'BUG:|WARNING:|Oops|general protection fault|Call Trace'; then
		dmesg | grep -E -m 5 -A 10 'BUG:|WARNING:|Oops|general protection fault|Call Trace'
		fail "kernel problem in dmesg${1:+ after $1}"
	fi
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
# mkdata FILE MIB [SEED]: deterministic pseudo-random content (the same FILE
# for the same MIB and SEED, in every boot)
mkdata() {
	local f=$1 mib=$2 seed=${3:-1}
	head -c "$((mib * 1048576))" /dev/zero |
		openssl enc -aes-128-ctr -nosalt -pass "pass:cachestore$seed" -pbkdf2 \
			-out "$f" 2>/dev/null || fail "mkdata $f: openssl failed"
	[ "$(stat -c %s "$f")" = $((mib * 1048576)) ] || fail "mkdata $f: short"
}
sum() { sha256sum "$1" | cut -d' ' -f1; }
# verify FILE EXPECTED-SUM
verify() {
	local got
	got=$(sum "$1")
	[ "$got" = "$2" ] || fail "checksum mismatch on $1: $got != $2"
}
