# shellcheck shell=sh
# The foundation: the module loads, `cptctl check` succeeds, the handshake
# refuses every bad input, and the module unloads cleanly.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_foundation() {
	if cptctl_in "$scratch/check.json" /dev/stderr check --json; then
		result cptctl-check-status PASS "exit status of cptctl check --json"
	else
		result cptctl-check-status FAIL "exit status of cptctl check --json"
	fi
	text_of check_json "$scratch/check.json"
	echo "CHECK-JSON $check_json"

	"$workloads/handshake_rules"

	# Unloading after use must succeed; while a file is open it must not.
	exec 3<>/dev/cpt
	if rmmod cpt 2>/dev/null; then
		result rmmod-refused-while-open FAIL "rmmod succeeded with /dev/cpt open"
		insmod "$cpt_ko"
	else
		result rmmod-refused-while-open PASS "rmmod refused while /dev/cpt is open"
	fi
	exec 3>&-
	if rmmod cpt && [ ! -e /dev/cpt ] && [ ! -d /sys/module/cpt ]; then
		result rmmod-after-use PASS "unloaded, /dev/cpt gone"
	else
		result rmmod-after-use FAIL "rmmod failed or left /dev/cpt behind"
	fi
	if insmod "$cpt_ko" && [ -c /dev/cpt ] && "$workloads/handshake_rules" >/dev/null && rmmod cpt; then
		result reload-cycle PASS "loaded, used and unloaded again"
	else
		result reload-cycle FAIL "second load/use/unload cycle failed"
	fi
}
