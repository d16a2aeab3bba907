# shellcheck shell=sh
# pidfds and O_PATH fds: what inspect shows after the pidfd-state and
# opath-state cycles, a hostile image of pidfd-state, and what a
# checkpoint refuses of them (a pidfd of a process outside the tree, an
# O_PATH fd of a deleted file), naming the fd and leaving the process be.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# has_lines FILE PATTERN...: FILE has a line matching each extended PATTERN.
has_lines() {
	file=$1
	shift
	for want in "$@"; do
		grep -qE "$want" "$file" || return 1
	done
}

# After the pidfd-state cycle: inspect names each pidfd's pid; a pidfd of a
# pid that no process of the tree has is refused at restart.
# Its cptctl calls go through one node (cptctl_serve).
after_pidfd_state() {
	cptctl_serve || return
	if cptctl_in "$scratch/pidfd.inspect" "$scratch/pidfd.inspect" inspect "$img"; then
		pass_if pidfd-state.inspect "inspect shows: $(grep -E ' pidfd ' "$scratch/pidfd.inspect" | tr -s ' ' | tr '\n' '|')" \
			has_lines "$scratch/pidfd.inspect" '^ *fd [0-9]+ +pidfd +O_RDWR\|O_NONBLOCK cloexec +pos 0 +pid [0-9]+$' \
			'^ *fd [0-9]+ +pidfd +O_RDWR +pos 0 +pid [0-9]+$' \
			' pidfd .* pid [0-9]+, which had exited and been reaped$'
	else
		result pidfd-state.inspect FAIL "$(tr '\n' ' ' <"$scratch/pidfd.inspect")"
	fi
	cptctl_in "$scratch/pidfd.json" "$scratch/json.err" inspect --json "$img" &&
		jq '(.recordList | map(.type) | index("FILES")) as $i |
			.recordList[$i].message.files |= (
				(map(.kind == "PIDFD" and (.pidfdExited | not)) | index(true)) as $p |
				.[$p].pidfdPid = 1)' "$scratch/pidfd.json" >"$scratch/hostile.json" &&
		cptctl_in /dev/null "$scratch/hostile.err" encode "$scratch/hostile.json" -o "$scratch/hostile.img" &&
		cptctl_in /dev/null "$scratch/hostile.err" restart --detach "$scratch/hostile.img"
	status=$?
	pass_if pidfd-state.hostile-pid "restart exited $status: $(tr '\n' ' ' <"$scratch/hostile.err")" \
		grep -q "pidfd of pid 1, which is no process of the tree" "$scratch/hostile.err"
}

# After the opath-state cycle: inspect shows each O_PATH fd with its flags,
# path and type; an image whose file was a directory is refused at restart.
# Its cptctl calls go through one node (cptctl_serve).
after_opath_state() {
	cptctl_serve || return
	if cptctl_in "$scratch/opath.inspect" "$scratch/opath.inspect" inspect "$img"; then
		pass_if opath-state.inspect "inspect shows: $(grep -E ' o-path ' "$scratch/opath.inspect" | tr -s ' ' | tr '\n' '|')" \
			has_lines "$scratch/opath.inspect" ' o-path +O_PATH +pos 0 +/.*/file \(regular file\)$' \
			' o-path +O_PATH\|O_DIRECTORY cloexec +pos 0 +/.*/dir \(directory\)$' \
			' o-path +O_PATH\|O_NOFOLLOW +pos 0 +/.*/link \(symlink\)$' \
			' o-path +O_PATH +pos 0 +/.*/fifo \(FIFO\)$'
	else
		result opath-state.inspect FAIL "$(tr '\n' ' ' <"$scratch/opath.inspect")"
	fi
	cptctl_in "$scratch/opath.json" "$scratch/json.err" inspect --json "$img" &&
		jq '(.recordList | map(.type) | index("FILES")) as $i |
			.recordList[$i].message.files |= map(
				if .kind == "O_PATH" and (.path | endswith("/file")) then .mode = 16872 else . end)' \
			"$scratch/opath.json" >"$scratch/hostile.json" &&
		cptctl_in /dev/null "$scratch/hostile.err" encode "$scratch/hostile.json" -o "$scratch/hostile.img" &&
		cptctl_in /dev/null "$scratch/hostile.err" restart --detach "$scratch/hostile.img"
	status=$?
	pass_if opath-state.hostile-type "restart exited $status: $(tr '\n' ' ' <"$scratch/hostile.err")" \
		grep -q "file of the saved kind (mode 040750" "$scratch/hostile.err"
}

# Its cptctl calls go through one node (cptctl_serve).
scenario_pidfd_refused() {
	cptctl_serve || return
	expect_refusal pidfd-refused outside "fd 3: pidfd of pid 1, a process outside the tree, is not supported" \
		"$workloads/pidfd_refused" outside
	expect_refusal pidfd-refused deleted "fd 3: O_PATH descriptor of deleted file gone is not supported" \
		"$workloads/pidfd_refused" deleted
}
