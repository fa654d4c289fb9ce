# shellcheck shell=bash
# tfs.sh - drive the test_fscache module (fs/fscache/test_fscache.c) from bash.
# Protocol: Documentation/filesystems/caching/test_fscache.rst.
#
#   . tests/lib/tfs.sh
#   tfs_load                         # insmod the module, open the control file
#   tfs_ok vol_acquire v1 key=test,v1
#   tfs_ok cookie_acquire c1 vol=v1 key=hex:0102 size=8192
#   tfs_ok use c1 w
#   tfs_ok write c1 off=0 len=8192 seed=7
#   tfs_ok read c1 off=0 len=8192 seed=7 hole=fail
#   tfs_get data                     # a field of the last reply: 8192
#   tfs_err ENODATA read c1 off=1M len=4096 hole=fail
#   tfs_flag HAVE_DATA               # after "state c1": flags include it?
#   tfs_unload                       # reset, rmmod
#
# Every command is sent on one open file ($TFS_FD) and its one-line reply is
# left in $TFS_REPLY and logged when TFS_VERBOSE=1 (default).  The assertion
# helpers call fail() from tests/vm/lib.sh when it is defined, else exit 1.

TFS_CTL=${TFS_CTL:-/sys/kernel/debug/test_fscache/ctl}
# the module built for the running kernel: build/KVER/fs/fscache (make KVER=...)
TFS_KO=${TFS_KO:-${CS_KOBJ:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/$(uname -r)}/fs/fscache/test_fscache.ko}
TFS_VERBOSE=${TFS_VERBOSE:-1}
TFS_REPLY=""
TFS_FD=""

tfs_fail() {
	if declare -F fail >/dev/null; then
		fail "$*"
	fi
	echo "FAIL: $*" >&2
	exit 1
}

# tfs_open: open the control file on $TFS_FD (done by tfs_load)
tfs_open() {
	[ -n "$TFS_FD" ] && return 0
	[ -e "$TFS_CTL" ] || tfs_fail "no $TFS_CTL (module not loaded, debugfs not mounted?)"
	exec {TFS_FD}<>"$TFS_CTL" || tfs_fail "cannot open $TFS_CTL"
}

tfs_close() {
	[ -n "$TFS_FD" ] && exec {TFS_FD}>&-
	TFS_FD=""
}

# tfs_load: mount debugfs if needed, load fscache and the module, open ctl
tfs_load() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
	if ! grep -q '^test_fscache ' /proc/modules; then
		[ -f "$TFS_KO" ] || tfs_fail "no $TFS_KO: build it with make KVER=$(uname -r)"
		# what it links against: fscache on 6.1, netfs on 6.12 (fscache
		# is part of netfs.ko there)
		local d
		for d in $(modinfo -F depends "$TFS_KO" | tr , ' '); do
			modprobe "$d" || tfs_fail "modprobe $d (needed by test_fscache)"
		done
		insmod "$TFS_KO" || tfs_fail "insmod $TFS_KO"
	fi
	tfs_open
}

# tfs_unload: release everything the module holds and remove it
tfs_unload() {
	if [ -n "$TFS_FD" ]; then
		tfs reset >/dev/null || true
		tfs_close
	fi
	rmmod test_fscache || tfs_fail "rmmod test_fscache"
}

# tfs CMD...: send one command; the reply goes to $TFS_REPLY and stdout
# unless called as tfs_q.  Returns 0 for "ok", 1 for "err".
tfs_q() {
	tfs_open
	printf '%s\n' "$*" >&"$TFS_FD" || tfs_fail "write to $TFS_CTL failed: $*"
	IFS= read -r TFS_REPLY <&"$TFS_FD" || tfs_fail "no reply to: $*"
	[ "$TFS_VERBOSE" = 1 ] && echo "tfs> $* => $TFS_REPLY" >&2
	[[ $TFS_REPLY == ok* ]]
}

tfs() {
	local rc=0
	tfs_q "$@" || rc=$?
	echo "$TFS_REPLY"
	return $rc
}

# tfs_ok CMD...: the command must succeed
tfs_ok() {
	tfs_q "$@" || tfs_fail "expected ok: $* => $TFS_REPLY"
}

# tfs_err ERR CMD...: the command must fail with ERR (a name such as
# ENODATA, or a number such as -61)
tfs_err() {
	local want=$1
	shift
	tfs_q "$@" && tfs_fail "expected err $want: $* => $TFS_REPLY"
	local num name
	read -r _ num name _ <<<"$TFS_REPLY"
	[ "$want" = "$num" ] || [ "$want" = "$name" ] ||
		tfs_fail "expected err $want: $* => $TFS_REPLY"
}

# tfs_errno: the errno name of the last reply ("ok" if it succeeded)
tfs_errno() {
	local w1 num name
	read -r w1 num name _ <<<"$TFS_REPLY"
	if [ "$w1" = ok ]; then echo ok; else echo "$name"; fi
}

# tfs_get KEY: the value of KEY=... in the last reply (empty if absent)
tfs_get() {
	local w
	for w in $TFS_REPLY; do
		case $w in "$1="*) echo "${w#*=}"; return 0 ;; esac
	done
	echo ""
}

# tfs_expect KEY VALUE: the last reply must have KEY=VALUE
tfs_expect() {
	local got
	got=$(tfs_get "$1")
	[ "$got" = "$2" ] || tfs_fail "expected $1=$2, got '$got' in: $TFS_REPLY"
}

# tfs_flag FLAG: does the last reply's flags= list contain FLAG?
tfs_flag() {
	[[ ,$(tfs_get flags), == *",$1,"* ]]
}

# tfs_expect_flag [!]FLAG...: each FLAG must be set (or, with !, clear)
tfs_expect_flag() {
	local f
	for f in "$@"; do
		if [ "${f#!}" != "$f" ]; then
			tfs_flag "${f#!}" && tfs_fail "flag ${f#!} set: $TFS_REPLY"
		else
			tfs_flag "$f" || tfs_fail "flag $f clear: $TFS_REPLY"
		fi
	done
	return 0
}

# tfs_state COOKIE: print the cookie's state name
tfs_state() {
	tfs_q state "$1" >/dev/null || tfs_fail "state $1 => $TFS_REPLY"
	tfs_get state
}
