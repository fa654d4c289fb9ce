# shellcheck shell=bash
# scenarios.sh - backend-neutral fscache scenarios for the parity suite
# (tests/vm/tests/fscache_parity.sh).  Each scenario is a function sc_NAME
# that drives test_fscache (tests/lib/tfs.sh) on volumes and cookies of its
# own and knows nothing of the backend under it.  The runner calls it in a
# subshell, with the control file open, after setting:
#
#   SC_TAG      the tag of the bound cache (every volume must land on it)
#   SC_MNT      a directory on the cache (statfs of it: the cache's space)
#   SC_RESULT   a file: the scenario's one-line result goes there
#   sc_unbind, sc_rebind   functions: unbind the cache (may block until the
#               cache is withdrawn) / bind it again on the same storage,
#               keeping its contents
#
# A scenario ends in one of three ways:
#   exit 0      pass; sc_say has written the one-line result
#   exit 1      fail (fail() from tests/vm/lib.sh, or tfs_ok/tfs_err)
#   exit 3      declined: the cache cleanly refused to cache the object or
#               volume (ENOBUFS, nothing wrong returned).  Correct fscache
#               behaviour, but the scenario's point was not reached; the
#               runner accepts it only as a documented difference.
#
# After every scenario the runner sends "reset", so a scenario need not
# clean up after a failure.

# sc_say TEXT: the scenario's one-line result (last one wins)
sc_say() { echo "$*" > "$SC_RESULT"; }
# sc_declined TEXT: the cache declined; end the scenario
sc_declined() { sc_say "declined: $*"; exit 3; }

# sc_vol NAME KEY [ARGS]: acquire a volume; it must land on the cache under
# test.  Returns 1 (not failing) if the cache declined the volume.
sc_vol() {
	local v=$1 k=$2
	shift 2
	tfs_ok vol_acquire "$v" "key=$k" "$@"
	tfs_expect null 0
	tfs_ok vol_state "$v"
	tfs_expect cache "$SC_TAG"
}

# sc_cookie NAME VOL KEY [ARGS]: acquire, use for writing, settle; the
# cookie must be ACTIVE (else the scenario is declined)
sc_cookie() {
	local c=$1 v=$2 k=$3
	shift 3
	tfs_ok cookie_acquire "$c" "vol=$v" "key=$k" "$@"
	tfs_expect null 0
	tfs_ok use "$c" w
	tfs_ok settle "$c"
	[ "$(tfs_get state)" = ACTIVE ] ||
		sc_declined "cookie $c not cached: $TFS_REPLY"
}

# sc_again NAME VOL KEY [ARGS]: relinquish (keep) and look the cookie up again
sc_again() {
	tfs_ok relinquish "$1"
	sc_cookie "$@"
}

# sc_nodata COOKIE: a negative lookup: NO_DATA_TO_READ and ENODATA at 0
sc_nodata() {
	tfs_ok state "$1"
	tfs_expect_flag NO_DATA_TO_READ
	tfs_err ENODATA read "$1" off=0 len=4k hole=fail
}

# sc_space: bytes free on the cache.  cachestore: statfs of its mount.
# cachefiles: 1 TiB less the blocks its files occupy (du), not the ext4's
# free count, which ext4's block preallocation makes move by up to 2 MiB
# more or less than the files' data.
sc_space() {
	if [ "$BACKEND" = cachefiles ]; then
		echo $(((1 << 40) - $(du -sxB1 "$SC_MNT" | cut -f1)))
	else
		stat -f -c '%f %S' "$SC_MNT" | awk '{ print $1 * $2 }'
	fi
}
# sc_space_settled: bytes free once frees still in progress (orphans of
# earlier invalidations, cookies on fscache's LRU, pending commits) have
# landed: two equal readings 0.5 s apart, after a sync of the cache
sc_space_settled() {
	local a b i
	# fscache keeps unused cookies on its LRU for 10 s before it withdraws
	# their objects (and a backend frees what was retired or invalidated)
	for i in $(seq 150); do
		awk '$1 == "LRU" { exit $3 != "n=0" }' /proc/fs/fscache/stats && break
		sleep 0.1
	done
	# cachefiles: what cachefilesd has still to reap from the graveyard
	for i in $(seq 100); do
		[ -d "$SC_MNT/graveyard" ] && [ -n "$(ls -A "$SC_MNT/graveyard")" ] || break
		sleep 0.1
	done
	sync -f "$SC_MNT"
	a=$(sc_space)
	for i in $(seq 20); do
		sleep 0.5
		sync -f "$SC_MNT"
		b=$(sc_space)
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$b"
}

# sc_vol_gone KEY: wait up to 30 s for a relinquished volume to be freed
sc_vol_gone() {
	local i
	for i in $(seq 300); do
		grep -qF -- "$1" /proc/fs/fscache/volumes || return 0
		sleep 0.1
	done
	cat /proc/fs/fscache/volumes
	fail "volume $1 still there 30 s after its relinquish"
}

# sc_cache_state: the state letter of our cache in /proc/fs/fscache/caches
# (A active, W withdrawing, - gone), empty if the entry is gone
sc_cache_state() { awk -v t="$SC_TAG" '$NF == t { print $6 }' /proc/fs/fscache/caches; }

# ---------------------------------------------------------------------------

# Negative lookup, then the same key again finds the data.
sc_lookup_neg_pos() {
	sc_vol v parity,lookup
	sc_cookie c v hex:6c6f6f6b757000ff aux=hex:01020304 size=64k
	sc_nodata c
	tfs_ok state c
	tfs_expect_flag '!HAVE_DATA'
	tfs_ok write c off=0 len=64k seed=11
	sc_again c v hex:6c6f6f6b757000ff aux=hex:01020304 size=64k
	tfs_expect_flag '!NO_DATA_TO_READ'
	tfs_ok read c off=0 len=64k seed=11 hole=fail
	tfs_expect data 65536
	sc_say "negative lookup ENODATA; positive lookup reads 64 KiB back"
}

# Aux data that changed, or an object size that changed, drops the data
# for good.
sc_aux_mismatch() {
	sc_vol v parity,aux
	sc_cookie c v key-aux aux=hex:a1a2a3a4 size=64k
	tfs_ok write c off=0 len=64k seed=12
	sc_again c v key-aux aux=hex:a1a2a3a4 size=64k
	tfs_ok read c off=0 len=64k seed=12 hole=fail
	sc_again c v key-aux aux=hex:b1b2b3b4 size=64k
	sc_nodata c
	# back to the first aux: the old data must not come back
	sc_again c v key-aux aux=hex:a1a2a3a4 size=64k
	sc_nodata c
	tfs_ok write c off=0 len=8k seed=14
	sc_again c v key-aux aux=hex:a1a2a3a4 size=32k		# size changed
	sc_nodata c
	sc_say "changed aux or object size: negative lookup; old data never returns"
}

# Aux data that gets shorter, longer, or goes away: a negative lookup,
# and the object is cached again.
sc_aux_len_change() {
	sc_vol v parity,auxlen
	sc_cookie c v key-auxlen aux=hex:a1a2a3a4 size=64k
	tfs_ok write c off=0 len=8k seed=13
	sc_again c v key-auxlen aux=hex:a1a2a3 size=64k		# shorter
	sc_nodata c
	tfs_ok write c off=0 len=8k seed=15
	sc_again c v key-auxlen aux=hex:a1a2a3 size=64k
	tfs_ok read c off=0 len=8k seed=15 hole=fail
	sc_again c v key-auxlen aux=hex:a1a2a3a4a5 size=64k	# longer
	sc_nodata c
	tfs_ok write c off=0 len=8k seed=16
	sc_again c v key-auxlen size=64k			# none
	sc_nodata c
	tfs_ok write c off=0 len=8k seed=17
	sc_again c v key-auxlen size=64k
	tfs_ok read c off=0 len=8k seed=17 hole=fail
	sc_say "aux 4 -> 3 -> 5 -> 0 bytes: each change a negative lookup, then cached again"
}

# 64 keys differing in one byte (binary, the last byte 00, 04, .. fc and
# ff), each with its own data; all looked up again and read back with
# their own seed.
sc_key_neighbours() {
	local i x n=64
	sc_vol v parity,neighbours
	TFS_VERBOSE=0
	for i in $(seq 0 $((n - 1))); do
		x=$(printf %02x $((i == n - 1 ? 255 : i * 4)))
		sc_cookie "k$i" v "hex:6e6569676862000102030405060708$x" size=4k
		tfs_ok write "k$i" off=0 len=4k "seed=$((1000 + i))"
	done
	for i in $(seq 0 $((n - 1))); do
		tfs_ok relinquish "k$i"
	done
	for i in $(seq 0 $((n - 1))); do
		x=$(printf %02x $((i == n - 1 ? 255 : i * 4)))
		sc_cookie "k$i" v "hex:6e6569676862000102030405060708$x" size=4k
		tfs_q read "k$i" off=0 len=4k "seed=$((1000 + i))" hole=fail ||
			fail "key ..$x read back: $TFS_REPLY"
	done
	# and the first byte
	for i in 1 2 128 255; do
		x=$(printf %02x "$i")
		sc_cookie "f$i" v "hex:${x}6569676862000102030405060708ff" size=4k
		sc_nodata "f$i"
	done
	TFS_VERBOSE=1
	# a neighbour never written misses
	sc_cookie m v hex:6e656967686200010203040506070801 size=4k
	sc_nodata m
	sc_say "$n keys differing in the last byte keep their own data; unwritten neighbours miss"
}

# Keys that differ only in trailing zero bytes inside one 4-byte pad (they
# share fscache's in-memory hash), and keys of NULs only.  Each must be
# its own object, live at once and one after another.
sc_key_trailing_zero() {
	local keys=(hex:01020304050607 hex:0102030405060700 hex:00 hex:0000 hex:000000
		    hex:00000000 hex:0000000000 hex:00ff00 hex:ff0000)
	local i
	sc_vol v parity,zeros
	# one after another: the second must not see the first's data
	sc_cookie a v "${keys[0]}" size=4k
	tfs_ok write a off=0 len=4k seed=21
	tfs_ok relinquish a
	sc_cookie b v "${keys[1]}" size=4k
	tfs_ok state b
	tfs_flag NO_DATA_TO_READ ||
		fail "8-byte key found the 7-byte key's object: $TFS_REPLY"
	tfs_q read b off=0 len=4k hole=fail &&
		fail "8-byte key reads the 7-byte key's data: $TFS_REPLY"
	tfs_ok relinquish b
	# all at once, each with its own data
	for i in "${!keys[@]}"; do
		sc_cookie "z$i" v "${keys[$i]}" size=4k
	done
	for i in "${!keys[@]}"; do
		tfs_ok write "z$i" off=0 len=4k "seed=$((30 + i))"
	done
	for i in "${!keys[@]}"; do
		tfs_ok read "z$i" off=0 len=4k "seed=$((30 + i))" hole=fail
	done
	for i in "${!keys[@]}"; do
		tfs_ok relinquish "z$i"
	done
	for i in "${!keys[@]}"; do
		sc_cookie "z$i" v "${keys[$i]}" size=4k
		tfs_q read "z$i" off=0 len=4k "seed=$((30 + i))" hole=fail ||
			fail "key ${keys[$i]} after relookup: $TFS_REPLY"
	done
	sc_say "7 vs 8 bytes and 1..5 NULs: ${#keys[@]} distinct objects, each its own data"
}

# Keys of 189 bytes (cachefiles' longest safe binary key) and 255 bytes
# with NULs; aux of 0, 1 and 255 bytes.  run_key_max runs the 190..255 part.
sc_key_189() {
	sc_vol v parity,key189
	sc_cookie a v "hex:00$(printf '%0376x' 0)ff" aux=fill:255:a5 size=8k
	tfs_ok write a off=0 len=8k seed=41
	sc_cookie b v fill:189:5a aux=fill:1:01 size=8k
	tfs_ok write b off=0 len=8k seed=42
	sc_cookie n v fill:189:5b size=8k
	tfs_ok write n off=0 len=8k seed=43
	sc_again a v "hex:00$(printf '%0376x' 0)ff" aux=fill:255:a5 size=8k
	tfs_ok read a off=0 len=8k seed=41 hole=fail
	sc_again b v fill:189:5a aux=fill:1:01 size=8k
	tfs_ok read b off=0 len=8k seed=42 hole=fail
	sc_again n v fill:189:5b size=8k
	tfs_ok read n off=0 len=8k seed=43 hole=fail
	sc_again a v "hex:00$(printf '%0376x' 0)ff" aux=fill:255:a6 size=8k
	sc_nodata a		# last aux byte differs
	sc_say "189-byte keys (binary, NULs) with aux 0/1/255 bytes round-trip; aux[254] change misses"
}

sc_key_max() {
	local len
	sc_vol v parity,keymax
	for len in 190 252 253 255; do
		sc_cookie "k$len" v "hex:$(printf '%02x' $((len & 255)))$(printf '%0*x' $((2 * len - 2)) 0)" aux=fill:255:c3 size=8k
		tfs_ok write "k$len" off=0 len=8k "seed=$len"
	done
	tfs_ok cookie_acquire over vol=v key=fill:256:41
	tfs_expect null 1
	tfs_ok cookie_acquire overaux vol=v key=x aux=fill:256:41
	tfs_expect null 1
	for len in 190 252 253 255; do
		sc_again "k$len" v "hex:$(printf '%02x' $((len & 255)))$(printf '%0*x' $((2 * len - 2)) 0)" aux=fill:255:c3 size=8k
		tfs_ok read "k$len" off=0 len=8k "seed=$len" hole=fail
	done
	sc_say "binary keys of 190, 252, 253, 255 bytes with 255-byte aux round-trip; 256 gives a NULL cookie"
}

# sc_vol_roundtrip KEY: a cookie in a volume with this key keeps its data
sc_vol_roundtrip() {
	tfs_ok vol_acquire v "key=$1" coh=fill:255:77
	tfs_expect null 0
	tfs_ok vol_state v
	tfs_expect cache "$SC_TAG"
	tfs_ok cookie_acquire c vol=v key=k size=8k
	tfs_ok use c w
	tfs_ok settle c
	[ "$(tfs_get state)" = ACTIVE ] || sc_declined "volume key $1: cookie not cached ($(tfs_get state))"
	tfs_ok write c off=0 len=8k seed=51
	tfs_ok relinquish c
	tfs_ok vol_relinquish v
	sc_vol_gone "$2"
	tfs_ok vol_acquire v "key=$1" coh=fill:255:77
	sc_cookie c v k size=8k
	tfs_ok read c off=0 len=8k seed=51 hole=fail
	tfs_ok relinquish c
	tfs_ok vol_relinquish v
	sc_vol_gone "$2"
}

# Volume keys: 254 printable bytes, odd printable characters, and the
# coherency data (255 bytes) kept; a changed coherency drops the volume's
# data; a 256-byte key is refused (ENOMEM, fscache).
sc_vol_key_edge() {
	local long odd
	long="pv$(printf 'a%.0s' $(seq 252))"
	sc_vol_roundtrip "$long" "$long"
	# space, quotes, backslash, %, =, :, ~, comma, |, *, ?, <, >
	odd='par ity"'"'"'\%=:~,|*?<>#!$&{}[]'
	sc_vol_roundtrip "hex:$(printf '%s' "$odd" | od -An -tx1 | tr -d ' \n')" 'par ity'
	tfs_err ENOMEM vol_acquire w "key=pv$(printf 'b%.0s' $(seq 254))"
	sc_say "254-byte and odd-character volume keys keep data; a 256-byte key gets ENOMEM"
}

# The volume's coherency data changes: its old data is not served, and
# the volume is cached again from empty.
sc_vol_coh_change() {
	sc_vol v parity,coh coh=hex:01
	sc_cookie c v k size=8k
	tfs_ok write c off=0 len=8k seed=52
	tfs_ok relinquish c
	tfs_ok vol_relinquish v
	sc_vol_gone parity,coh
	sc_vol v parity,coh coh=hex:02
	tfs_ok cookie_acquire c vol=v key=k size=8k
	tfs_ok use c w
	tfs_ok settle c
	tfs_q read c off=0 len=8k seed=52 hole=fail &&
		fail "data read back after the volume coherency changed: $TFS_REPLY"
	local first
	first=$(tfs_errno)
	tfs_ok state c
	[ "$(tfs_get state)" = ACTIVE ] ||
		fail "volume not cached after its coherency changed (read: $first): $TFS_REPLY"
	sc_nodata c
	tfs_ok write c off=0 len=8k seed=53
	sc_again c v k size=8k
	tfs_ok read c off=0 len=8k seed=53 hole=fail
	sc_say "old data not served ($first); the volume caches again with the new coherency"
}

# A 255-byte volume key (fscache's maximum).
sc_vol_key_max() {
	local k
	k="pm$(printf 'c%.0s' $(seq 253))"
	sc_vol_roundtrip "$k" "$k"
	sc_say "255-byte volume key keeps data"
}

# A '/' in the volume key (fscache does not check it).
sc_vol_key_slash() {
	sc_vol_roundtrip "parity/slash,a/b" "parity/slash"
	sc_say "volume key with '/' keeps data"
}

# Control characters and bytes over 0x7e in the volume key.
sc_vol_key_binary() {
	sc_vol_roundtrip "hex:7061726974790109ff7f80" "parity"
	sc_say "volume key with 0x01, tab, 0x7f..0xff keeps data"
}

# The 64 pages of a 256 KiB granule written one by one out of order; read
# back page by page and as a whole, before and after a relookup.
sc_granule_ooo() {
	local i p
	sc_vol v parity,granule
	sc_cookie g v granule size=512k
	TFS_VERBOSE=0
	for i in $(seq 0 63); do
		p=$(((i * 37 + 5) % 64))
		tfs_ok write g "off=$((p * 4096))" len=4k seed=61
		if [ "$i" = 31 ]; then
			# half written: a written page reads, an unwritten one misses
			tfs_ok read g "off=$((p * 4096))" len=4k seed=61 hole=fail
			tfs_err ENODATA read g "off=$((((32 * 37 + 5) % 64) * 4096))" len=4k seed=61 hole=fail
			tfs_ok read g off=0 len=256k seed=61 hole=clear expect=mixed
			tfs_expect data $((32 * 4096))
		fi
	done
	for p in $(seq 0 63); do
		tfs_ok read g "off=$((p * 4096))" len=4k seed=61 hole=fail
	done
	TFS_VERBOSE=1
	tfs_ok read g off=0 len=256k seed=61 hole=fail
	tfs_ok read g off=0 len=256k seed=61 hole=fail async
	tfs_err ENODATA read g off=256k len=4k seed=61 hole=fail	# next granule
	tfs_ok page_release g
	tfs_ok prepare_read g off=0 len=512k
	tfs_expect source READ_FROM_CACHE
	tfs_expect len 262144
	sc_again g v granule size=512k
	tfs_ok read g off=0 len=256k seed=61 hole=fail
	TFS_VERBOSE=0
	for p in 63 0 17 40; do
		tfs_ok read g "off=$((p * 4096))" len=4k seed=61 hole=fail
	done
	TFS_VERBOSE=1
	sc_say "64 pages out of order: half-full granule reads as data+zeros with hole=clear; full one page-wise, whole, after relookup"
}

# hole=fail on a range that starts with data but has a hole further on
# must fail: the caller would take the hole for data.
sc_hole_fail_partial() {
	sc_vol v parity,holes
	sc_cookie h v holes size=256k
	tfs_ok write h off=0 len=64k seed=62
	tfs_ok write h off=128k len=64k seed=62
	tfs_err ENODATA read h off=0 len=256k seed=62 hole=fail
	tfs_err ENODATA read h off=0 len=128k seed=62 hole=fail
	tfs_err ENODATA read h off=64k len=128k seed=62 hole=fail
	tfs_ok read h off=0 len=192k seed=62 hole=clear expect=mixed
	tfs_expect data $((128 * 1024))
	tfs_expect zero $((64 * 1024))
	sc_say "reads over data then a hole, or a hole then data, fail with ENODATA; hole=clear zeros the hole"
}

# A write past the netfs size, then the size updated.
sc_write_past_eof() {
	sc_vol v parity,eof
	sc_cookie e v eof size=16k
	tfs_ok write e off=0 len=16k seed=71
	tfs_ok write e off=64k len=8k seed=71
	tfs_ok read e off=64k len=8k seed=71 hole=fail
	tfs_err ENODATA read e off=16k len=4k seed=71 hole=fail
	tfs_ok read e off=16k len=48k hole=clear expect=zero
	tfs_ok update e size=72k
	sc_again e v eof size=72k
	tfs_ok read e off=0 len=16k seed=71 hole=fail
	tfs_ok read e off=64k len=8k seed=71 hole=fail
	tfs_err ENODATA read e off=32k len=4k seed=71 hole=fail
	sc_say "8 KiB written at 64 KiB of a 16 KiB object reads back, before and after relookup; gap misses"
}

# sc_tail COOKIE OFF DATA: the page at OFF must hold DATA bytes of the
# pattern then zeros, or be absent; never old bytes.  SC_TAIL: kept,
# ENODATA or OLD(...); OLD is a failure the caller reports.
sc_tail() {
	if tfs_q read "$1" "off=$2" len=4k seed=81 hole=fail expect=none; then
		if [ "$(tfs_get data)" = "$3" ] && [ "$(tfs_get zero)" = $((4096 - $3)) ]; then
			SC_TAIL=kept
		else
			SC_TAIL="OLD(data=$(tfs_get data),zero=$(tfs_get zero),bad=$(tfs_get bad))"
		fi
	else
		[ "$(tfs_errno)" = ENODATA ] || fail "page at $2: $TFS_REPLY"
		SC_TAIL=ENODATA
	fi
}

# Shrink (to a page boundary, and inside a page), then grow: bytes past
# the small size never come back.
sc_resize_down_up() {
	local t1 t2 t3
	sc_vol v parity,resize
	sc_cookie r v resize size=320k
	tfs_ok write r off=0 len=320k seed=81
	tfs_ok resize r 18432		# 16 KiB + 2 KiB
	tfs_ok read r off=0 len=16k seed=81 hole=fail
	sc_tail r 16k 2048
	t1=$SC_TAIL
	tfs_err ENODATA read r off=20k len=4k seed=81 hole=fail
	tfs_ok resize r 320k
	sc_tail r 16k 2048
	t2=$SC_TAIL
	tfs_err ENODATA read r off=20k len=4k hole=fail
	tfs_err ENODATA read r off=256k len=4k hole=fail
	tfs_ok read r off=20k len=300k hole=clear expect=zero
	tfs_ok update r size=320k
	sc_again r v resize size=320k
	tfs_ok read r off=0 len=16k seed=81 hole=fail
	sc_tail r 16k 2048
	t3=$SC_TAIL
	[[ "$t1 $t2 $t3" != *OLD* ]] ||
		fail "bytes past an 18 KiB shrink read back: tail page after shrink $t1, after grow $t2, after relookup $t3 (want 2048 data bytes then zeros, or ENODATA)"
	tfs_ok read r off=20k len=300k hole=clear expect=zero
	# a page-aligned shrink across the granule boundary and back
	tfs_ok write r off=0 len=320k seed=81
	tfs_ok resize r 256k
	tfs_ok resize r 320k
	tfs_ok read r off=0 len=256k seed=81 hole=fail
	tfs_err ENODATA read r off=256k len=4k hole=fail
	sc_say "shrink to 18 KiB then grow: tail page $t1/$t2 (zeros past 18 KiB), the rest misses; 256 KiB shrink too"
}

# Invalidation with writes and reads in flight, and on operations begun
# before it: no old data afterwards, no wrong data ever.
sc_inval_inflight() {
	local i rs=() ws=()
	sc_vol v parity,inval
	sc_cookie c v inval aux=hex:00000001 size=1m
	for i in 1 2 3; do
		tfs_ok write c off=0 len=1m "seed=$((90 + i))"
		tfs_ok read c off=0 len=1m "seed=$((90 + i))" hole=fail nowait id=r$i
		tfs_ok write c off=0 len=1m "seed=$((95 + i))" nowait id=w$i
		tfs_ok invalidate c size=1m "aux=hex:0000000$((i + 1))"
		tfs_q wait "r$i" || true
		case $(tfs_errno) in ok|ESTALE|ENODATA|ENOBUFS) rs+=("$(tfs_errno)") ;;
		*) fail "read across an invalidation: $TFS_REPLY" ;; esac
		tfs_q wait "w$i" || true
		case $(tfs_errno) in ok|ESTALE|ENOBUFS) ws+=("$(tfs_errno)") ;;
		*) fail "write across an invalidation: $TFS_REPLY" ;; esac
		tfs_ok settle c
		tfs_err ENODATA read c off=0 len=4k hole=fail
		tfs_err ENODATA read c off=1020k len=4k hole=fail
	done
	# operations begun before the invalidation
	tfs_ok write c off=0 len=64k seed=99
	tfs_ok op_begin orr c read
	tfs_ok op_begin ow c write
	tfs_ok invalidate c size=1m aux=hex:00000009
	tfs_ok settle c
	# a read finishing after the invalidation must not return data (the
	# contract asks for ESTALE; ENODATA also sends the netfs to the server;
	# on 6.12 so does a transfer of 0 bytes)
	local asyncread syncread
	tfs_q read c op=orr off=0 len=4k seed=99 hole=fail async || true
	asyncread=$(tfs_errno)
	case $asyncread in
	ESTALE|ENODATA) ;;
	ok) [ "$(tfs_get bytes)" = 0 ] ||
		fail "async read on an old operation delivered data: $TFS_REPLY" ;;
	*) fail "async read on an old operation: $TFS_REPLY" ;;
	esac
	tfs_q read c op=orr off=0 len=4k seed=99 hole=fail || true
	syncread=$(tfs_errno)
	case $syncread in ok|ESTALE|ENODATA) ;; *) fail "sync read on an old operation: $TFS_REPLY" ;; esac
	tfs_q write c op=ow off=128k len=64k seed=100 || true
	local oldwrite
	oldwrite=$(tfs_errno)
	tfs_ok op_end orr
	tfs_ok op_end ow
	tfs_err ENODATA read c off=0 len=4k hole=fail
	tfs_err ENODATA read c off=128k len=4k hole=fail
	# the new generation works
	tfs_ok write c off=0 len=1m seed=101
	tfs_ok read c off=0 len=1m seed=101 hole=fail
	sc_again c v inval aux=hex:00000009 size=1m
	tfs_ok read c off=0 len=1m seed=101 hole=fail
	sc_say "reads in flight ${rs[*]}, writes ${ws[*]}; old op: async $asyncread, sync $syncread, write $oldwrite; no old data after"
}

# Relinquish with retire gives the space back; without it does not.
sc_retire_frees() {
	local s0 s1 s2 s3 i used
	sc_vol v parity,retire
	s0=$(sc_space_settled)
	sc_cookie c v retire size=8m
	tfs_ok write c off=0 len=8m seed=111
	tfs_ok relinquish c
	s1=$(sc_space_settled)
	used=$(((s0 - s1) >> 10))
	[ "$used" -ge 7168 ] || fail "8 MiB written, only $used KiB used (free $s0 -> $s1)"
	sc_cookie c v retire size=8m
	tfs_ok read c off=0 len=8m seed=111 hole=fail
	tfs_ok relinquish c retire
	for i in $(seq 50); do
		sync -f "$SC_MNT"
		s2=$(sc_space)
		[ $((s2 - s1)) -ge $((7 << 20)) ] && break
		sleep 0.2
	done
	[ $((s2 - s1)) -ge $((7 << 20)) ] ||
		fail "retire freed only $(((s2 - s1) >> 10)) KiB of $used KiB (free $s1 -> $s2)"
	sc_cookie c v retire size=8m
	sc_nodata c
	s3=$(((s2 - s1) >> 10))
	sc_say "8 MiB object used $used KiB; relinquish kept it; retire freed $s3 KiB within $((i * 200)) ms"
}

# 1,000 cookies used at once from 8 threads.
sc_stress_1000() {
	sc_vol v parity,stress
	tfs_ok stress vol=v threads=8 cookies=1000 ops=2 len=8k
	tfs_expect fail 0
	tfs_expect pass 2000
	tfs_expect nobufs 0
	sc_say "8 threads x 1000 cookies x 2 rounds: pass=2000 in $(tfs_get msecs) ms"
}

# The cache unbound while cookies are in use, an operation is held and I/O
# runs; then bound again: what was committed at the withdrawal is there.
sc_unbind_in_use() {
	local i pid st
	sc_vol v parity,unbind
	sc_cookie c v unbind aux=hex:0a0b size=256k
	tfs_ok write c off=0 len=256k seed=121
	tfs_ok update c aux=hex:0a0b size=256k
	sc_cookie d v unbind-d size=64k
	tfs_ok op_begin o1 d read
	tfs_ok stress vol=v id=s1 threads=4 cookies=64 ops=1000000 len=16k async=1 secs=60 bg
	sleep 1
	sc_unbind &
	pid=$!
	for i in $(seq 100); do
		st=$(sc_cache_state)
		[ "$st" = W ] && break
		sleep 0.1
	done
	[ "$st" = W ] || fail "cache state '$st' 10 s after the unbind, want W (waiting for o1)"
	tfs_err ENOBUFS read c off=0 len=4k seed=121 hole=fail
	tfs_err ENOBUFS write c off=0 len=4k seed=122
	sleep 1
	[ "$(sc_cache_state)" = W ] || fail "withdrawal did not wait for the held operation"
	tfs_ok op_end o1
	wait "$pid" || fail "unbind failed"
	for i in $(seq 300); do
		[ "$(sc_cache_state)" = W ] || break
		sleep 0.1
	done
	[ "$(sc_cache_state)" = W ] && fail "cache still withdrawing 30 s after op_end"
	tfs_ok stop s1
	tfs_ok wait s1 timeout=120000
	tfs_expect fail 0
	[ "$(tfs_get pass)" -gt 0 ] || fail "stress: no pass before the unbind"
	[ "$(tfs_get nobufs)" -gt 0 ] || fail "stress: no ENOBUFS after the unbind"
	local stress=$TFS_REPLY
	tfs_ok invalidate d size=0
	tfs_ok resize d 4k
	tfs_ok relinquish d retire
	tfs_ok relinquish c
	tfs_ok vol_relinquish v
	sc_vol_gone parity,unbind
	sc_rebind
	sc_vol v parity,unbind
	sc_cookie c v unbind aux=hex:0a0b size=256k
	tfs_ok read c off=0 len=256k seed=121 hole=fail
	sc_say "withdrawal waited for the held op; ENOBUFS after; stress $(echo "$stress" | grep -o 'pass=[0-9]* fail=[0-9]*' ) ; data written before survived"
}

# Data survives a clean unbind and bind: same keys and aux read back.
sc_survive_rebind() {
	sc_vol v parity,rebind coh=hex:c0c0
	sc_cookie a v rebind-a aux=fill:255:aa size=512k
	tfs_ok write a off=0 len=512k seed=131
	sc_cookie b v hex:00000000000000 aux=hex:01 size=4k
	tfs_ok write b off=0 len=4k seed=132
	sc_cookie s v rebind-s size=1m
	tfs_ok write s off=256k len=4k seed=133
	tfs_ok write s off=1020k len=4k seed=133
	tfs_ok reset
	sc_vol_gone parity,rebind
	sc_unbind
	sc_rebind
	sc_vol v parity,rebind coh=hex:c0c0
	sc_cookie a v rebind-a aux=fill:255:aa size=512k
	tfs_ok read a off=0 len=512k seed=131 hole=fail
	sc_cookie b v hex:00000000000000 aux=hex:01 size=4k
	tfs_ok read b off=0 len=4k seed=132 hole=fail
	sc_cookie s v rebind-s size=1m
	tfs_ok read s off=256k len=4k seed=133 hole=fail
	tfs_ok read s off=1020k len=4k seed=133 hole=fail
	tfs_err ENODATA read s off=0 len=4k hole=fail
	sc_again a v rebind-a aux=fill:255:ab size=512k
	sc_nodata a
	sc_say "512 KiB, 4 KiB and sparse objects read back after unbind and bind"
}
