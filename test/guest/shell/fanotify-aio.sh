# shellcheck shell=sh
# fanotify instances: what inspect shows after the fanotify-state cycle,
# hostile images of it, and what a checkpoint refuses of them (an event not
# read yet, a mark on a mount), naming the fd and leaving the process be.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# hostile_fanotify CHECK JQ WANT: the cycle's image with JQ applied to its
# first fanotify instance's File ($f) must be refused at restart with WANT.
hostile_fanotify() {
	check=$1 edit=$2 want=$3
	jq "(.recordList | map(.type) | index(\"FILES\")) as \$i |
		.recordList[\$i].message.files |= (
			(map(.kind == \"FANOTIFY\") | index(true)) as \$p | .[\$p] |= (. as \$f | $edit))" \
		"$scratch/fanotify.json" >"$scratch/hostile.json" &&
		cptctl_in /dev/null "$scratch/hostile.err" encode "$scratch/hostile.json" -o "$scratch/hostile.img" &&
		cptctl_in /dev/null "$scratch/hostile.err" restart --detach "$scratch/hostile.img"
	status=$?
	pass_if "$check" "restart exited $status: $(tr '\n' ' ' <"$scratch/hostile.err")" \
		sh -c '[ "$1" -ne 0 ] && grep -q -- "$2" "$0"' "$scratch/hostile.err" "$status" "$want"
}

# After the fanotify-state cycle: inspect shows each instance's flags and
# marks; images with a mark of an unknown type, with unknown mark flags and
# with too many marks are refused at restart.
after_fanotify_state() {
	cptctl_in "$scratch/fanotify.inspect" "$scratch/fanotify.inspect" inspect "$img"
	pass_if fanotify-state.inspect "inspect shows: $(grep -E ' fanotify ' "$scratch/fanotify.inspect" | tr -s ' ' | tr '\n' '|')" \
		sh -c 'grep -qE " fanotify .*flags 0x3, event flags 0x88000, marking /[^ ]* \(filesystem, mask 0x0, ignoring 0x1, mark flags 0x40\), /.*/held \(inode, mask 0x2, mark flags 0x200\), /.*/sub \(inode, mask 0x48000020, ignoring 0x40000010, mark flags 0x440\), /.*/file \(inode, mask 0xa\)$" "$0" &&
			grep -qE " fanotify .*flags 0x200, event flags 0x8000, unprivileged, marking nothing$" "$0"' "$scratch/fanotify.inspect"
	if ! cptctl_in "$scratch/fanotify.json" "$scratch/json.err" inspect --json "$img"; then
		result fanotify-state.hostile-type FAIL "inspect --json: $(tr '\n' ' ' <"$scratch/json.err")"
		return
	fi
	hostile_fanotify fanotify-state.hostile-type '.fanotifyMarks[0].type = 1' 'fanotify instance: a mark the image gives is malformed'
	hostile_fanotify fanotify-state.hostile-flags '.fanotifyMarks[0].flags = 4' 'fanotify instance: a mark the image gives is malformed'
	hostile_fanotify fanotify-state.hostile-count '.fanotifyMarks = [range(8193) | $f.fanotifyMarks[0]]' \
		'fanotify instance: 8193 marks'
}

scenario_fanotify_refused() {
	for kind in queued mount; do
		case $kind in
		queued) why="fd 3: a fanotify instance with unread events (1) is not supported" ;;
		mount) why="fd 3: fanotify mark 0 (mask 0x1000, ignored 0x0): a mark on a mount is not supported" ;;
		esac
		expect_refusal fanotify-refused "$kind" "$why" "$workloads/fanotify_refused" "$kind"
	done
}

# An AIO context with a request in flight is refused by name (its ring's
# range and why), and the process runs on with its context.
scenario_aio_refused() {
	if ! start_workload aio "$workloads/aio_refused" "$scratch"; then
		result aio-refused.refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/aio.err" checkpoint "$pid" -o "$scratch/aio.img" --kill
	status=$?
	pass_if aio-refused.refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/aio.err")" \
		sh -c '[ "$1" -eq 4 ] && grep -qE "pid $2: cannot checkpoint $3-0x[0-9a-f]+: the ring of an AIO context \(io_setup\(\)\): requests in flight cannot be saved" "$0"' \
		"$scratch/aio.err" "$status" "$pid" "$(sed -n 's/^READY //p' "$out")"
	pass_if aio-refused.alive "pid $pid is still running" [ -d "/proc/$pid" ]
	touch "$scratch/go"
	wait_for_line "$out" "RESULT kept-running"
	sed -n "s/^RESULT kept-running/RESULT aio-refused.kept/p" "$out"
}
