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

# restart_edited CHECK JQ WORDS: the image with the File of the first
# process's Files record that JQ selects edited by JQ; its restart must be
# refused, the message saying WORDS.
restart_edited() {
	jq "(.recordList | map(.type) | index(\"FILES\")) as \$i |
		.recordList[\$i].message.files |= map($2)" "$scratch/sigio.json" >"$scratch/$1.json" &&
		"$cptctl" encode "$scratch/$1.json" -o "$scratch/$1.img" >/dev/null 2>"$scratch/$1.err" &&
		"$cptctl" restart --detach "$scratch/$1.img" >/dev/null 2>"$scratch/$1.err"
	status=$?
	pass_if "fown-sigio.$1" "restart exited $status: $(tr '\n' ' ' <"$scratch/$1.err")" \
		grep -q "$3" "$scratch/$1.err"
}

after_sigio() {
	if "$cptctl" inspect "$img" >"$scratch/sigio.inspect" 2>&1; then
		pass_if fown-sigio.inspect "inspect shows: $(grep -oE '(SIG[A-Z0-9]*|signal [0-9]*) to .*' "$scratch/sigio.inspect" | tr '\n' '|')" \
			inspect_shows_owners "$scratch/sigio.inspect"
	else
		result fown-sigio.inspect FAIL "$(tr '\n' ' ' <"$scratch/sigio.inspect")"
	fi
	"$cptctl" inspect --json "$img" >"$scratch/sigio.json" 2>"$scratch/json.err"
	restart_edited hostile-owner 'if .ownerKind == "THREAD" then .ownerPid = 1 else . end' \
		"bad owner (no live task or process group of the tree)"
	restart_edited hostile-async-fd 'if .asyncFd == 9 then .asyncFd = 5 else . end' \
		"bad O_ASYNC fd"
}
