# shellcheck shell=sh
# Authenticated images (docs/security.md): with an image key loaded, images
# carry HMAC-SHA256 tags, and restart refuses one changed after the
# checkpoint (its CRCs made right again), made under another key, or not
# authenticated at all, unless root waives it with --allow-unauthenticated.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# files_holding_key KEY FILE...: prints each FILE that holds the bytes of
# file KEY, raw or in hex; one python3 for them all (each start costs under emulation).
files_holding_key() {
	python3 -c 'import sys
k = open(sys.argv[1], "rb").read()
for name in sys.argv[2:]:
    try:
        with open(name, "rb") as f:
            d = f.read()
    except OSError:
        continue
    if k in d or k.hex().encode() in d:
        print(name)' "$@"
}

# From the JSON $1.json of an authenticated image, three more: one byte of
# the first PAGES record's memory flipped ($1-PAGES.json), the first TASK's
# name changed ($1-TASK.json), the trailer's authentication dropped
# ($1-plain.json); `cptctl encode` makes each CRCs right. python3, whose
# start costs a fraction of node's under emulation.
tamper() {
	python3 - "$1" <<'PY'
import base64, json, sys

base = sys.argv[1]


def first(records, kind):
    return next(r for r in records if r.get("type") == kind)


def flip_page_byte(records):
    rec = first(records, "PAGES")
    data = bytearray(base64.b64decode(rec["data"]))
    data[100] ^= 0x01
    rec["data"] = base64.b64encode(bytes(data)).decode()


def rename_task(records):
    rec = first(records, "TASK")
    rec["message"]["comm"] = "counteX"
    rec.pop("payload", None)


def drop_authentication(records):
    rec = first(records, "TRAILER")
    for key in ("hmac", "keyId", "recordTags"):
        rec["message"].pop(key, None)
    rec.pop("payload", None)


for suffix, change in (("PAGES", flip_page_byte), ("TASK", rename_task), ("plain", drop_authentication)):
    with open(base + ".json", encoding="utf-8") as f:
        doc = json.load(f)
    change(doc["recordList"])
    with open(base + "-" + suffix + ".json", "w", encoding="utf-8") as f:
        json.dump(doc, f)
PY
}

# cptctl_batch COMMAND-LINES...: cptctl's command lines, each a stem and
# its arguments, between lone ';'s: $scratch/STEM.out, .err and .status.
# Run by cptctl_in's node: each cptctl run would cost seconds in the
# guest, node's start.
cptctl_batch() {
	while [ $# -gt 0 ]; do
		batch_stem=$1 batch_n=0
		shift
		for batch_arg in "$@"; do
			[ "$batch_arg" = ";" ] && break
			batch_n=$((batch_n + 1))
		done
		# cptctl_in with the line's arguments, $1 to $batch_n.
		batch_args= batch_i=1
		while [ $batch_i -le $batch_n ]; do
			batch_args="$batch_args \"\${$batch_i}\""
			batch_i=$((batch_i + 1))
		done
		eval "cptctl_in \"\$scratch/\$batch_stem.out\" \"\$scratch/\$batch_stem.err\" $batch_args"
		echo $? >"$scratch/$batch_stem.status"
		shift $batch_n
		[ $# -eq 0 ] || shift
	done
}
# The exit status of the batch's command STEM.
batch_status() { cat "$scratch/$1.status" 2>/dev/null; }
# Its output and errors on one line.
batch_said() { cat "$scratch/$1.out" "$scratch/$1.err" 2>/dev/null | tr -s ' \n' ' '; }

# A restart the batch's command STEM made in spite of what it was given, killed.
kill_restarted() {
	[ "$(batch_status "$1")" = 0 ] && kill -9 "$(cat "$scratch/$1.out")" 2>/dev/null
	wait_for_pid_gone "$pid"
}

# Root's cptctl calls go through cptctl_in's node, but the restart whose
# cptctl is looked at in /proc.
scenario_authenticated() {
	# Whatever happens, the scenarios after this one run without a key.
	trap '[ -n "${key_unloaded:-}" ] || "$cptctl" key unload >/dev/null 2>&1; chmod 0600 /dev/cpt' EXIT
	cptctl_serve || return
	key=$scratch/keys/one.key
	cptctl_batch generate key generate "$key" ";" load key load "$key" ";" check check --json
	mode=$(stat -c %a:%U "$key" 2>/dev/null)
	as_nobody cat "$key" >/dev/null 2>&1
	nobody_read=$?
	pass_if auth.key-file-root-only "key generate: $(batch_said generate); mode $mode; nobody's cat exited $nobody_read" \
		eval '[ "$mode" = 400:root ] && [ $nobody_read -ne 0 ]'

	id=$(sha256sum "$key" | cut -c1-16)
	pass_if auth.check-reports-key "key id $id; key load: $(batch_said load); check: $(grep -A1 '"key"' "$scratch/check.out" | tr -s ' \n' ' ')" \
		eval 'grep -q "$id" "$scratch/load.out" && grep -q "image key $id loaded" "$scratch/check.out" &&
			grep -q "\"keyId\": \"$id\"" "$scratch/check.out"'

	python3 "$repo/test/guest/key_abi.py" >"$scratch/abi.out" 2>&1
	abi=$?
	pass_if auth.key-ioctl-abi "$(tr '\n' ';' <"$scratch/abi.out")" [ $abi -eq 0 ]

	counter_checkpointed "$scratch/a.img"
	# cptctl waits for the restored counter: a cptctl to look at in /proc.
	"$cptctl" restart "$scratch/a.img" >/dev/null 2>"$scratch/ok.err" &
	waiting=$!
	wait_for_pid "$pid"
	pass_if auth.restart-ok "restart of the authenticated image: pid $pid $([ -d "/proc/$pid" ] && echo back || echo missing): $(tr '\n' ' ' <"$scratch/ok.err")" \
		[ -d "/proc/$pid" ]
	cptctl_in "$scratch/a.img.json" "$scratch/a.img.json" inspect "$scratch/a.img" --json
	pass_if auth.inspect-shows "inspect: $(grep -A4 '"authentication"' "$scratch/a.img.json" | tr -s ' \n' ' ')" \
		eval 'grep -A2 "\"authentication\"" "$scratch/a.img.json" | grep -q "\"kind\": \"authenticated\"" &&
			grep -A3 "\"authentication\"" "$scratch/a.img.json" | grep -q "\"keyId\": \"$id\""'
	# The key, raw or in hex, in nothing anyone reads: the image, what
	# cptctl prints, the module's parameters, kallsyms, a running cptctl's /proc files.
	leaks=$(files_holding_key "$key" "$scratch/a.img" "$scratch/a.img.json" "$scratch/check.out" "$scratch/load.out" \
		/sys/module/cpt/parameters/* /proc/kallsyms "/proc/$waiting/cmdline" "/proc/$waiting/environ" \
		"/proc/$waiting/status" "/proc/$waiting/maps" "/proc/$waiting/stack" "/proc/$pid/environ" | tr '\n' ' ')
	pass_if auth.key-not-exposed "files holding the key: ${leaks:-none}" [ -z "$leaks" ]
	kill -9 "$pid" 2>/dev/null
	wait "$waiting" 2>/dev/null
	wait_for_pid_gone "$pid"

	# The images changed after the checkpoint, then the image under another
	# key, then one not authenticated, each restart refused; one node.
	tamper "$scratch/a.img"
	other=$scratch/keys/other.key
	head -c 32 /dev/urandom >"$other"
	chmod 0400 "$other"
	cptctl_batch PAGES-encode encode "$scratch/a.img-PAGES.json" -o "$scratch/PAGES.img" ";" \
		PAGES restart "$scratch/PAGES.img" --detach ";" \
		TASK-encode encode "$scratch/a.img-TASK.json" -o "$scratch/TASK.img" ";" \
		TASK restart "$scratch/TASK.img" --detach ";" \
		other-load key load "$other" ";" other restart "$scratch/a.img" --detach ";" \
		key-load key load "$key" ";" \
		plain-encode encode "$scratch/a.img-plain.json" -o "$scratch/plain.img" ";" \
		plain restart "$scratch/plain.img" --detach
	for type in PAGES TASK; do
		status=$(batch_status $type)
		pass_if "auth.changed-$type-refused" "restart exited $status: $(batch_said $type)" \
			eval '[ "$status" = 6 ] && grep -q "($type) fails authentication" "$scratch/$type.err"'
		kill_restarted $type
	done
	status=$(batch_status other)
	pass_if auth.other-key-refused "restart under another key exited $status: $(batch_said other)" \
		eval '[ "$status" = 6 ] && grep -q "authenticated under key $id" "$scratch/other.err"'
	kill_restarted other
	status=$(batch_status plain)
	pass_if auth.unauthenticated-refused "restart exited $status: $(batch_said plain)" \
		eval '[ "$status" = 6 ] && grep -q "not authenticated" "$scratch/plain.err"'
	kill_restarted plain

	chmod 0644 "$scratch/plain.img"
	chmod 0711 "$scratch"
	chmod 0666 /dev/cpt
	cptctl_as nobody /dev/null "$scratch/nobody.err" restart "$scratch/plain.img" --detach --allow-unauthenticated
	status=$?
	cptctl_as nobody /dev/null "$scratch/nobody-unload.err" key unload
	unload=$?
	chmod 0600 /dev/cpt
	pass_if auth.allow-unauthenticated-root-only "nobody's --allow-unauthenticated restart exited $status: $(tr '\n' ' ' <"$scratch/nobody.err"); nobody's key unload exited $unload: $(tr '\n' ' ' <"$scratch/nobody-unload.err")" \
		eval '[ "$status" -eq 5 ] && grep -q "only root" "$scratch/nobody.err" && [ ! -d "/proc/$pid" ] &&
			[ $unload -ne 0 ] && grep -q EPERM "$scratch/nobody-unload.err"'
	cptctl_batch allowed restart "$scratch/plain.img" --detach --allow-unauthenticated ";" \
		unload key unload ";" check-after check
	[ "$(batch_status unload)" = 0 ] && key_unloaded=yes
	restored=$(cat "$scratch/allowed.out")
	pass_if auth.allow-unauthenticated "root's --allow-unauthenticated restart gave '$restored' (saved $pid): $(tr '\n' ' ' <"$scratch/allowed.err")" \
		eval '[ "$restored" = "$pid" ] && [ -d "/proc/$pid" ]'
	kill -9 "$pid" 2>/dev/null

	pass_if auth.unloaded "key unload: $(batch_said unload); check: $(grep key "$scratch/check-after.out")" \
		eval 'grep -q "unloaded image key $id" "$scratch/unload.out" && grep -q "no image key loaded" "$scratch/check-after.out"'
}
