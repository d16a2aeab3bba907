# shellcheck shell=sh
# For boot 1's test of the driver (test/helpers/guest-boot.ts): what it must survive.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# Never ends, and leaves a child behind that the driver must kill.
scenario_hangs() {
	echo "RESULT hangs.started PASS about to hang"
	sleep 600 &
	sleep 600
}
