#!/bin/bash
# cull.sh N OBJ_KIB P1,P2.. LIMIT BACKENDS... - the cull benchmark, inside the VM
# (scripts/bench-cull.sh boots it).  For each backend (cachestore,
# cachefiles): format a cache sized to hold N objects of OBJ_KIB KiB at
# about 80 % full, fill it with N objects through test_fscache, unbind; then
# for each P in PCTS (e.g. "1 3") bind it again with thresholds that make it
# free P % of its space above where it stands (cachestore: bcull=/brun=;
# cachefilesd: bcull/brun), and time the cull: wall from bind to the run
# mark, wall to the first eviction, CPU (all of the VM's busy time, from
# /proc/stat, and the daemon's own for cachefilesd), objects culled (fscache
# NoSpace cull=).  Between the phases the cache is unbound and bound again
# where the last left it: each phase culls from the state the previous one
# left (a full cache, minus what was culled).
# One line per phase goes to /results/cull.tsv.
# image=1 among the arguments: the cachestore disk already holds a cache of
# N objects (mkimage build, on the host: see scripts/bench-cull.sh IMAGE=),
# which is bound as it is instead of being formatted and filled; its first
# bind's time is logged (a bind reads the superblock, the journal and the
# state block, nothing in proportion to the objects).
. "$CS_REPO/tests/vm/lib.sh"
. "$CS_REPO/tests/lib/tfs.sh"
N=$1 OBJ_KIB=$2 PCTS=${3//,/ } LIMIT=$4	# LIMIT: seconds a phase may take
shift 4
TSV=/results/cull.tsv
MKFS=$CS_REPO/build/bin/mkcachestore
FSCK=$CS_REPO/build/bin/fsck.cachestore
TFS_VERBOSE=0

# The pollers below use shell builtins only where they can: under TCG a
# fork and exec cost tens of milliseconds, which would land in the busy
# time being measured.  What the poller spends all the same (its own and
# its children's CPU, from the times builtin) is subtracted.
busy_ticks() {
	local cpu u n s i rest
	read -r cpu u n s i rest < /proc/stat
	set -- $rest	# iowait irq softirq ...
	echo $((u + n + s + $2 + $3))
}
hz=$(getconf CLK_TCK)
# nap SECONDS: sleep without a fork or an exec (read's timeout on a fifo
# nothing writes to); `sleep` costs an exec, tens of ms under TCG.
mkfifo /tmp/nap.fifo
exec 6<> /tmp/nap.fifo
nap() { read -r -t "$1" -u 6 _ || true; }
# Into variables, for the pollers: $(...) forks.  culled, cs_free_pct and
# ms print the same.
culled_v() {
	local l
	CULLED=0
	while read -r l; do
		[[ $l =~ ^NoSpace:.*cull=([0-9]+) ]] && { CULLED=${BASH_REMATCH[1]}; return; }
	done < /proc/fs/fscache/stats
}
cs_free_pct_v() { # MNT -> FREE_PCT: free blocks, in per mille of data blocks
	local k v f=0 d=1
	while read -r k v; do
		case $k in blocks_free:) f=$v ;; blocks_data:) d=$v ;; esac
	done < "$1/stats"
	FREE_PCT=$((f * 1000 / d))
}
ms_v() { MS=$(( ${EPOCHREALTIME/./} / 1000 )); }
# bind_cpu LABEL CMD...: the VM's busy CPU from before CMD (a bind that
# culls nothing) to 100 ms after it returns, logged: the fixed part of the
# phases' busy CPU, which each phase pays whatever it culls.  As in the
# phases, CMD's own CPU (mount's, with the bind in its system call; the
# daemon's start) counts, and only what the shell spends after it is
# subtracted.
bind_cpu() {
	local label=$1 b0 b1 p0
	shift
	b0=$(busy_ticks)
	"$@" || fail "$label: $*"
	poller_ms; p0=$POLL_MS
	nap 0.1
	b1=$(busy_ticks); poller_ms
	log "$label: a bind that culls nothing: $(( (b1 - b0) * 1000 / hz - (POLL_MS - p0) )) ms busy CPU (to 100 ms after it)"
}
culled() { culled_v; echo "$CULLED"; }
ms() { ms_v; echo "$MS"; }
# poller_ms: set POLL_MS to the CPU milliseconds this shell and its
# children have used (the times builtin, run in this shell: a subshell
# would report its own, from zero)
poller_ms() {
	local sum=0 x all
	times > /tmp/times.out
	read -r -d '' all < /tmp/times.out || true
	for x in $all; do
		[[ $x =~ ^([0-9]+)m([0-9]+)\.([0-9]+)s$ ]] || continue
		sum=$((sum + BASH_REMATCH[1] * 60000 + 10#${BASH_REMATCH[2]} * 1000 + 10#${BASH_REMATCH[3]}))
	done
	POLL_MS=$sum
}

# fill KEYBASE COUNT: COUNT objects of OBJ_KIB through the default cache
fill() {
	local t0 r
	t0=$(ms)
	tfs_ok vol_acquire fv key="bench,cull,$1"
	tfs_q stress vol=fv id=fill threads=2 cookies="$2" ops=1 len="${OBJ_KIB}k" seed=3 miss_ok=1 ||
		fail "fill: $TFS_REPLY"
	r=$TFS_REPLY
	tfs_ok vol_relinquish fv
	log "fill $1: $2 objects in $(( ($(ms) - t0) )) ms: $r"
}

# --- cachestore ----------------------------------------------------------------
cs_free_pct() { cs_free_pct_v "$1"; echo "$FREE_PCT"; }

bench_cachestore() {
	local disk=$CS_DISK_CS mnt=/mnt/cs p f0 cull run t0 t1 tf b0 c0 c1 n ep
	mkdir -p "$mnt"
	if [ "$IMAGE" = 1 ]; then
		cs_insmod_once
		t0=$(ms)
		mount -t cachestore -o cull=1,run=2 "$disk" "$mnt" || fail "mount"
		log "cachestore N=$N: the prebuilt image bound in $(( $(ms) - t0 )) ms: $(grep -E '^(objects_live|blocks_free|blocks_data):' "$mnt/stats" | tr '\n' ' ')"
		[ "$(cs_stat "$mnt" objects_live)" -eq "$N" ] || fail "the image holds $(cs_stat "$mnt" objects_live) objects, not $N"
	else
		"$MKFS" -q -f -N $((N * 2)) "$disk" || fail "mkcachestore"
		cs_insmod_once
		mount -t cachestore -o cull=1,run=2 "$disk" "$mnt" || fail "mount"
		fill cs "$N"
	fi
	sync -f "$mnt"
	umount "$mnt"
	# the default marks (cull below 7 % free): nothing to cull
	bind_cpu "cachestore N=$N" mount -t cachestore "$disk" "$mnt"
	for p in $PCTS; do
		f0=$(cs_free_pct "$mnt")
		umount "$mnt"
		t0=$(ms); "$FSCK" -n "$disk" > /tmp/fsck.out 2>&1 || { cat /tmp/fsck.out; fail "fsck.cachestore -n"; }
		local fsck_ms=$(( $(ms) - t0 ))
		# culling starts below cull=, stops at run=: free P % more
		cull=$(( f0 / 10 + 1 )) run=$(( f0 / 10 + 1 + p ))
		[ $run -le 90 ] || fail "cache too empty after the fill (free ${f0}/1000)"
		perf_start "cachestore.$N.$p"
		# the bench's own execs (dmesg, grep) before the busy window:
		# under TCG they cost some 100-300 ms of CPU
		ep=$(dmesg | grep -c 'cachestore [^ ]*: culled [0-9]* objects in' || true)
		c0=$(culled); b0=$(busy_ticks)
		ms_v; t0=$MS
		mount -t cachestore -o "bcull=$cull,brun=$run${OPTS:+,$OPTS}" "$disk" "$mnt" || fail "mount bcull=$cull brun=$run${OPTS:+,$OPTS}"
		ms_v; t1=$MS; tf=""; poller_ms; p0=$POLL_MS
		# every 20 ms, with builtins only (no fork, no exec)
		while :; do
			culled_v; ms_v
			[ -n "$tf" ] || [ "$CULLED" -eq "$c0" ] || tf=$((MS - t1))
			cs_free_pct_v "$mnt"
			[ "$FREE_PCT" -lt $((run * 10)) ] || break
			[ $((MS - t1)) -lt $((LIMIT * 1000)) ] || fail "cachestore: no run mark after $LIMIT s"
			nap 0.02
		done
		ms_v
		local wall=$((MS - t1)) busy=$(busy_ticks)
		poller_ms
		busy=$(( (busy - b0) * 1000 / hz - (POLL_MS - p0) ))
		c1=$(culled)
		perf_stop
		# the kernel's own time for the episode, from its first pick
		# to the run mark ("culled N objects in T ms"), free of the
		# poller's 20 ms steps
		local kms="" i
		for i in $(seq 50); do
			kms=$(dmesg | sed -n 's/.*cachestore [^ ]*: culled [0-9]* objects in \([0-9]*\) ms.*/\1/p' | sed -n "$((ep + 1))p")
			[ -z "$kms" ] || break
			sleep 0.1
		done
		[ -n "$kms" ] || fail "cachestore: no 'culled N objects in T ms' message after the run mark"
		printf 'cachestore\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$N" "$p" $((c1 - c0)) \
			$((t1 - t0)) "${tf:-0}" "$wall" "$busy" 0 "$fsck_ms" "$kms" >> "$TSV"
		log "cachestore N=$N P=$p: free ${f0}/1000 at bind, bcull=$cull brun=$run: culled $((c1 - c0)) in $wall ms (first after ${tf:-?} ms; the kernel's episode $kms ms), busy $busy ms, bind $((t1 - t0)) ms, fsck $fsck_ms ms"
		grep -E '^(objects_live|objects_dying|blocks_free|culls|commits|meta_reads|meta_writes|meta_flushes|checkpoints|cull_us|commit_us|drain_us|discard_us|checkpoint_us|meta_read_us|commit_hold_max_us|cull_hold_max_us):' "$mnt/stats" | tr '\n' ' '; echo
	done
	umount "$mnt"
}

cs_insmod_once() {
	grep -q '^cachestore ' /proc/modules ||
		cs_insmod "$CS_KOBJ/fs/cachestore/cachestore.ko" || fail "insmod cachestore"
}

# --- cachefiles + cachefilesd ----------------------------------------------------
fs_free_pct() { # per mille of the blocks available
	stat -f -c '%a %b' /var/cache/fscache | awk '{ printf "%d\n", $1 * 1000 / $2 }'
}
# fs_at_run PCT: true once cachefiles would stop culling: blocks available
# >= (blocks / 100) * PCT, as cachefiles_add_cache() and
# cachefiles_has_space() compute it
fs_at_run() {
	stat -f -c '%a %b' /var/cache/fscache |
		awk -v p="$1" '{ exit !($1 >= int($2 / 100) * p) }'
}

# cfd_conf BRUN BCULL BSTOP.  cachefilesd sends the settings in file order
# and the kernel checks stop < cull < run after each, starting from its
# defaults (run 7 %, cull 5 %, stop 1 %): raise run first, or lower stop
# first.
cfd_conf() {
	{
		echo "dir /var/cache/fscache"
		echo "tag vmcache"
		if [ "$1" -ge 7 ]; then
			printf 'brun %s%%\nbcull %s%%\nbstop %s%%\n' "$1" "$2" "$3"
		else
			printf 'bstop %s%%\nbcull %s%%\nbrun %s%%\n' "$3" "$2" "$1"
		fi
		printf 'fstop 1%%\nfcull 2%%\nfrun 3%%\n'
	} > /tmp/cachefilesd.conf
}

cfd_bind() { cachefilesd_start /tmp/cachefilesd.conf && cfd_wait_bound; }
cfd_wait_bound() {
	local i
	for i in $(seq 100); do
		grep -q vmcache /proc/fs/fscache/caches 2>/dev/null && return 0
		sleep 0.05
	done
	fail "cachefiles did not bind"
}

bench_cachefiles() {
	local disk=$CS_DISK_FS dir=/var/cache/fscache p f0 cull run t0 t1 tf b0 c0 c1 n pid cpu
	modprobe cachefiles
	mkdir -p "$dir"
	# an inode per 4 KiB: file counts must not trigger culling
	mkfs.ext4 -q -F -b 4096 -i 4096 "$disk"
	mount -o user_xattr "$disk" "$dir"
	cfd_conf 3 2 1
	: > /tmp/cachefilesd.log
	cachefilesd_start /tmp/cachefilesd.conf
	cfd_wait_bound
	fill cf "$N"
	pkill -x cachefilesd
	while pgrep -x cachefilesd >/dev/null; do sleep 0.1; done
	# marks far below what is free: nothing to cull
	cfd_conf 3 2 1
	bind_cpu "cachefiles N=$N" cfd_bind
	pkill -x cachefilesd
	while pgrep -x cachefilesd >/dev/null; do sleep 0.1; done
	for p in $PCTS; do
		sync -f "$dir"
		f0=$(fs_free_pct)
		# the lowest bcull that starts culling in cachefiles' arithmetic
		cull=$(stat -f -c '%a %b' "$dir" | awk '{ print int($1 / int($2 / 100)) + 1 }')
		run=$(( cull + p ))
		[ $run -le 90 ] || fail "ext4 too empty after the fill (free ${f0}/1000)"
		cfd_conf "$run" "$cull" 1
		perf_start "cachefiles.$N.$p"
		c0=$(culled); b0=$(busy_ticks)
		ms_v; t0=$MS
		cachefilesd_start /tmp/cachefilesd.conf
		cfd_wait_bound
		ms_v; t1=$MS; tf=""
		pid=$(pgrep -x cachefilesd)
		poller_ms; p0=$POLL_MS
		while :; do
			n=$(( $(culled) - c0 ))
			[ -n "$tf" ] || [ "$n" -eq 0 ] || tf=$(( $(ms) - t1 ))
			! fs_at_run "$run" || break
			pgrep -x cachefilesd >/dev/null || { cat /tmp/cachefilesd.log; fail "cachefilesd exited"; }
			[ $(( $(ms) - t1 )) -lt $((LIMIT * 1000)) ] || {
				df /var/cache/fscache; tail -n 20 /tmp/cachefilesd.log
				echo "graveyard: $(find /var/cache/fscache/graveyard | wc -l) entries, $(du -s /var/cache/fscache/graveyard)"
				echo "cache: $(find /var/cache/fscache/cache -type f | wc -l) files, $(du -s /var/cache/fscache/cache)"
				fail "cachefiles: no run mark after $LIMIT s"
			}
			sleep 0.1
		done
		local wall=$(( $(ms) - t1 )) busy=$(busy_ticks)
		poller_ms
		busy=$(( (busy - b0) * 1000 / hz - (POLL_MS - p0) ))
		cpu=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
		c1=$(culled)
		perf_stop
		printf 'cachefiles\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$N" "$p" $((c1 - c0)) \
			$((t1 - t0)) "${tf:-0}" "$wall" "$busy" $((cpu * 1000 / hz)) 0 >> "$TSV"
		log "cachefiles N=$N P=$p: free ${f0}/1000 at bind, bcull $cull brun $run: culled $((c1 - c0)) in $wall ms (first after ${tf:-?} ms), busy $busy ms, daemon $((cpu * 1000 / hz)) ms"
		pkill -x cachefilesd
		while pgrep -x cachefilesd >/dev/null; do sleep 0.1; done
	done
	umount "$dir"
}

# perf=1 among the arguments: each cull phase runs under `perf record -a -g`
# (the cpu-clock event: TCG has no PMU), and perf's report of where the
# VM's CPU went lands in /results/perf.BACKEND.N.P.txt.  Its sampling costs
# CPU of its own: figures from such a run are not comparable to others.
# opts=O1,O2 among the arguments: more cachestore mount options for the
# cull phases (e.g. opts=nodiscard).
PERF=0 IMAGE=0 OPTS="" backends=()
for a in "$@"; do
	case $a in
	perf=*) PERF=${a#perf=} ;;
	image=*) IMAGE=${a#image=} ;;
	opts=*) OPTS=${a#opts=} ;;
	*) backends+=("$a") ;;
	esac
done
tfs_load
# What the VM's CPUs are busy with when nothing runs (TCG's timers, the
# guest's own housekeeping): measured over 2 s, logged beside the phases,
# whose busy CPU includes it (about a phase's wall times this rate).
b0=$(busy_ticks); ms_v; t0=$MS
nap 2
b1=$(busy_ticks); ms_v
log "idle: $(( (b1 - b0) * 1000 / hz )) ms busy in $((MS - t0)) ms with nothing running"
# The first bound cache is the one test_fscache's volumes go to: one
# backend at a time.
for b in "${backends[@]}"; do
	"bench_$b"
done
log ok
