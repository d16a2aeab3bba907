# shellcheck shell=sh
# Helpers for guest test scripts: results in the "RESULT name PASS|FAIL detail"
# form the ava tests read, and the checkpoint -> kill -> restart cycle.
repo=$(cd "$(dirname "$0")/../.." && pwd)
cptctl=$repo/bin/cptctl
workloads=$repo/test/workloads/build
scratch=$(mktemp -d /tmp/cpt-test.XXXXXX)

result() { echo "RESULT $1 $2 $3"; }
pass_if() { name=$1; shift; detail=$1; shift; if "$@"; then result "$name" PASS "$detail"; else result "$name" FAIL "$detail"; fi; }

# Waits up to 20 s for a line matching $2 in file $1.
wait_for_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
}

# cr_cycle NAME WORKLOAD [ARGS...]: starts the workload with its output in
# $scratch/NAME.out, waits for its READY, checkpoints it with --kill,
# restarts it (waiting for its exit) while creating $scratch/NAME.go, and
# prefixes the RESULT lines it printed with NAME.
cr_cycle() {
	name=$1
	shift
	out=$scratch/$name.out
	img=$scratch/$name.img
	"$@" >"$out" 2>&1 &
	pid=$!
	if ! wait_for_line "$out" READY; then
		result "$name.ready" FAIL "the workload never got ready: $(tail -n 3 "$out" | tr '\n' ' ')"
		kill -9 $pid 2>/dev/null
		return
	fi
	if ! "$cptctl" checkpoint "$pid" -o "$img" --kill 2>"$scratch/$name.ckpt.err"; then
		result "$name.checkpoint" FAIL "$(tr '\n' ' ' <"$scratch/$name.ckpt.err")"
		kill -9 $pid 2>/dev/null
		return
	fi
	wait $pid 2>/dev/null
	result "$name.checkpoint" PASS "image of $(wc -c <"$img") bytes; original killed"
	(sleep 0.2; touch "$scratch/$name.go") &
	"$cptctl" restart "$img" 2>"$scratch/$name.restart.err"
	status=$?
	pass_if "$name.exit-status" "restarted workload exited $status; $(tr '\n' ' ' <"$scratch/$name.restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT $name./p" "$out"
}
