#!/bin/bash
# run-all.sh - run every cachestore test and end with "N passed, N failed".
#
#   unit   every program in $BUILD/tests/unit (each prints its own summary)
#   fuzz   `make -C tests/fuzz smoke` (short libFuzzer runs), when present
#   tools  tests/tools/*.sh on the host (userspace tools on image files)
#   lint   scripts/lint.sh (checkpatch --strict, W=1, sparse) on kernel code
#   vm     tests/vm/tests/*.sh, each in a fresh VM booting the target kernel;
#          with KERNELS="6.1 6.12" (releases or series, see scripts/kver.sh)
#          the VM tests run once per kernel, else on $KVER, else on the
#          default kernel.  Every VM line names its kernel; results are in
#          $BUILD/vm/KVER/NAME.  The modules must be built for each kernel
#          (make KERNELS=...).  QUICK_KERNELS="6.12" adds every VM test on
#          those kernels with CS_QUICK=1 in the VM: the tests at real
#          geometry (cachestore_geometry, cachestore_granules) run smaller
#          there (`make check` does).  SMOKE_KERNELS="6.12" SMOKE_TESTS="a b"
#          adds the VM tests named a and b on those kernels.
#
# usage: run-all.sh [--only "SUBSTRING..."] [--skip-vm]
# A VM test declares what it needs in a "# vm:" line: disks=NAME:SIZE[/LBS],...
# shares=TAG,... timeout=SEC boots=N mem=MB expect=WHAT (run-vm.sh --expect-fail)
# host=FILE (run-vm.sh --host-prep: a script beside the test, run on the host
# before booting) smp=N (vCPUs; default 1 when VM tests run side by side,
# VM_JOBS > 1, else 2: see VM_JOBS below).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
BUILD=${BUILD:-$repo/build}
only="" skip_vm=0
while [ $# -gt 0 ]; do
	case $1 in
	--only) only=$2; shift 2 ;;
	--skip-vm) skip_vm=1; shift ;;
	*) echo "usage: run-all.sh [--only SUBSTRING] [--skip-vm]" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 failures=()
t0=$(date +%s)
# --only takes one or more space-separated substrings; any one selects
selected() {
	local w
	[ -z "$only" ] && return 0
	for w in $only; do [[ $1 == *"$w"* ]] && return 0; done
	return 1
}

# record NAME RC SECONDS [KERNEL]
record() {
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		printf 'ok   %-40s %4ss%s\n' "$1" "$3" "${4:+  [$4]}"
	else
		failed=$((failed + 1))
		failures+=("$1${4:+ [$4]}")
		printf 'FAIL %-40s %4ss (exit %s)%s\n' "$1" "$3" "$2" "${4:+  [$4]}"
	fi
}

# run_counted NAME CMD...: a component that prints its own "N passed, N failed"
run_counted() {
	local name=$1 log rc s p f
	shift
	log=$(mktemp)
	s=$(date +%s)
	"$@" > "$log" 2>&1
	rc=$?
	read -r p f < <(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 |
		sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/')
	if [ -z "${p:-}" ]; then
		record "$name" "$([ $rc -eq 0 ] && echo 1 || echo $rc)" $(($(date +%s) - s))
		[ $rc -eq 0 ] && { passed=$((passed - 1)); failed=$((failed + 1)); failures+=("$name (no summary)"); }
		sed 's/^/    /' "$log" | tail -n 30
	else
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
			[ "$f" -gt 0 ] || { failed=$((failed + 1)); }
			failures+=("$name")
			grep -E '^(FAIL|    )' "$log" | head -n 40
			[ $rc -eq 0 ] || sed 's/^/    /' "$log" | tail -n 15
		fi
		printf '%-4s %-40s %4ss (%s passed, %s failed)\n' \
			"$([ "$f" -eq 0 ] && [ $rc -eq 0 ] && echo ok || echo FAIL)" "$name" \
			$(($(date +%s) - s)) "$p" "$f"
	fi
	rm -f "$log"
}

# The host stages: each a job that prints its own block (header, then a
# line per component) and keeps its own counts; they run in the same
# VM_JOBS slots as the VM tests, before them, longest first.  Each is one
# single-threaded process at a time (the kernel build of lint is make -j1),
# so two side by side take half the wall time of one after the other.
stage_unit() {
	echo "== unit"
	for t in "$BUILD"/tests/unit/*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		selected "unit/${t##*/}" || continue
		run_counted "unit/${t##*/}" "$t"
	done
}

stage_fuzz() {
	echo "== fuzz (smoke)"
	run_counted fuzz/smoke make --no-print-directory -C tests/fuzz smoke
}

stage_tools() {
	echo "== tools"
	for t in tests/tools/*.sh; do
		[ -f "$t" ] || continue
		selected "$t" || continue
		run_counted "${t#tests/}" bash "$t"
	done
}

stage_lint() { # KVER
	echo "== lint (kernel $1)"
	KVER=$1 run_counted "lint [$1]" scripts/lint.sh
}

host_jobs=()	# "NAME<TAB>FUNCTION ARGS", in the order they start
# lint: on every kernel the VM stage boots (the checkpatch, W=1 and sparse
# of each: their rules differ between releases)
if [ -x scripts/lint.sh ] && selected lint; then
	# shellcheck disable=SC2086
	lint_kernels=$({ scripts/kver.sh ${KERNELS:-${KVER:-}}
		[ -z "${QUICK_KERNELS:-}${SMOKE_KERNELS:-}" ] ||
			scripts/kver.sh ${QUICK_KERNELS:-} ${SMOKE_KERNELS:-}; } | awk '!seen[$0]++')
	for k in $lint_kernels; do
		host_jobs+=("lint-$k"$'\t'"stage_lint $k")
	done
fi
if [ -f tests/fuzz/Makefile ] && selected fuzz; then
	host_jobs+=("fuzz"$'\t'"stage_fuzz")
fi
host_jobs+=("unit"$'\t'"stage_unit" "tools"$'\t'"stage_tools")

# The VM tests run VM_JOBS at a time (default 2).  Under TCG a VM with two
# vCPUs keeps about 1.15 host cores busy, and two such VMs side by side
# take as long as one after the other (each also gets slower); two VMs with
# one vCPU each run nearly as fast as one alone (measured, six 6.1 tests:
# 240 s one by one with two vCPUs, 142 s side by side with one each).  So
# with VM_JOBS > 1 a VM gets one vCPU unless its test asks for more with
# smp=N (the tests whose subject is concurrency in the kernel do);
# VM_JOBS=1 runs one at a time, every VM with two vCPUs, as before.
# Running the busiest tests alone with two vCPUs was tried and measured:
# each finished sooner (smallfiles 123 s against 260 s in a lane, sysfs 115
# against 184, sync_churn 90 against 155; granules and powercut no sooner),
# but the suite as a whole took longer: a test in a lane shares the wall
# time with another, so going alone pays only past a 2x slowdown.
VM_JOBS=${VM_JOBS:-2}
vm_queue=()	# "TIMEOUT<TAB>KVER<TAB>QUICK<TAB>TEST" lines, started longest first
# vm_suite KVER [NAMES [QUICK]]: queue every selected VM test (or, with
# NAMES, those of them whose names NAMES lists), each to run in a fresh VM
# booting KVER; QUICK=1: with CS_QUICK=1 (smaller real-geometry tests)
vm_suite() {
	local kver=$1 names=${2:-} quick=${3:-0} t name tmo
	for t in tests/vm/tests/*.sh; do
		selected "$t" || continue
		if [ -n "$names" ]; then
			name=${t##*/}
			[[ " $names " == *" ${name%.sh} "* ]] || continue
		fi
		tmo=$(sed -n 's/^# vm: *//p' "$t" | head -n 1 | grep -o 'timeout=[0-9]*' | cut -d= -f2)
		vm_queue+=("${tmo:-600}"$'\t'"$kver"$'\t'"$quick"$'\t'"$t")
	done
}

# vm_start KVER QUICK TEST: start TEST in the background; its status and
# time land in OUT/.result
vm_start() {
	local kver=$1 quick=$2 t=$3 name args directives d ds x out smp
	name=${t#tests/vm/tests/}
	name=${name%.sh}
	args=()
	smp=$([ "$VM_JOBS" -gt 1 ] && echo 1 || echo 2)
	directives=$(sed -n 's/^# vm: *//p' "$t" | head -n 1)
	for d in $directives; do
		case $d in
		disks=*) IFS=, read -ra ds <<< "${d#disks=}"
			 for x in "${ds[@]}"; do args+=(--disk "${x/:/=}"); done ;;
		shares=*) IFS=, read -ra ds <<< "${d#shares=}"
			  for x in "${ds[@]}"; do args+=(--share "$x"); done ;;
		timeout=*) args+=(--timeout "${d#timeout=}") ;;
		boots=*) args+=(--boots "${d#boots=}") ;;
		mem=*) args+=(--mem "${d#mem=}") ;;
		smp=*) smp=${d#smp=} ;;
		bootdeadline=*) args+=(--boot-deadline "${d#bootdeadline=}") ;;
		expect=*) args+=(--expect-fail "${d#expect=}") ;;
		host=*) args+=(--host-prep "${d#host=}") ;;
		*) echo "run-all.sh: $t: unknown directive $d" >&2 ;;
		esac
	done
	out="$BUILD/vm/$kver/$name"
	rm -rf "$out"; mkdir -p "$out"
	(
		s=$(date +%s)
		CS_QUICK=$quick KVER=$kver BUILD=$BUILD tests/vm/run-vm.sh --out "$out" --smp "$smp" \
			${args[@]+"${args[@]}"} "$t" > "$out/harness.log" 2>&1
		echo "$? $(($(date +%s) - s))" > "$out/.result.new"
		mv "$out/.result.new" "$out/.result"
	) &
	vm_running+=("$kver $name $out")
}

# host_start NAME FUNCTION [ARGS]: run a host stage in the background, its
# output and counts in a scratch directory until vm_reap prints them (the
# subshell's counters are its own on purpose: vm_reap adds them up)
# shellcheck disable=SC2030
host_start() {
	local name=$1 out
	shift
	out=$(mktemp -d)
	(
		passed=0 failed=0 failures=()
		"$@" > "$out/log" 2>&1
		printf '%s\n' ${failures[@]+"${failures[@]}"} > "$out/failures"
		echo "$passed $failed" > "$out/.result.new"
		mv "$out/.result.new" "$out/.result"
	) &
	vm_running+=("host $name $out")
}

# vm_reap: record every started test or host stage that has finished
# shellcheck disable=SC2031
vm_reap() {
	local e kver name out rc secs reason left=() p f x
	for e in ${vm_running[@]+"${vm_running[@]}"}; do
		read -r kver name out <<< "$e"
		if [ ! -f "$out/.result" ]; then
			left+=("$e")
			continue
		fi
		if [ "$kver" = host ]; then
			read -r p f < "$out/.result"
			passed=$((passed + p))
			failed=$((failed + f))
			while IFS= read -r x; do
				[ -z "$x" ] || failures+=("$x")
			done < "$out/failures"
			cat "$out/log"
			rm -rf "$out"
			continue
		fi
		read -r rc secs < "$out/.result"
		rm -f "$out/.result"
		record "vm/$name" "$rc" "$secs" "$kver"
		if [ "$rc" -ne 0 ]; then
			# the reason first, and lines cut short: CI shows only part
			# of a long output, and a reply can be 600 characters
			reason=$(grep -h -m 3 -E '^(FAIL|.*run-vm\.sh: )' "$out/test.log" "$out/harness.log" 2>/dev/null |
				cut -c1-300)
			failures[${#failures[@]}-1]+=" (${reason%%$'\n'*})"
			printf '%s\n' "$reason" | sed 's/^/    reason: /'
			cut -c1-300 "$out/harness.log" | sed 's/^/    | /'
			echo "    test log ($out/test.log):"
			tail -n 25 "$out/test.log" 2>/dev/null | cut -c1-240 | sed 's/^/    | /'
			echo "    console ($out/console.log):"
			tail -n 25 "$out/console.log" 2>/dev/null | cut -c1-240 | sed 's/^/    | /'
		fi
		rm -f "$out"/*.img
	done
	vm_running=(${left[@]+"${left[@]}"})
}

# vm_slot: wait until fewer than VM_JOBS jobs run
vm_slot() {
	while [ ${#vm_running[@]} -ge "$VM_JOBS" ]; do
		wait -n 2>/dev/null || sleep 1
		vm_reap
	done
}

# vm_run_queue: the host stages, then every queued test, VM_JOBS at a time,
# the longest timeouts first (the long tests do not end up last, alone)
vm_run_queue() {
	local tmo kver quick t name fn
	vm_running=()
	for t in ${host_jobs[@]+"${host_jobs[@]}"}; do
		IFS=$'\t' read -r name fn <<< "$t"
		vm_slot
		# shellcheck disable=SC2086
		host_start "$name" $fn
	done
	if [ ${#vm_queue[@]} -gt 0 ]; then
		vm_slot
		echo "== vm: ${#vm_queue[@]} tests, $VM_JOBS at a time, in the slots the host stages leave"
	fi
	while IFS=$'\t' read -r tmo kver quick t; do
		[ -n "$t" ] || continue
		vm_slot
		vm_start "$kver" "$quick" "$t"
	done < <([ ${#vm_queue[@]} -eq 0 ] ||
		printf '%s\n' "${vm_queue[@]}" | sort -t$'\t' -k1,1nr -k2,2 -k4,4)
	while [ ${#vm_running[@]} -gt 0 ]; do
		wait -n 2>/dev/null || sleep 1
		vm_reap
	done
}

if [ $skip_vm = 0 ]; then
	# shellcheck disable=SC2086
	kernels=$("$repo/scripts/kver.sh" ${KERNELS:-${KVER:-}}) || {
		echo "run-all.sh: cannot resolve the kernels '${KERNELS:-${KVER:-default}}'" >&2
		exit 2
	}
	for kver in $kernels; do
		vm_suite "$kver"
	done
	# QUICK_KERNELS: further kernels, every VM test at quick sizes
	if [ -n "${QUICK_KERNELS:-}" ]; then
		# shellcheck disable=SC2086
		quick=$("$repo/scripts/kver.sh" $QUICK_KERNELS) || {
			echo "run-all.sh: cannot resolve the kernels '$QUICK_KERNELS'" >&2
			exit 2
		}
		for kver in $quick; do
			vm_suite "$kver" "" 1
		done
	fi
	# SMOKE_KERNELS: further kernels, on which only the VM tests that
	# SMOKE_TESTS names run (and of those, what --only selects)
	if [ -n "${SMOKE_KERNELS:-}" ] && [ -n "${SMOKE_TESTS:-}" ]; then
		# shellcheck disable=SC2086
		smoke=$("$repo/scripts/kver.sh" $SMOKE_KERNELS) || {
			echo "run-all.sh: cannot resolve the kernels '$SMOKE_KERNELS'" >&2
			exit 2
		}
		for kver in $smoke; do
			vm_suite "$kver" "$SMOKE_TESTS"
		done
	fi
fi
vm_run_queue

echo
echo "total time $(($(date +%s) - t0)) s"
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
