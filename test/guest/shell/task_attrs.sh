# shellcheck shell=sh
# A task's scheduling and prctl attributes through cptctl's command line: a
# nobody service checkpointed and restarted by root (test/workloads/
# task_attrs.c checks its own), and a restart whose saved CPU affinity
# names CPUs this machine lacks (edited through inspect --json and encode).
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# Root's cptctl calls go through one node (cptctl_serve), but the restart
# whose process must outlive its cptctl.
scenario_user_service() {
	cptctl_serve || return
	checkpoint_service task-attrs-user user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/task_attrs" || return
	restart_service task-attrs-user user

	# The saved affinity edited to name CPUs this machine lacks.
	start_counter
	cpid=$pid
	cptctl_in /dev/null /dev/null checkpoint "$cpid" -o "$scratch/counter.img" --kill
	wait_for_pid_gone "$cpid"
	cptctl_in "$scratch/counter.json" /dev/stderr inspect --json "$scratch/counter.img"
	# Every task record's attrs (never empty: a timer slack at least) get cpus first.
	set_cpus() {
		sed "s/\"attrs\": {/\"attrs\": {\"cpus\": \"$1\",/" "$scratch/counter.json" >"$scratch/$2.json"
		cptctl_in /dev/null /dev/stderr encode "$scratch/$2.json" -o "$scratch/$2.img"
	}
	set_cpus 4000-4095 missing
	cptctl_in /dev/null "$scratch/missing.err" restart "$scratch/missing.img" --detach
	status=$?
	refused=no
	grep -q "pid $cpid.*CPU affinity 4000-4095: none of these CPUs exists here" "$scratch/missing.err" &&
		[ "$status" -eq 5 ] && [ ! -d "/proc/$cpid" ] && refused=yes
	pass_if task-attrs-user.missing-cpus-refused "restart exited $status: $(tr '\n' ' ' <"$scratch/missing.err")" \
		[ $refused = yes ]
	kill "$cpid" 2>/dev/null && wait_for_pid_gone "$cpid"
	set_cpus 0,4095 some
	cptctl_in "$scratch/some.out" "$scratch/some.err" restart "$scratch/some.img" --detach
	read -r restored <"$scratch/some.out"
	allowed=$(sed -n 's/^Cpus_allowed_list:\t//p' "/proc/$cpid/status" 2>/dev/null)
	pass_if task-attrs-user.missing-cpus-restricted "restarted as ${restored:-nothing} ($(tr '\n' ' ' <"$scratch/some.err")): CPUs allowed ${allowed:-?}" \
		eval '[ "$restored" = "$cpid" ] && [ "$allowed" = 0 ]'
	kill "$cpid" 2>/dev/null
	rm -f "$scratch/counter.json" "$scratch/missing.json" "$scratch/some.json"
}
