#!/bin/bash
# small.sh KEY=VALUE... - the cost of each small file, inside the VM
# (scripts/bench-small.sh boots it): issue 16's workload, where the cache's
# work per object decides and not its streaming speed.
#
# Keys: nfiles (files of 16 KiB), configs (comma-separated: nocache,
# cachefiles, cachestore, cachestore-alt), nfsvers, warm (warm passes,
# default 2), alt (mkcachestore options of cachestore-alt, commas for
# spaces: a second
# cachestore configuration, freshly formatted on the same disk with these
# options too, to measure an option's effect within one run),
# perf (1: profile each pass with perf,
# reports in /results/perf.CONFIG.PASS.txt; such a run's figures include
# perf's own cost).
#
# The NFS server exports ext4 on its own disk over loopback.  For each
# configuration, with a freshly formatted cache: mount NFS (nosharecache),
# read 64 other files twice (TCG translates the paths' code on first
# use), then
#   cold   drop_caches, read every file once (two cat processes, 250
#          files each at a time, in name order), wait for the cache
#          writes (6.12 writes them asynchronously)
#   warm   drop_caches, the same read again: served by the cache
#   warm2  once more, the same, and so on to warmN (warm=N): their
#          spread is the noise, their median the figure to compare
# and compare every file with the export's.  Output, one line per pass, in
# /results/small.tsv:
#   config pass wall_s cpu_s ms_per_file fscache_acquires fscache_reads
#   fscache_writes cache_lookups cache_creates meta_reads meta_writes commits
# (the cache_ and meta_ columns are cachestore's stats file, - elsewhere).
# Nothing here asserts speed.
# shellcheck source=tests/vm/lib.sh
. "$CS_REPO/tests/vm/lib.sh"

nfiles=2000 configs=nocache,cachefiles,cachestore nfsvers=3 warm=2 alt='' PERF=0
for a in "$@"; do
	case ${a%%=*} in
	nfiles|configs|nfsvers|warm|alt) printf -v "${a%%=*}" '%s' "${a#*=}" ;;
	perf) PERF=${a#perf=} ;;
	*) fail "small.sh: unknown argument $a" ;;
	esac
done
TSV=/results/small.tsv
EXP=/srv/export
CS_MNT=/mnt/cstore
hz=$(getconf CLK_TCK)
: > "$TSV"

busy_ticks() {
	local u n s irq sirq st
	read -r _ u n s _ _ irq sirq st _ < /proc/stat
	echo $((u + n + s + irq + sirq + st))
}
now_us() { echo "${EPOCHREALTIME/./}"; }
# fsc NAME FIELD: a counter of /proc/fs/fscache/stats ("IO     : rd=5 ..."),
# 0 where this kernel has no such line
fsc() {
	sed 's/^\([A-Za-z]*\) *:/\1:/' /proc/fs/fscache/stats |
		awk -v l="$1:" -v f="$2" '$1 == l { for (i = 2; i <= NF; i++) {
			split($i, kv, "="); if (kv[1] == f) { print kv[2]; found = 1; exit } } }
			END { if (!found) print 0 }'
}
# the counters of one pass, in the order of small.tsv's columns
counters() { # CONFIG
	local c=$1 l=- cr=- mr=- mw=- cm=-
	if [ "${c%-alt}" = cachestore ]; then
		l=$(cs_stat $CS_MNT lookups) cr=$(cs_stat $CS_MNT creates)
		mr=$(cs_stat $CS_MNT meta_reads) mw=$(cs_stat $CS_MNT meta_writes)
		cm=$(cs_stat $CS_MNT commits)
	fi
	echo "$(fsc Acquire n) $(fsc IO rd) $(fsc IO wr) $l $cr $mr $mw $cm"
}
delta() { # BEFORE AFTER: column by column, - stays -
	local -a a b
	local i out=()
	read -r -a a <<< "$1"
	read -r -a b <<< "$2"

	for i in "${!a[@]}"; do
		if [ "${a[$i]}" = - ]; then out+=(-); else out+=($((b[i] - a[i]))); fi
	done
	echo "${out[*]}"
}

pass() { # CONFIG PASS MNT
	local c=$1 p=$2 m=$3 b0 b1 t0 t1 k0 k1 wall cpu
	drop_caches
	k0=$(counters "$c")
	perf_start "$c.$p"
	b0=$(busy_ticks) t0=$(now_us)
	# two readers, each cat reading hundreds of files: little of the
	# time is the reader's own (fio's per-file work under TCG cost more
	# than an NFS lookup)
	(cd "$m/small" && printf '%s\n' f* | xargs -P 2 -n 250 cat > /dev/null) ||
		fail "reading the files ($c $p) failed"
	t1=$(now_us)
	[ "$p" = cold ] && netfs_settle
	b1=$(busy_ticks)
	perf_stop
	k1=$(counters "$c")
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
	cpu=$(awk -v t=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$p" "$wall" "$cpu" \
		"$(awk -v w="$wall" -v n="$nfiles" 'BEGIN { printf "%.3f", w * 1000 / n }')" \
		"$(delta "$k0" "$k1" | tr ' ' '\t')" >> "$TSV"
	log "$c $p: $wall s, busy $cpu s; fscache acquire/rd/wr, cachestore lookups/creates/meta_reads/meta_writes/commits: $(delta "$k0" "$k1")"
}

log "making $nfiles files of 16 KiB"
nfs_server "$EXP" "$CS_DISK_EXPORT"
mkdir -p "$EXP/small" "$EXP/wsmall"
mkdata /tmp/small.src $(((nfiles * 16 + 1023) / 1024)) 9
head -c $((nfiles * 16384)) /tmp/small.src | split -b 16k -a 6 -d - "$EXP/small/f"
mkdata /tmp/warm.src 1 7
split -b 16k -a 6 -d /tmp/warm.src "$EXP/wsmall/f"
rm -f /tmp/small.src /tmp/warm.src
[ "$(find "$EXP/small" -type f | wc -l)" -eq "$nfiles" ] || fail "expected $nfiles small files"
sync

log "small: kernel $(uname -r), $nfiles files, configs $configs, NFS $nfsvers"
for c in ${configs//,/ }; do
	m=/mnt/nfs-$c
	case $c in
	nocache)
		mkdir -p "$m"
		mount -t nfs -o "vers=$nfsvers,nosharecache" "127.0.0.1:$EXP" "$m" || fail "mount nfs" ;;
	cachefiles)
		cachefiles_bind "$CS_DISK_FSC"
		nfs_mount "$nfsvers" "$EXP" "$m" nosharecache ;;
	cachestore|cachestore-alt)
		opts="-N $((4 * nfiles + 4096))"
		[ "$c" = cachestore ] || opts+=" ${alt//,/ }"
		# a fresh cache for each configuration: cachestore_bind formats
		# a disk only once per boot unless told otherwise
		rm -f "/tmp/.cs-formatted-${CS_DISK_CS##*/}"
		CS_MKFS_OPTS=$opts cachestore_bind "$CS_DISK_CS" $CS_MNT
		assert [ "$(cs_stat $CS_MNT objects_live)" = 0 ]
		log "$c: mkcachestore $opts"
		nfs_mount "$nfsvers" "$EXP" "$m" nosharecache ;;
	*) fail "unknown configuration $c" ;;
	esac
	for i in 1 2; do
		drop_caches
		cat "$m"/wsmall/* > /dev/null || fail "warm-up read"
		netfs_settle
	done
	pass "$c" cold "$m"
	pass "$c" warm "$m"
	for ((i = 2; i <= warm; i++)); do
		pass "$c" "warm$i" "$m"
	done
	drop_caches
	diff -rq "$m/small" "$EXP/small" > /tmp/diff.out 2>&1 ||
		{ head -n 5 /tmp/diff.out; fail "$c: files differ from the export's"; }
	log "$c: every file the same as the export's"
	netfs_settle
	umount "$m" || fail "umount $m"
	case $c in
	cachefiles) cachefiles_unbind ;;
	cachestore|cachestore-alt)
		log "$c: commit_hold_max_us $(cs_stat $CS_MNT commit_hold_max_us), checkpoint_hold_max_us $(cs_stat $CS_MNT checkpoint_hold_max_us) (since the bind)"
		cachestore_unbind $CS_MNT ;;
	esac
done
log ok
