# shellcheck shell=bash
# lib.sh - helpers for test scripts that run inside the test VM.
# Source it: . "$CS_REPO/tests/vm/lib.sh".  Every helper fails the test
# (exit 1 with a message) when it cannot do its job.

set -euo pipefail

# stage2 mounts a bare devtmpfs: bash's process substitution <(...) needs
# /dev/fd.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

log() { echo "[$(date +%T)] $*"; }
# (inside $(...) the message goes to stderr, or the caller would swallow it)
fail() {
	if [ "${BASH_SUBSHELL:-0}" -gt 0 ]; then echo "FAIL: $*" >&2; else echo "FAIL: $*"; fi
	fail_context >&2 || true
	exit 1
}
# what the caches looked like when a test failed (after the FAIL line, so
# the reason stays first): the bound caches, fscache's counters and, for
# cachefiles, whether its daemon still runs and what it said
fail_context() {
	[ -r /proc/fs/fscache/caches ] || return 0
	echo "--- at failure: /proc/fs/fscache/caches"
	cat /proc/fs/fscache/caches
	if [ -e /tmp/cachefilesd.log ]; then
		echo "--- cachefilesd $(pgrep -x cachefilesd >/dev/null && echo running || echo 'NOT running'); its log:"
		tail -n 20 /tmp/cachefilesd.log
	fi
	echo "--- /proc/fs/fscache/stats"
	cat /proc/fs/fscache/stats 2>/dev/null
}
# assert COND-WORDS... : run a test(1)-style condition
assert() { "$@" || fail "assertion failed: $*"; }

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# --- the kernel under test and our modules built for it ----------------------
# $CS_KVER is the release the VM booted; $CS_KOBJ is where `make KVER=...`
# built our modules for it (build/KVER: fs/cachestore/cachestore.ko,
# fs/fscache/test_fscache.ko, tests/vm/selftest/plant.ko).
CS_KVER=${CS_KVER:-$(uname -r)}
CS_KOBJ=${CS_KOBJ:-$CS_REPO/build/$CS_KVER}

# cs_insmod KO [PARAM...]: load the modules KO depends on (modprobe, so
# compressed .ko.xz work), then insmod KO; returns insmod's status.  On 6.12
# fscache is part of netfs.ko (there is no fscache.ko).
cs_insmod() {
	local ko=$1 d
	shift
	[ -f "$ko" ] || fail "no $ko: build it with make KVER=$CS_KVER"
	for d in $(modinfo -F depends "$ko" | tr , ' '); do
		modprobe "$d" || fail "modprobe $d (needed by ${ko##*/})"
	done
	insmod "$ko" "$@"
}

# netfs_gen: true on kernels where fscache is part of netfs (6.12:
# /proc/fs/fscache is a link to /proc/fs/netfs, no fscache.ko, NFS keeps no
# "fsc:" counters, cache reads and writes go in large asynchronous chunks),
# false on 6.1.
netfs_gen() {
	[ -L /proc/fs/fscache ] && return 0
	[ -d /proc/fs/fscache ] && return 1
	! modinfo fscache >/dev/null 2>&1
}

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

# netfs_stat LINE FIELD: a netfs counter, e.g. netfs_stat CaRdOps RD (cache
# read subrequests), CaWrOps WR (cache writes), DownOps DL (server reads).
# On 6.12 they head /proc/fs/netfs/stats (= /proc/fs/fscache/stats); 6.1 has
# few of them (empty output when LINE or FIELD is missing).
netfs_stat() { fscache_stat "$@"; }

# netfs_settle [SECONDS]: wait (default up to 60 s) until no netfs request
# that writes to the cache is in flight (/proc/fs/netfs/requests: 2C, the
# copy to the cache after an NFS read, and WB, writeback, which fills the
# cache for 9p).  On 6.12 those writes are asynchronous: a read returns
# before its data reaches the cache.  No-op on kernels without the file.
# shellcheck disable=SC2120
netfs_settle() {
	local i n=$((${1:-60} * 10))
	[ -r /proc/fs/netfs/requests ] || return 0
	for ((i = 0; i < n; i++)); do
		awk 'NR > 2 && ($2 == "2C" || $2 == "WB") { f = 1 } END { exit f }' \
			/proc/fs/netfs/requests && return 0
		sleep 0.1
	done
	log "netfs_settle: cache writes still in flight after ${1:-60} s:"
	cat /proc/fs/netfs/requests
}

# blk_stat DEV FIELD: a counter of /sys/block/DEV/stat (DEV as vdb or
# /dev/vdb): read_ios read_merges read_sectors read_ticks write_ios
# write_merges write_sectors write_ticks in_flight (sectors are 512 bytes)
blk_stat() {
	local node=/dev/${1#/dev/} stat i=0 f
	# by device number: /dev/mapper/X made by dmsetup mknodes is a node
	if [ -b "$node" ]; then
		stat=/sys/dev/block/$((0x$(stat -L -c %t "$node"))):$((0x$(stat -L -c %T "$node")))/stat
	else
		stat=/sys/block/${1#/dev/}/stat
	fi
	for f in read_ios read_merges read_sectors read_ticks write_ios \
		 write_merges write_sectors write_ticks in_flight; do
		i=$((i + 1))
		[ "$f" = "$2" ] && { awk -v i=$i '{ print $i }' "$stat"; return 0; }
	done
	fail "blk_stat: unknown field $2"
}

# cache_dev_pages [DEV]: "READ WRITTEN": 4 KiB pages read from and written to
# the cache device (default $CS_CACHE_DEV, which cachefiles_bind and
# cachestore_bind set) since boot.  On 6.12 this is how a test proves the
# cache served a read (the device delivered it) or stored one.
# shellcheck disable=SC2120
cache_dev_pages() {
	local dev=${1:-${CS_CACHE_DEV:-}}
	[ -n "$dev" ] || fail "cache_dev_pages: no cache device (bind one with cachefiles_bind or cachestore_bind, or set CS_CACHE_DEV)"
	echo "$(($(blk_stat "$dev" read_sectors) / 8)) $(($(blk_stat "$dev" write_sectors) / 8))"
}

# nfs_bytes MOUNTPOINT NAME: one NFS byte counter of a mount from the
# "bytes:" line of /proc/self/mountstats (both kernels): normal_read
# normal_write direct_read direct_write server_read server_write read_pages
# write_pages.  normal_read counts what applications read (page cache hits
# too), server_read what came from the server; after drop_caches, a warm
# read served by the cache moves normal_read but not server_read.
nfs_bytes() {
	local i
	case $2 in
	normal_read) i=1 ;; normal_write) i=2 ;; direct_read) i=3 ;; direct_write) i=4 ;;
	server_read) i=5 ;; server_write) i=6 ;; read_pages) i=7 ;; write_pages) i=8 ;;
	*) fail "nfs_bytes: unknown counter $2" ;;
	esac
	awk -v mp="$1" -v i="$i" '
		$1 == "device" { cur = ($5 == mp) }
		cur && $1 == "bytes:" { print $(i + 1); found = 1; exit }
		END { exit !found }' /proc/self/mountstats || fail "nfs_bytes: $1 is not an NFS mount"
}

# nfs_fsc_stat MOUNTPOINT INDEX: the NFS "fsc:" counters of one mount from
# /proc/self/mountstats: 0 read_ok, 1 read_fail, 2 written_ok, 3 written_fail,
# 4 uncached (pages).
# 6.12 has no fsc: counters.  There (netfs_gen) the helper answers from the
# cache device instead (cache_dev_pages, counted from when nfs_mount mounted
# MOUNTPOINT, so for every mount on that cache together): 0 pages read from
# the cache device, 2 pages written to it (after netfs_settle), 1 and 3 are 0;
# 4 has no equivalent and fails the test.  It says so on stderr once.
declare -gA CS_FSC_BASE=()
nfs_fsc_stat() {
	local r w b
	if ! netfs_gen; then
		awk -v mp="$1" -v i="$2" '
			$1 == "device" { cur = ($5 == mp) }
			cur && $1 == "fsc:" { print $(i + 2); exit }' /proc/self/mountstats
		return 0
	fi
	if [ ! -e /tmp/.cs-fsc-emulated ]; then
		echo "nfs_fsc_stat: no NFS fsc: counters on $CS_KVER; using the cache device's (${CS_CACHE_DEV:-none})" >&2
		: > /tmp/.cs-fsc-emulated
	fi
	case $2 in
	0|2) ;;
	1|3) echo 0; return 0 ;;
	*) fail "nfs_fsc_stat: counter $2 has no equivalent on $CS_KVER (no fsc: counters)" ;;
	esac
	[ "$2" = 2 ] && netfs_settle
	read -r r w <<< "$(cache_dev_pages)"
	read -r -a b <<< "${CS_FSC_BASE[$1]:-0 0}"
	if [ "$2" = 0 ]; then echo $((r - b[0])); else echo $((w - b[1])); fi
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
	# where nfs_fsc_stat's cache device counters start for this mount (6.12)
	[ -z "${CS_CACHE_DEV:-}" ] || CS_FSC_BASE[$mnt]=$(cache_dev_pages)
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
	CS_CACHE_DEV=$disk
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
	  # setarch -R: Debian's cachefilesd 0.10.10 aborts at random.  Its
	  # decant_cull_table() keeps a leftover poison check that calls
	  # abort() for any cull-table pointer whose bits 28-31 read 0x6; with
	  # a randomised heap one in 16 real pointers does (seen: 3 of 8 runs
	  # of fscache_cachefiles_smoke lost the cache, stress ENOBUFS).
	  # Without randomisation the heap starts at 0x555555560000 and stays
	  # clear of that pattern for its first 170 MiB.
	  setarch -R cachefilesd -n -s ${CACHEFILESD_OPTS:-} -f "$1"
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
		cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
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
	CS_CACHE_DEV=$disk
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

# counters MNT: "read_ok written_ok fscache_rd fscache_wr" now (on 6.12
# read_ok and written_ok come from the cache device: see nfs_fsc_stat)
counters() {
	echo "$(nfs_fsc_stat "$1" 0) $(nfs_fsc_stat "$1" 2) $(fscache_stat IO rd) $(fscache_stat IO wr)"
}

# warm_read MNT PAGES CMD...: drop caches, run CMD (which must verify bytes),
# and check the cache served PAGES pages and was not written to (fscache IO
# wr does not rise).  6.1: NFS read_ok rises by at least PAGES.  6.12 (no
# fsc: counters): the cache device delivered at least PAGES pages, netfs
# read from the cache (CaRdOps RD rises) and wrote nothing to it (CaWrOps
# WR); how much still came from the server (nfs_bytes server_read) is logged.
warm_read() {
	local _mnt=$1 _want=$2 _c0 _c1 _n0 _n1
	shift 2
	drop_caches
	netfs_gen && _n0="$(nfs_bytes "$_mnt" server_read) $(netfs_stat CaRdOps RD) $(netfs_stat CaWrOps WR)"
	read -ra _c0 <<< "$(counters "$_mnt")"
	"$@"
	read -ra _c1 <<< "$(counters "$_mnt")"
	log "warm read: $(netfs_gen && echo "cache device read pages" || echo "nfs read_ok") +$((_c1[0] - _c0[0])) (want >= $_want), fscache rd +$((_c1[2] - _c0[2])), wr +$((_c1[3] - _c0[3]))"
	[ $((_c1[0] - _c0[0])) -ge "$_want" ] ||
		fail "warm read: only $((_c1[0] - _c0[0])) of $_want pages served by the cache"
	[ $((_c1[3] - _c0[3])) -eq 0 ] ||
		fail "warm read wrote $((_c1[3] - _c0[3])) pages to the cache"
	if netfs_gen; then
		read -ra _n0 <<< "$_n0"
		_n1=("$(nfs_bytes "$_mnt" server_read)" "$(netfs_stat CaRdOps RD)" "$(netfs_stat CaWrOps WR)")
		log "warm read: netfs cache reads +$((_n1[1] - _n0[1])), cache writes +$((_n1[2] - _n0[2])), from the server +$(((_n1[0] - _n0[0]) / 1024)) KiB"
		[ $((_n1[1] - _n0[1])) -gt 0 ] || fail "warm read: netfs issued no cache read"
		[ $((_n1[2] - _n0[2])) -eq 0 ] || fail "warm read: netfs wrote to the cache"
	fi
}

# cold_read MNT PAGES CMD...: run CMD (which must verify bytes) and check at
# least PAGES pages were written to the cache: 6.1 by fscache IO wr (a page
# at a time); 6.12 by the pages written to the cache device once netfs's
# asynchronous cache writes are done (fscache IO wr counts whole writes).
cold_read() {
	local _mnt=$1 _want=$2 _c0 _c1 _got
	shift 2
	read -ra _c0 <<< "$(counters "$_mnt")"
	"$@"
	read -ra _c1 <<< "$(counters "$_mnt")"
	if netfs_gen; then
		_got=$((_c1[1] - _c0[1]))
		log "cold read: cache device written pages +$_got (want >= $_want), fscache wr +$((_c1[3] - _c0[3]))"
	else
		_got=$((_c1[3] - _c0[3]))
		log "cold read: nfs written_ok +$((_c1[1] - _c0[1])), fscache wr +$_got (want >= $_want)"
	fi
	[ "$_got" -ge "$_want" ] ||
		fail "cold read: only $_got of $_want pages written to the cache"
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
# small_tree DIR FILES DIRS MIN MAX: FILES files of MIN to MAX random
# bytes (each seeded by its number: the same tree every run), spread over
# DIRS directories DIR/d0... as DIR/dK/fNNNNN; prints their 4 KiB pages
small_tree() {
	python3 - "$@" <<'PY'
import os, random, sys
root, nf, nd, lo, hi = sys.argv[1], *map(int, sys.argv[2:6])
pages = 0
for d in range(nd):
    os.makedirs(f"{root}/d{d}", exist_ok=True)
for i in range(nf):
    r = random.Random(i)
    size = r.randint(lo, hi)
    with open(f"{root}/d{i % nd}/f{i:05d}", "wb") as f:
        f.write(r.randbytes(size))
    pages += (size + 4095) // 4096
print(pages)
PY
}
# sums_check DIR SUMS N: DIR's files against the sha256sum list SUMS,
# read by N readers at once (SUMS split in N); fails on any difference
sums_check() {
	local dir=$1 sums=$2 n=$3 p pids=() bad=0
	rm -f "$sums".part.*
	split -n "l/$n" "$sums" "$sums.part."
	for p in "$sums".part.*; do
		(cd "$dir" && sha256sum -c --quiet "$p") &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || bad=1; done
	[ $bad = 0 ] || fail "some files under $dir read wrong"
}
# verify FILE EXPECTED-SUM
verify() {
	local got
	got=$(sum "$1")
	[ "$got" = "$2" ] || fail "checksum mismatch on $1: $got != $2"
}

# --- profiling (benchmarks) ----------------------------------------------------
# perf_start NAME / perf_stop: profile one phase of a benchmark when
# PERF=1, reports in /results/perf.NAME.txt (self) and .children.txt
# (perf takes about a minute under TCG to read the system's symbols before
# it records: it starts disabled, and the phase begins once perf has
# acknowledged the "enable" on its control fifo)
perf_start() {
	[ "${PERF:-0}" = 1 ] || return 0
	PERF_NAME=$1
	rm -f /tmp/perf.ctl /tmp/perf.ack
	mkfifo /tmp/perf.ctl /tmp/perf.ack
	perf record -q -B -N -a -g -e cpu-clock -F 999 -D -1 \
		--control fifo:/tmp/perf.ctl,/tmp/perf.ack \
		-o "/tmp/perf.$1.data" > /tmp/perf.log 2>&1 &
	PERF_PID=$!
	exec 7> /tmp/perf.ctl 8< /tmp/perf.ack
	echo enable >&7
	read -r -t 600 _ <&8 || fail "perf did not start: $(cat /tmp/perf.log)"
}
perf_stop() {
	[ "${PERF:-0}" = 1 ] || return 0
	echo disable >&7
	read -r -t 60 _ <&8 || true
	exec 7>&- 8<&-
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
	perf report -q -i "/tmp/perf.$PERF_NAME.data" --stdio --no-children \
		--sort sym -g none --percent-limit 0.5 > "/results/perf.$PERF_NAME.txt" 2>&1 || true
	perf report -q -i "/tmp/perf.$PERF_NAME.data" --stdio --children \
		--sort sym -g none --percent-limit 0.5 > "/results/perf.$PERF_NAME.children.txt" 2>&1 || true
	rm -f "/tmp/perf.$PERF_NAME.data"
}
