# shellcheck shell=sh
# The freeze never hangs (issue 12): a tree reshaped from outside in every
# attempt is refused within the freeze's attempts, "kept changing shape".
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# freeze_reshape (test/workloads/freeze_reshape.c), checkpointed --kill:
# cptctl must exit 4 with EAGAIN naming the root (or, when the killer is
# late in the last attempt, ESRCH naming the killed task), and the tree,
# let go, must end well. A quiet guest refuses in about half a second; a guest
# starved by a busy host took 2.3 s an attempt (17 attempts in 40 s), so
# cptctl is given 150 s: 20 attempts of that, with room. A freeze that
# hangs still fails the check (exit 124).
scenario_freeze_reshape() {
	mkdir -p "$scratch/r"
	start_workload reshape "$workloads/freeze_reshape" "$scratch/r" || {
		result freezehang.refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	}
	start=$(date +%s.%N)
	timeout --foreground 150 "$cptctl" checkpoint "$pid" -o "$scratch/r.img" --kill 2>"$scratch/r.err"
	status=$?
	seconds=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
	echo "# freeze-reshape: the killer's kills (ms since it started, pid): $(tr '\n' ' ' <"$scratch/r/kills")"
	# The killer must strike in each attempt's window of some milliseconds:
	# when it is late in the last one, that attempt freezes the tree and the
	# kill lands in SAVE instead, as clean a refusal (seen 1 time in 3).
	refused=no
	[ "$status" -eq 4 ] &&
		grep -Eq "EAGAIN.*pid $pid: its tree kept changing shape during the freeze|ESRCH.*pid [0-9]+ was killed during the checkpoint" "$scratch/r.err" &&
		refused=yes
	pass_if freezehang.refused "checkpoint exited $status in $seconds s: $(tr '\n' ' ' <"$scratch/r.err")" [ $refused = yes ]
	touch "$scratch/r/go"
	wait_for_line "$out" "RESULT ran-on"
	sed -n 's/^RESULT /RESULT freezehang./p' "$out"
	rm -f "$scratch/r.img"
}
