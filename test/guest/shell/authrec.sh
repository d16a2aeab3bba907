# shellcheck shell=sh
# Authenticated images, cptctl's own records (docs/security.md): with an
# image key loaded, cptctl's manifest goes through the module
# (CPT_IOC_USER_RECORD), which tags it as it tags its own records, so that
# a changed manifest, a record taken from another image made under the same
# key, or an image cut short, is refused.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/authimg.sh
. "$0/authimg.sh" # lib.sh (counter_checkpointed), cptctl_batch, batch_status, batch_said, kill_restarted

# From the JSON of images A ($1.json) and B ($2.json), both made under the
# same key: A with its manifest changed ($1-MANIFEST.json), with B's
# manifest ($1-splice-MANIFEST.json), registers ($1-splice-CPU.json) or
# trailer ($1-splice-TRAILER.json); and A's bytes without its trailer
# ($1-truncated.cut).
authrec_tamper() {
	node_in /dev/stdout /dev/stderr '
const [a, b] = args;
const load = (base) => JSON.parse(fs.readFileSync(base + ".json", "utf8"));
const other = load(b).recordList;
const edit = (suffix, change) => {
  const doc = load(a);
  change(doc.recordList);
  fs.writeFileSync(a + "-" + suffix + ".json", JSON.stringify(doc));
};
edit("MANIFEST", (records) => {
  const rec = records.find((r) => r.type === "MANIFEST");
  rec.message.hostname = "forged";
  delete rec.payload;
});
for (const type of ["MANIFEST", "CPU", "TRAILER"]) {
  edit("splice-" + type, (records) => {
    records[records.findIndex((r) => r.type === type)] = other.find((r) => r.type === type);
  });
}
// The records, each a 16-byte header (its length at offset 8), the payload and a CRC: all but the last.
const image = fs.readFileSync(a);
let at = 0, last = 0;
while (at < image.length) {
  last = at;
  at += 16 + Number(image.readBigUInt64LE(at + 8)) + 4;
}
fs.writeFileSync(a + "-truncated.cut", image.subarray(0, last));
' "$1" "$2"
}

# Root's cptctl calls go through cptctl_in's node.
scenario_authrec() {
	# Whatever happens, the scenarios after this one run without a key.
	trap '[ -n "${key_unloaded:-}" ] || "$cptctl" key unload >/dev/null 2>&1' EXIT
	cptctl_serve || return
	mkdir -p "$scratch/keys"
	key=$scratch/keys/rec.key
	cptctl_batch generate key generate "$key" ";" load key load "$key"
	counter_checkpointed "$scratch/b.img"
	counter_checkpointed "$scratch/a.img"
	cptctl_batch a-json inspect "$scratch/a.img" --json ";" b-json inspect "$scratch/b.img" --json
	cp "$scratch/a-json.out" "$scratch/a.img.json"
	cp "$scratch/b-json.out" "$scratch/b.img.json"
	authrec_tamper "$scratch/a.img" "$scratch/b.img"

	# Each edited image encoded (CRCs right) and restarted: every one refused.
	set --
	for edit in MANIFEST splice-MANIFEST splice-CPU splice-TRAILER; do
		set -- "$@" "$edit-encode" encode "$scratch/a.img-$edit.json" -o "$scratch/$edit.img" ";" \
			"$edit" restart "$scratch/$edit.img" --detach ";"
	done
	cptctl_batch "$@" truncated restart "$scratch/a.img-truncated.cut" --detach
	for refusal in changed-MANIFEST:MANIFEST:MANIFEST spliced-MANIFEST:splice-MANIFEST:MANIFEST \
		spliced-CPU:splice-CPU:CPU; do
		check=${refusal%%:*} rest=${refusal#*:}
		stem=${rest%%:*} type=${rest#*:}
		status=$(batch_status "$stem")
		pass_if "authrec.$check-refused" "restart exited $status: $(batch_said "$stem")" \
			eval '[ "$status" = 6 ] && grep -q "($type) fails authentication" "$scratch/$stem.err"'
		kill_restarted "$stem"
	done
	status=$(batch_status splice-TRAILER)
	pass_if authrec.spliced-TRAILER-refused "restart exited $status: $(batch_said splice-TRAILER)" \
		eval '[ "$status" = 6 ] && grep -q "fails authentication" "$scratch/splice-TRAILER.err"'
	kill_restarted splice-TRAILER
	status=$(batch_status truncated)
	pass_if authrec.truncated-refused "restart exited $status: $(batch_said truncated)" \
		eval '[ "$status" = 6 ] && grep -q "ends before its trailer" "$scratch/truncated.err"'
	kill_restarted truncated

	cptctl_batch ok restart "$scratch/a.img" --detach
	restored=$(cat "$scratch/ok.out")
	pass_if authrec.restart-ok "restart under the key gave '$restored' (saved $pid): $(batch_said ok)" \
		eval '[ "$restored" = "$pid" ] && [ -d "/proc/$pid" ]'
	kill_restarted ok

	cptctl_batch unload key unload
	[ "$(batch_status unload)" = 0 ] && key_unloaded=yes
	cptctl_batch no-key restart "$scratch/MANIFEST.img" --detach
	restored=$(cat "$scratch/no-key.out")
	pass_if authrec.no-key "without a key, the changed manifest's restart gave '$restored' (saved $pid): $(batch_said no-key)" \
		eval '[ "$restored" = "$pid" ] && [ -d "/proc/$pid" ]'
	kill_restarted no-key
}
