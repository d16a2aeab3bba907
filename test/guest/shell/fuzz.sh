# shellcheck shell=sh
# After a structured fuzzer's batch (test/guest/scenarios/fuzz.ts, the row
# $name): the module unloads, so no session or reference was leaked.
# The driver runs it as sh -c '. "$0/FILE.sh" && FN' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

module_unloads() {
	pass_if "$name.module-unloads" "rmmod cpt after the structured mutants" rmmod cpt
	insmod "$cpt_ko"
}
