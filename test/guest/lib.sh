# shellcheck shell=sh
# Helpers for guest test scripts: results in the "RESULT name PASS|FAIL detail"
# form the ava tests read, and the checkpoint -> kill -> restart cycle.
repo=$(cd "$(dirname "$0")/../.." && pwd)
cptctl=$repo/bin/cptctl
workloads=$repo/test/workloads/build
scratch=$(mktemp -d /tmp/cpt-test.XXXXXX)

result() { echo "RESULT $1 $2 $3"; }
pass_if() {
	local check=$1 detail=$2
	shift 2
	if "$@"; then result "$check" PASS "$detail"; else result "$check" FAIL "$detail"; fi
}

# Polls CMD... every 0.1 s until it succeeds, for up to 30 s.
wait_until() {
	i=0
	until "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && return 1
		sleep 0.1
	done
}

wait_for_line() { wait_until grep -q "$2" "$1"; }	# a line matching $2 in file $1
wait_for_pid_gone() { wait_until test ! -d "/proc/$1"; }	# killed and reaped
wait_for_pid() { wait_until test -d "/proc/$1"; }	# a restart recreated it

# cr_cycle NAME WORKLOAD [ARGS...]: starts the workload with its output in
# $scratch/NAME.out, waits for its READY, checkpoints it with --kill, and
# restarts it, waiting for its exit. Once the restarted pid exists, CR_POKE is
# run (default: create $scratch/NAME.go, which workloads wait for). The exit
# status must be CR_STATUS (default 0). CR_TWICE=1 restarts the same image a
# second time; CR_BETWEEN is run between checkpoint and restart; CR_PIPE=1 pipes checkpoint -o - into restart -. The RESULT
# lines the workload printed come out prefixed with NAME.
cr_cycle() {
	name=$1
	shift
	out=$scratch/$name.out
	img=$scratch/$name.img
	# Orphaned at once, so that init reaps it when killed: a zombie would
	# keep its pid from the restart.
	pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$@")
	if ! wait_for_line "$out" READY; then
		result "$name.ready" FAIL "the workload never got ready: $(tail -n 3 "$out" | tr '\n' ' ')"
		kill -9 $pid 2>/dev/null
		return
	fi
	if [ "${CR_PIPE:-0}" = 1 ]; then
		cr_restart_piped
	else
		cr_checkpoint && cr_between && cr_restart && [ "${CR_TWICE:-0}" = 1 ] && cr_restart again
	fi
	sed -n "s/^RESULT /RESULT $name./p" "$out"
}

cr_checkpoint() {
	if ! "$cptctl" checkpoint "$pid" -o "$img" --kill 2>"$scratch/$name.ckpt.err"; then
		result "$name.checkpoint" FAIL "$(tr '\n' ' ' <"$scratch/$name.ckpt.err")"
		kill -9 $pid 2>/dev/null
		return 1
	fi
	wait_for_pid_gone "$pid"
	result "$name.checkpoint" PASS "image of $(wc -c <"$img") bytes; the original was killed"
}

# What CR_BETWEEN says runs between the checkpoint and the restart.
cr_between() {
	[ -z "${CR_BETWEEN:-}" ] || eval "$CR_BETWEEN"
}

cr_poke() {
	wait_for_pid "$pid" && eval "${CR_POKE:-touch \"$scratch/$name.go\"}"
}

# cr_restart [again]: restarts $img and checks the exit status.
cr_restart() {
	rm -f "$scratch/$name.go"
	cr_poke &
	"$cptctl" restart "$img" 2>"$scratch/$name.restart.err"
	status=$?
	pass_if "$name.exit-status${1:+-$1}" "restarted workload exited $status, expected ${CR_STATUS:-0}; $(tr '\n' ' ' <"$scratch/$name.restart.err")" \
		[ "$status" -eq "${CR_STATUS:-0}" ]
}

cr_restart_piped() {
	(wait_for_pid_gone "$pid" && cr_poke) &
	"$cptctl" checkpoint "$pid" -o - --kill 2>"$scratch/$name.ckpt.err" |
		"$cptctl" restart - 2>"$scratch/$name.restart.err"
	status=$?
	pass_if "$name.exit-status" "checkpoint -o - | restart -: exited $status; $(cat "$scratch/$name.ckpt.err" "$scratch/$name.restart.err" | tr '\n' ' ')" \
		[ "$status" -eq "${CR_STATUS:-0}" ]
}
