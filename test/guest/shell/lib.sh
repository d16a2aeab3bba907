# shellcheck shell=sh
# Helpers for the shell scenarios (test/guest/driver.ts runs each function
# scenario_NAME, or a cycle's hook, from the repository, with $scratch, the
# scenario's own empty directory, and for hooks $name, $img, $out and $pid of
# the cycle): results in the "RESULT name PASS|FAIL detail" form, and waits.
# shellcheck disable=SC2034 # used by the files that source this one
repo=$(pwd)
cptctl=$repo/bin/cptctl
workloads=$repo/test/workloads/build
# The cpt.ko vm/run loaded, to load again after an rmmod (the debug kernel's is another).
cpt_ko=${CPT_GUEST_MODULE:-$repo/kmod/cpt.ko}
scratch=${scratch:?the driver gives each scenario its directory}
name=${name:-} img=${img:-} out=${out:-} pid=${pid:-}

result() { echo "RESULT $1 $2 $3"; }
# pass_if CHECK DETAIL CMD...: CMD is one command; a compound condition goes
# through eval 'A && B' (unquoted, `pass_if ... A && B` would assert A only).
pass_if() {
	check=$1 detail=$2
	shift 2
	if "$@"; then result "$check" PASS "$detail"; else result "$check" FAIL "$detail"; fi
}

# Polls CMD... every 0.1 s until it succeeds, for up to 30 s (times
# CPT_GUEST_TIME_SCALE, which vm/run --debug-kernel sets).
wait_until() {
	i=0
	until "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((300 * ${CPT_GUEST_TIME_SCALE:-1})) ] && return 1
		sleep 0.1
	done
}

wait_for_line() { wait_until grep -q "$2" "$1"; }	# a line matching $2 in file $1
wait_for_pid_gone() { wait_until test ! -d "/proc/$1"; }	# killed and reaped
wait_for_pid() { wait_until test -d "/proc/$1"; }	# a restart recreated it

# start_workload NAME CMD...: starts CMD with its output in $scratch/NAME.out
# and its pid in $pid, and waits for its READY line. Orphaned at once, so that
# init reaps it when killed: a zombie would keep its pid from the restart.
start_workload() {
	out=$scratch/$1.out
	shift
	pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$@")
	wait_for_line "$out" READY
}
