# shellcheck shell=sh
# Single processes through cptctl's command line: a piped checkpoint into a
# restart, refusals and their messages, a shell job's stdio, inspect --json.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# checkpoint -o - --kill | restart -: the restarted cpu_state has its registers and pid.
scenario_piped() {
	start_workload piped "$workloads/cpu_state" "$scratch/go" ||
		{ result piped.ready FAIL "the workload never got ready: $(tail -n 3 "$out" | tr '\n' ' ')"; return; }
	(wait_for_pid_gone "$pid" && wait_for_pid "$pid" && touch "$scratch/go") &
	"$cptctl" checkpoint "$pid" -o - --kill 2>"$scratch/ckpt.err" |
		"$cptctl" restart - 2>"$scratch/restart.err"
	status=$?
	pass_if piped.exit-status "checkpoint -o - | restart -: exited $status; $(cat "$scratch/ckpt.err" "$scratch/restart.err" | tr '\n' ' ')" \
		[ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT piped./p" "$out"
}

# What cannot be checkpointed yet is refused, naming the fd, and the target
# runs on unharmed.
scenario_refused() {
	for kind in socket pipe inotify; do
		expect_refusal refused "$kind" "fd 5" "$workloads/files_refused" "$kind"
	done
}

# A shell job: stdout and stderr are a pipe at checkpoint, and the restarted
# process writes to the restarting cptctl's own stdout instead.
scenario_job() {
	out=$scratch/job.out
	sh -c '"$@" 2>&1 </dev/null | cat >"$0" &' "$out" "$workloads/signals_state" "$scratch/job.go"
	if ! wait_for_line "$out" READY; then
		result job.ready FAIL "the shell job never got ready"
		return
	fi
	pid=$(pgrep -n signals_state)
	"$cptctl" checkpoint "$pid" -o "$scratch/job.img" --kill 2>"$scratch/job.ckpt.err"
	status=$?
	pass_if job.checkpoint "checkpoint exited $status $(tr '\n' ' ' <"$scratch/job.ckpt.err")" [ $status -eq 0 ]
	wait_for_pid_gone "$pid"
	(wait_for_pid "$pid" && touch "$scratch/job.go") &
	"$cptctl" restart "$scratch/job.img" >"$scratch/job.restarted.out" 2>&1 </dev/null
	status=$?
	pass_if job.exit-status "restart exited $status" [ $status -eq 0 ]
	pass_if job.output-reattached "the restarted job's results reached the restarting cptctl's stdout" \
		grep -q '^RESULT ' "$scratch/job.restarted.out"
	sed -n "s/^RESULT /RESULT job./p" "$scratch/job.restarted.out"
}

# After the task cycle: inspect decodes what the module wrote, with the shared schema.
inspect_decodes() {
	if cptctl_in "$scratch/task.json" "$scratch/task.inspect.err" inspect --json "$img"; then
		pass_if inspect.decodes "inspect --json of a real image" grep -q '"comm": *"cpt-task-state"' "$scratch/task.json"
	else
		result inspect.decodes FAIL "$(tr '\n' ' ' <"$scratch/task.inspect.err")"
	fi
}
