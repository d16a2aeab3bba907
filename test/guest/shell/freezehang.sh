# shellcheck shell=sh
# The freeze never hangs (issue 12): a tree reshaped from outside in every
# attempt is refused within the freeze's attempts, "kept changing shape".
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# freeze_reshape (test/workloads/freeze_reshape.c), checkpointed --kill
# with 40 s at most: cptctl must exit 4 with EAGAIN naming the root, and
# the tree, let go, must end well.
scenario_freeze_reshape() {
	mkdir -p "$scratch/r"
	start_workload reshape "$workloads/freeze_reshape" "$scratch/r" || {
		result freezehang.refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	}
	start=$(date +%s.%N)
	timeout --foreground 40 "$cptctl" checkpoint "$pid" -o "$scratch/r.img" --kill 2>"$scratch/r.err"
	status=$?
	seconds=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
	echo "# freeze-reshape: the killer's kills (ms since it started, pid): $(tr '\n' ' ' <"$scratch/r/kills")"
	refused=no
	[ "$status" -eq 4 ] && grep -q "EAGAIN.*pid $pid: its tree kept changing shape during the freeze" "$scratch/r.err" &&
		refused=yes
	pass_if freezehang.refused "checkpoint exited $status in $seconds s: $(tr '\n' ' ' <"$scratch/r.err")" [ $refused = yes ]
	touch "$scratch/r/go"
	wait_for_line "$out" "RESULT ran-on"
	sed -n 's/^RESULT /RESULT freezehang./p' "$out"
	rm -f "$scratch/r.img"
}
