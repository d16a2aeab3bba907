# shellcheck shell=sh
# Helpers for the shell scenarios (test/guest/driver.ts runs each function
# scenario_NAME, or a cycle's hook, from the repository, with $scratch, the
# scenario's own empty directory, and for hooks $name, $img, $out and $pid of
# the cycle): results in the "RESULT name PASS|FAIL detail" form, and waits.
# shellcheck disable=SC2034 # used by the files that source this one
# The guest inherits the host user's PATH, whose first directories (cargo's,
# pyenv's shims) hold none of the tools used here but cost a failed lookup
# over 9p for each command, and pyenv's python3 shim runs several bash
# scripts per call (seconds under emulation): the system's directories only.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# The simple tools the scenarios run most, made shell functions that run
# busybox's (vm/provision installs busybox-static): its static binary starts
# in some 10 ms under emulation, a dynamically linked coreutils in 40 to
# 100 ms. Only tools whose options used here busybox has as coreutils has
# them (not date: no %N; not sleep, whose background jobs are killed by
# pid; not awk, whose language differs). grep and sed are GNU's regular
# expressions either way: busybox's is linked statically with glibc, whose
# regcomp() GNU grep and sed share (GNU's \+, \?, \|, \<, \b, [[:space:]],
# backreferences and intervals alike), and it has each option used here
# (grep -q -c -E -x -s -m -A -o -v -l -L -h -e -r, sed -n -E, s///p, \cREc
# addresses); only grep -a is not busybox's (security-creds.sh runs GNU
# grep for it: command grep). In this shell and its subshells only: sh -c,
# setpriv and the like run GNU's.
for bb_tool in cat chmod chown cp cut grep head ln ls mkdir mkfifo mknod mv readlink rm sed seq sha256sum sort stat \
	tail tee touch tr uniq wc; do
	eval "$bb_tool() { /bin/busybox $bb_tool \"\$@\"; }"
done
repo=$(pwd)
cptctl=$repo/bin/cptctl
workloads=$repo/test/workloads/build
# The cpt.ko vm/run loaded, to load again after an rmmod (the debug kernel's is another).
cpt_ko=${CPT_GUEST_MODULE:-$repo/kmod/cpt.ko}
scratch=${scratch:?the driver gives each scenario its directory}
name=${name:-} img=${img:-} out=${out:-} pid=${pid:-}

# The byte 0x01 and a newline, for sed scripts (inspect_shows).
soh=$(printf '\001')
newline='
'

result() { echo "RESULT $1 $2 $3"; }
# pass_if CHECK DETAIL CMD...: CMD is one command; a compound condition goes
# through eval 'A && B' (unquoted, `pass_if ... A && B` would assert A only).
pass_if() {
	check=$1 detail=$2
	shift 2
	if "$@"; then result "$check" PASS "$detail"; else result "$check" FAIL "$detail"; fi
}

# text_of VAR FILE...: VAR set to the lines of the FILEs that exist, each
# followed by a space, as `cat FILE... | tr '\n' ' '` prints them, by the
# shell's own read: each cat or tr is an exec, a tenth of a second or
# more under emulation.
text_of() {
	text_of_var=$1 text_of_text=
	shift
	for text_of_file in "$@"; do
		[ -r "$text_of_file" ] || continue
		while IFS= read -r text_of_line || [ -n "$text_of_line" ]; do
			text_of_text="$text_of_text$text_of_line "
		done <"$text_of_file"
	done
	eval "$text_of_var=\$text_of_text"
}

# The waits: test/workloads/waitfor (one static exec, which polls in-process)
# for the usual conditions, wait_until for any other. Each gives up after
# 90 s (times CPT_GUEST_TIME_SCALE, which vm/run --debug-kernel sets).
waitfor=$workloads/waitfor

# Tries CMD... every 0.1 s until it succeeds, for up to 90 s: the pause is
# waitfor's, not sleep's (a dynamically linked exec each time, some 0.2 s
# of the one vCPU's time under emulation, taken from what is waited for).
wait_until() {
	i=0
	until "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((900 * ${CPT_GUEST_TIME_SCALE:-1})) ] && return 1
		"$waitfor" nap 0.1
	done
}

wait_for_line() { "$waitfor" line "$1" "$2"; }	# a line matching $2 (grep's BRE) in file $1
wait_for_pid_gone() { "$waitfor" gone "$1"; }	# killed and reaped
wait_for_pid() { "$waitfor" pid "$1"; }	# a restart recreated it
wait_for_cwd() { "$waitfor" cwd "$1" "$2"; }	# PID's working directory is DIR
wait_for_exe() { "$waitfor" exe "$1" "$2"; }	# PID runs PROGRAM, its exec done

# start_counter: test/workloads/counter 1000 in the background, its output
# nowhere, its pid in $pid once it runs counter: a checkpoint right after
# the fork could find the shell's child before its exec (dash, the
# scenario's pipes and script).
start_counter() {
	"$workloads/counter" 1000 >/dev/null 2>&1 </dev/null &
	pid=$!
	wait_for_exe "$pid" "$workloads/counter"
}

# counter_checkpointed IMG: start_counter's counter checkpointed --kill into
# IMG (cptctl's errors in IMG.err) and reaped. If the checkpoint fails, the
# counter is killed (a wait for it would hang the scenario until its
# timeout), the failure said on stderr, and the status is 1.
counter_checkpointed() {
	start_counter
	if cptctl_in /dev/null "$1.err" checkpoint "$pid" -o "$1" --kill; then
		wait "$pid" 2>/dev/null
		return 0
	fi
	echo "checkpoint of the counter $pid into $1: $(tr '\n' ' ' <"$1.err")" >&2
	kill "$pid"
	wait "$pid" 2>/dev/null
	return 1
}

# start_workload NAME CMD...: starts CMD with its output in $scratch/NAME.out
# and its pid in $pid, and waits for its READY line. Orphaned at once (the
# command substitution's subshell ends), so that init reaps it when killed:
# a zombie would keep its pid from the restart.
start_workload() {
	out=$scratch/$1.out
	shift
	pid=$("$@" >"$out" 2>&1 </dev/null & echo $!)
	wait_for_line "$out" READY
}

# Unprivileged callers: nobody, and nobody with CAP_CHECKPOINT_RESTORE,
# which a restart with the saved pid needs. setpriv's options for each (a
# caller of cptctl_as: caller_NAME), and a function that runs a command so.
caller_nobody='--reuid=nobody --regid=nogroup --clear-groups'
caller_nobody_cr="$caller_nobody --inh-caps=+checkpoint_restore --ambient-caps=+checkpoint_restore"
# shellcheck disable=SC2086 # the options, a word each
as_nobody() { setpriv $caller_nobody "$@"; }
# shellcheck disable=SC2086
as_nobody_cr() { setpriv $caller_nobody_cr "$@"; }

# checkpoint_service CHECK STEM PROGRAM...: PROGRAM... (as nobody, with
# setpriv, or not) started with $scratch/STEM.d, nobody's, as its last
# argument, where it waits for its go; then checkpointed --kill by root into
# $scratch/STEM.img: check CHECK.checkpoint. 1 when either failed.
# $checkpoint_option, when set: one more option of the checkpoint.
checkpoint_service() {
	svc=$1 svc_stem=$2
	shift 2
	chmod 0711 "$scratch"
	mkdir -p "$scratch/$svc_stem.d"
	chown nobody:nogroup "$scratch/$svc_stem.d"
	if ! start_workload "$svc_stem" "$@" "$scratch/$svc_stem.d"; then
		result "$svc.checkpoint" FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return 1
	fi
	cptctl_in /dev/stdout "$scratch/$svc_stem-ckpt.err" checkpoint "$pid" -o "$scratch/$svc_stem.img" --kill \
		${checkpoint_option:+"$checkpoint_option"}
	status=$?
	text_of flat "$scratch/$svc_stem-ckpt.err"
	pass_if "$svc.checkpoint" "checkpoint exited $status: $flat" [ "$status" -eq 0 ]
	# Refused, it would wait for its go forever.
	[ "$status" -eq 0 ] || { kill "$pid"; return 1; }
	wait_for_pid_gone "$pid"
}

# restart_service CHECK STEM [CALLER]: checkpoint_service's image restarted
# (by root through cptctl_in, or as cptctl_as CALLER) and let go once it
# runs: check CHECK.exit-status, and its own RESULT lines as CHECK.NAME.
# (Not $check: pass_if's own.)
restart_service() {
	svc=$1 svc_stem=$2
	shift 2
	(wait_for_pid "$pid" && touch "$scratch/$svc_stem.d/go") &
	if [ $# -eq 0 ]; then
		cptctl_in /dev/stdout "$scratch/$svc_stem-restart.err" restart "$scratch/$svc_stem.img"
	else
		cptctl_as "$1" /dev/stdout "$scratch/$svc_stem-restart.err" restart "$scratch/$svc_stem.img"
	fi
	status=$?
	text_of flat "$scratch/$svc_stem-restart.err"
	pass_if "$svc.exit-status" "restarted workload exited $status: $flat" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT $svc./p" "$out"
}

# refused_restart CHECK IMG STATUS WORDS [CALLER]: IMG's restart (by root
# through cptctl_in, or as cptctl_as CALLER; with $restart_option if set)
# must fail with exit status STATUS (5 refused, 6 a bad image) saying WORDS
# and leave no process $pid.
refused_restart() {
	check_name=$1 image=$2 want=$3 words=$4
	shift 4
	if [ $# -eq 0 ]; then
		cptctl_in /dev/null "$scratch/refused.err" restart --detach ${restart_option:+"$restart_option"} "$image"
	else
		cptctl_as "$1" /dev/null "$scratch/refused.err" restart --detach ${restart_option:+"$restart_option"} "$image"
	fi
	status=$?
	refused=no
	[ "$status" -eq "$want" ] && grep -q "$words" "$scratch/refused.err" && [ ! -d "/proc/$pid" ] && refused=yes
	text_of flat "$scratch/refused.err"
	pass_if "$check_name" "restart exited $status: $flat" [ $refused = yes ]
	[ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null && wait_for_pid_gone "$pid"
}

# expect_refusal CHECK KIND WHY PROGRAM...: PROGRAM... started with
# $scratch/KIND as its last argument, set up to be refused, and checkpointed
# --kill: cptctl must exit 4 naming WHY (a grep pattern), CHECK.KIND; the
# process must run on, CHECK.KIND-alive, and find its state as it was once
# let go (its RESULT kept-running line), CHECK.KIND-kept. $checkpoint_option
# as checkpoint_service's.
expect_refusal() {
	refusal=$1 refused_kind=$2 why=$3
	shift 3
	mkdir -p "$scratch/$refused_kind"
	if ! start_workload "refused-$refused_kind" "$@" "$scratch/$refused_kind"; then
		result "$refusal.$refused_kind" FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/$refused_kind.err" checkpoint "$pid" -o "$scratch/$refused_kind.img" --kill \
		${checkpoint_option:+"$checkpoint_option"}
	status=$?
	refused=no
	[ "$status" -eq 4 ] && grep -q "$why" "$scratch/$refused_kind.err" && refused=yes
	text_of flat "$scratch/$refused_kind.err"
	pass_if "$refusal.$refused_kind" "checkpoint exited $status: $flat" [ $refused = yes ]
	pass_if "$refusal.$refused_kind-alive" "pid $pid is still running" [ -d "/proc/$pid" ]
	touch "$scratch/$refused_kind/go"
	wait_for_line "$out" "RESULT kept-running"
	sed -n "s/^RESULT kept-running/RESULT $refusal.$refused_kind-kept/p" "$out"
}

# cptctl_in OUT ERR ARG...: cptctl ARG... as root, its output to the file
# OUT and its errors to the file ERR (the same path: one file, as 2>&1),
# run by the node that the driver keeps for the boot's cptctl_in calls
# (test/guest/cptctl-server.ts, cptctl-batch.ts --serve): node's start-up,
# seconds under emulation, is paid once per boot instead of once per call.
# Through run(), as bin/cptctl: cptctl's own status, output and messages.
# For calls whose caller is not under test (not as another user, not with
# other limits, no stdin, no terminal, no arguments with newlines), from
# the scenario's own shell or a subshell it waits for, one at a time. A
# restart --detach leaves the tree's root a child of that node, not of
# init (as with bin/cptctl), which reaps it once it ends, as init would;
# its pid, which it prints, is in OUT, not the shell's stdout. While it
# runs, a restart that fails through cptctl_in waits for it (a failed
# restart reaps every child of its cptctl): end it first. Its status is
# cptctl's.
cptctl_in() {
	cptctl_serve || return 1
	printf '%s\n' $# "$@" >"$cptctl_requests"
	read -r cptctl_status <"$cptctl_replies"
	return "${cptctl_status:-1}"
}

# cptctl_serve: whether the driver's node serves cptctl_in (1, and why on
# stderr, when lib.sh runs without the driver).
cptctl_serve() {
	[ -p "${cptctl_requests:-}" ] && [ -p "${cptctl_replies:-}" ] && return 0
	echo "cptctl_in: no node serves it (test/guest/driver.ts starts one)" >&2
	return 1
}

# cptctl_stop: cptctl_in's node told to end (a request of no lines), and
# waited for; the driver starts another for the next scenario.
cptctl_stop() {
	cptctl_serve && echo 0 >"$cptctl_requests" && wait_for_pid_gone "$cptctl_server"
}

# node_in OUT ERR SCRIPT ARG...: the JavaScript SCRIPT, the body of a
# function given fs (node:fs) and args (the ARGs, none with a newline), run
# by cptctl_in's node: what `node -e SCRIPT ARG...` would do, without
# node's start-up, seconds under emulation. Its output to the file OUT and
# its errors to the file ERR, as cptctl_in's; its status the number it
# returns (0 when none, 1 when it throws). SCRIPT is kept in the file
# $scratch/node-in-N.js, which the request names.
node_in() {
	node_in_out=$1 node_in_err=$2
	node_in_n=$((${node_in_n:-0} + 1))
	printf '%s\n' "$3" >"$scratch/node-in-$node_in_n.js"
	shift 3
	cptctl_in "$node_in_out" "$node_in_err" --script "$scratch/node-in-$node_in_n.js" "$@"
}

# cptctl_as CALLER OUT ERR ARG...: cptctl ARG... run as CALLER, one setpriv
# whose options are $caller_CALLER (nobody, nobody_cr; nobody_100 of
# userns.sh), as `setpriv $caller_CALLER "$cptctl" ARG... >OUT 2>ERR` would
# (OUT and ERR the same path: one file, as 2>&1), but by a node that
# setpriv started once for the boot (cptctl-batch.ts --serve, as
# cptctl_in's): node's start-up, seconds under emulation, is paid once
# per caller and boot. Made by the same setpriv, it has exactly the uid,
# groups, capability sets, securebits, no_new_privs and seccomp (none)
# that each call's cptctl would have: the module allows it what it allows
# that cptctl, no more. What differs from a fresh cptctl:
# - OUT and ERR, which the shell would open as root for it, are files of
#   the node's own directory (opened as CALLER, who may not write the
#   scratch directories), copied into OUT and ERR, opened by this shell as
#   root, once the call ended (/dev/stdout: this shell's stdout, also in
#   $(...)). What cptctl opens itself (an image) it opens as CALLER;
# - a restart --detach leaves the tree's root a child of that node, which
#   reaps it once it ends, not of init; a failed restart reaps every child
#   of its cptctl, so it waits for such a root: end it first (as with
#   cptctl_in);
# - the node lives on between scenarios (the driver keeps it) as one of
#   CALLER's processes (RLIMIT_NPROC counts it): a scenario that counts
#   them ends it first (cptctl_as_stop_all).
# A caller with namespaces of its own (as_nobody_ns: each call's unshare
# makes new ones) or other limits (prlimit, ulimit) is not for it.
cptctl_as() {
	as_caller=$1 as_out=$2 as_err=$3
	shift 3
	cptctl_as_serve "$as_caller" || return 1
	as_err_file=$as_dir/err
	[ "$as_err" = "$as_out" ] && as_err_file=$as_dir/out
	printf '%s\n' $(($# + 2)) "$as_dir/out" "$as_err_file" "$@" >"$as_dir/requests"
	read -r as_status <"$as_dir/replies"
	copy_output "$as_dir/out" "$as_out"
	[ "$as_err_file" = "$as_dir/out" ] || copy_output "$as_dir/err" "$as_err"
	return "${as_status:-1}"
}

# copy_output FILE TO: FILE's bytes to TO as a redirection `>TO` would
# write them (/dev/stdout and /dev/stderr: this shell's own, not opened
# again); no cat when FILE is empty.
copy_output() {
	case $2 in
	/dev/null) ;;
	/dev/stdout) [ ! -s "$1" ] || cat "$1" ;;
	/dev/stderr) [ ! -s "$1" ] || cat "$1" >&2 ;;
	*) if [ -s "$1" ]; then cat "$1" >"$2"; else : >"$2"; fi ;;
	esac
}

# cptctl_as_serve CALLER: $as_dir set to CALLER's node's directory
# ($cptctl_callers/CALLER, the driver's), and that node started unless it
# runs: the directory and the FIFOs of its requests and replies made by
# CALLER, the node orphaned at once (init its parent, no job of this
# shell), in this shell's session and process group as a fresh cptctl
# would be, in the repository, its own messages in the directory's log.
cptctl_as_serve() {
	as_dir=${cptctl_callers:?the driver (test/guest/driver.ts) names the directory of cptctl_as nodes}/$1
	if [ -r "$as_dir/pid" ]; then
		read -r as_pid <"$as_dir/pid"
		[ -d "/proc/$as_pid" ] && return 0
	fi
	eval "as_options=\${caller_$1:?no caller_$1: cptctl_as has no caller $1}"
	# shellcheck disable=SC2016,SC2086 # sh -c's program; the options, a word each
	[ -p "$as_dir/replies" ] ||
		setpriv $as_options sh -c 'mkdir -p -m 0700 "$0" && mkfifo -m 0600 "$0/requests" "$0/replies"' "$as_dir" ||
		return 1
	(
		# shellcheck disable=SC2086
		(cd "$repo" && exec setpriv $as_options node "$repo/dist/test/guest/cptctl-batch.js" --serve \
			"$as_dir/requests" "$as_dir/replies" </dev/null >>"$as_dir/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-) &
		echo $! >"$as_dir/pid"
	)
}

# cptctl_as_stop_all: every cptctl_as node ended and waited for; the next
# cptctl_as starts its caller's again.
cptctl_as_stop_all() {
	for as_pidfile in "${cptctl_callers:-/nonexistent}"/*/pid; do
		[ -r "$as_pidfile" ] || continue
		read -r as_pid <"$as_pidfile"
		rm -f "$as_pidfile"
		kill "$as_pid" 2>/dev/null && wait_for_pid_gone "$as_pid"
	done
}

# json_edit OUT JSON JQ: the file OUT (a path without blanks) to be made
# from the file JSON (inspect --json's) by the jq filter JQ, which must
# give one document, by json_edits_made (which joins the filters into one
# program: no jq comment in JQ). JQ is given the document's recordList
# only, {recordList}, all that encode reads: the rest (the summary, which
# repeats every process's files) was two thirds of what jq wrote.
json_edit() {
	json_edits=$((${json_edits:-0} + 1))
	eval "json_edit_out_$json_edits=\$1 json_edit_source_$json_edits=\$2 json_edit_jq_$json_edits=\$3 json_edit_made_$json_edits="
}

# json_edits_made: the files json_edit asked for, made by one jq per source
# JSON rather than one per edit (a jq's start and its parse of the source
# are most of an edit's time under emulation: some 3 s for a 3 MB image).
# Each file is its filter's line of jq -c's output; jq's errors go to
# $scratch/edited-jq.err.
json_edits_made() {
	: >"$scratch/edited-jq.err"
	edit_i=1
	while [ "$edit_i" -le "${json_edits:-0}" ]; do
		eval "edit_source=\$json_edit_source_$edit_i edit_made=\$json_edit_made_$edit_i"
		edit_program= edit_outs= edit_j=$edit_i
		while [ -z "$edit_made" ] && [ "$edit_j" -le "$json_edits" ]; do
			eval "edit_out=\$json_edit_out_$edit_j edit_other=\$json_edit_source_$edit_j edit_jq=\$json_edit_jq_$edit_j"
			if [ "$edit_other" = "$edit_source" ]; then
				edit_program="${edit_program:+$edit_program, }([$edit_jq] |
					if length == 1 then .[0] else error(\"$edit_out: the filter gave \\(length) documents, not 1\") end)"
				edit_outs="$edit_outs $edit_out"
				eval "json_edit_made_$edit_j=yes"
			fi
			edit_j=$((edit_j + 1))
		done
		edit_i=$((edit_i + 1))
		[ -n "$edit_outs" ] || continue
		jq -c "{recordList} | ($edit_program)" "$edit_source" 2>>"$scratch/edited-jq.err" |
			awk -v outs="$edit_outs" 'BEGIN { split(outs, out, " ") } { print > out[NR] }'
	done
	json_edits=0
}

# restart_edited CHECK JSON JQ WORDS [STATUS]: the image of JSON (its
# inspect --json) edited by the jq filter JQ (json_edit), to be encoded
# again as $scratch/CHECK.img by check_edited_restarts, which checks that
# its restart is refused, saying WORDS (a grep pattern), and, when STATUS
# is given, exits with it and leaves no process $pid. Kept in variables
# edited_*_N, N from 1 to $edited_count.
restart_edited() {
	json_edit "$scratch/$1.json" "$2" "$3"
	edited_count=$((${edited_count:-0} + 1))
	eval "edited_name_$edited_count=\$1 edited_words_$edited_count=\$4 edited_want_$edited_count=\${5:-}"
}

# check_edited_restarts: the images restart_edited made, encoded and each
# restarted (--detach) through cptctl_in, then their checks.
check_edited_restarts() {
	json_edits_made
	edit_i=1
	while [ "$edit_i" -le "${edited_count:-0}" ]; do
		eval "edited=\$edited_name_$edit_i"
		cptctl_in "$scratch/$edited-encode.out" "$scratch/$edited-encode.err" \
			encode "$scratch/$edited.json" -o "$scratch/$edited.img"
		cptctl_in "$scratch/$edited.out" "$scratch/$edited.err" restart --detach "$scratch/$edited.img"
		eval "edited_status_$edit_i=\$?"
		edit_i=$((edit_i + 1))
	done
	edit_i=1
	while [ "$edit_i" -le "${edited_count:-0}" ]; do
		eval "edited=\$edited_name_$edit_i words=\$edited_words_$edit_i want=\$edited_want_$edit_i status=\$edited_status_$edit_i"
		refused=no
		grep -q "$words" "$scratch/$edited.err" && refused=yes
		[ -n "$want" ] && { [ "$status" = "$want" ] && [ ! -d "/proc/$pid" ] || refused=no; }
		text_of flat "$scratch/edited-jq.err" "$scratch/$edited-encode.err" "$scratch/$edited.err"
		pass_if "$edited" "restart exited $status: $flat" [ $refused = yes ]
		edit_i=$((edit_i + 1))
	done
	edited_count=0
}

# restart_file_edited CHECK JSON KIND FIELD JQ WORDS: restart_edited with
# FIELD of the first File of KIND in the root's Files record edited by JQ.
restart_file_edited() {
	restart_edited "$1" "$2" "(.recordList | map(.type) | index(\"FILES\")) as \$i |
		(.recordList[\$i].message.files | map(.kind) | index(\"$3\")) as \$f |
		.recordList[\$i].message.files[\$f].$4 |= ($5)" "$6"
}

# inspect_shows CHECK IMAGE SHOWN PATTERN...: cptctl inspect of IMAGE must
# print a line matching each extended regular expression PATTERN; the
# check's detail is its lines that match SHOWN. One sed tests them all
# (a grep each cost an exec): its -E is grep -E's syntax (glibc's regcomp(),
# busybox's as GNU's), backreferences and intervals included, but for the
# escapes that sed reads as characters (\n, \t, \cX, \dNNN, \oNNN, \xHH),
# which a PATTERN must not hold, nor a newline or the byte 0x01 (sed's
# delimiter here), nor be empty (sed's last regular expression): such a
# PATTERN fails the check, as a mistake of the scenario's.
inspect_shows() {
	shows=$1 shown_image=$2 shown_lines=$3
	shift 3
	cptctl_in "$scratch/$shows.inspect" "$scratch/$shows.inspect" inspect "$shown_image"
	# For each line: "SHOWN line" if it matches SHOWN, "MATCHED i" for each
	# PATTERN i it matches.
	shows_script="\\$soh$shown_lines$soh{h;s/^/SHOWN /p;g}" shows_i=0 shows_bad=
	for pattern in "$shown_lines" "$@"; do
		case $pattern in
		'' | *"$soh"* | *"$newline"* | *\\[ntcdox]*) shows_bad="$shows_bad '$pattern'" ;;
		esac
	done
	for pattern in "$@"; do
		shows_i=$((shows_i + 1))
		shows_script="$shows_script
\\$soh$pattern$soh{h;s/.*/MATCHED $shows_i/p;g}"
	done
	if [ -n "$shows_bad" ]; then
		result "$shows" FAIL "inspect_shows cannot test the patterns$shows_bad"
		return
	fi
	sed -E -n "$shows_script" "$scratch/$shows.inspect" >"$scratch/$shows.matched"
	shows_detail= shows_matched=' '
	while IFS= read -r shows_line; do
		case $shows_line in
		"SHOWN "*) shows_detail="$shows_detail${shows_line#SHOWN } " ;;
		"MATCHED "*) shows_matched="$shows_matched${shows_line#MATCHED } " ;;
		esac
	done <"$scratch/$shows.matched"
	shown=yes
	while [ "$shows_i" -gt 0 ]; do
		case $shows_matched in *" $shows_i "*) ;; *) shown=no ;; esac
		shows_i=$((shows_i - 1))
	done
	pass_if "$shows" "$shows_detail" [ $shown = yes ]
}

# cycle_as_nobody CHECK PROGRAM...: PROGRAM... run as nobody with
# $scratch/nobody, nobody's, as its last argument (its output,
# $scratch/CHECK.out, nobody's too, for the restarted tree to open again),
# checkpointed --kill by nobody (CHECK.checkpoint), restarted by nobody with
# CAP_CHECKPOINT_RESTORE and let go (CHECK.exit-status); its own RESULT
# lines as CHECK.NAME. /dev/cpt is everyone's meanwhile.
cycle_as_nobody() {
	cycle=$1
	shift
	chmod 0666 /dev/cpt
	mine=$scratch/nobody
	chmod 0711 "$scratch"
	mkdir -p "$mine"
	chown nobody:nogroup "$mine"
	: >"$scratch/$cycle.out"
	chown nobody:nogroup "$scratch/$cycle.out"
	if ! start_workload "$cycle" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" "$mine"; then
		result "$cycle.checkpoint" FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		chmod 0600 /dev/cpt
		return
	fi
	cptctl_as nobody /dev/stdout "$scratch/$cycle-ckpt.err" checkpoint "$pid" -o "$mine/$cycle.img" --kill
	status=$?
	text_of flat "$scratch/$cycle-ckpt.err"
	pass_if "$cycle.checkpoint" "checkpoint exited $status: $flat" [ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	(wait_for_pid "$pid" && touch "$mine/go") &
	cptctl_as nobody_cr /dev/stdout "$scratch/$cycle-restart.err" restart "$mine/$cycle.img"
	status=$?
	text_of flat "$scratch/$cycle-restart.err"
	pass_if "$cycle.exit-status" "restarted tree exited $status: $flat" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT $cycle./p" "$out"
	chmod 0600 /dev/cpt
}
