# shellcheck shell=sh
# After the fown-sigio cycle: what inspect shows of each file's owner,
# signal and O_ASYNC fd; restarts of edited images refused by name.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

inspect_shows_owners() {
	for want in 'SIGRT3 to thread [0-9]*, O_ASYNC through fd 5' \
		'SIGRT4 to process [0-9]*, O_ASYNC through fd 9' \
		'SIGIO to process [0-9]*, O_ASYNC through fd 10' \
		'SIGIO to process group [0-9]*, O_ASYNC through fd 13' \
		'SIGRT6 to process [0-9]*, O_ASYNC through fd 15' \
		'counter 0; SIGIO to process [0-9]*$'; do
		grep -q "$want" "$1" || return 1
	done
}

# owner_edited CHECK JQ WORDS: the image with the File of the first
# process's Files record that JQ selects edited by JQ; its restart must be
# refused, the message saying WORDS.
owner_edited() {
	restart_edited "fown-sigio.$1" "$scratch/sigio.json" "(.recordList | map(.type) | index(\"FILES\")) as \$i |
		.recordList[\$i].message.files |= map($2)" "$3"
}

# Its cptctl calls go through one node (cptctl_serve).
after_sigio() {
	cptctl_serve || return
	if cptctl_in "$scratch/sigio.inspect" "$scratch/sigio.inspect" inspect "$img"; then
		pass_if fown-sigio.inspect "inspect shows: $(grep -oE '(SIG[A-Z0-9]*|signal [0-9]*) to .*' "$scratch/sigio.inspect" | tr '\n' '|')" \
			inspect_shows_owners "$scratch/sigio.inspect"
	else
		result fown-sigio.inspect FAIL "$(tr '\n' ' ' <"$scratch/sigio.inspect")"
	fi
	cptctl_in "$scratch/sigio.json" "$scratch/json.err" inspect --json "$img"
	owner_edited hostile-owner 'if .ownerKind == "THREAD" then .ownerPid = 1 else . end' \
		"bad owner (no live task or process group of the tree)"
	owner_edited hostile-async-fd 'if .asyncFd == 9 then .asyncFd = 5 else . end' \
		"bad O_ASYNC fd"
	check_edited_restarts
}
