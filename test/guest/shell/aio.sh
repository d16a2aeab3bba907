# shellcheck shell=sh
# AIO contexts: what inspect shows after the aio-state cycle.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the aio-state cycle: inspect shows the three rings, their sizes and
# unreaped completions (three, five and none).
after_aio_state() {
	cptctl_in "$scratch/aio.inspect" "$scratch/aio.inspect" inspect "$img"
	pass_if aio-state.inspect "inspect shows: $(grep -E 'aio ring' "$scratch/aio.inspect" | tr -s ' ' | tr '\n' '|')" \
		sh -c '[ "$(grep -cE "aio ring 0x[0-9a-f]+: [0-9]+ events \(io_setup\([0-9]+\)\), head [0-9]+, tail [0-9]+, [0-9]+ unreaped" "$0")" -eq 3 ] &&
			grep -qE "aio ring .*io_setup\(16\)\), head 1, tail 4, 3 unreaped: data 0x2222 res 3, data 0x3333 res 4, data 0x4444 res -14$" "$0" &&
			grep -qE "aio ring .*io_setup\(1\)\), .* 5 unreaped: data 0x7d res 0," "$0" &&
			grep -qE "aio ring .*io_setup\(4\)\), head 0, tail 0, 0 unreaped$" "$0"' "$scratch/aio.inspect"
}
