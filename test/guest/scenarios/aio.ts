// AIO contexts (io_setup()) and their rings through checkpoint -> kill ->
// restart: unreaped completions, a ring that wrapped, an empty context; the
// contexts keep their ids (the rings' addresses), take new requests and end
// with io_destroy(). The refusal of a request in flight is aio-refused
// (fanotify-aio.ts).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shellHook } from './rows.js';

export const aioScenarios: readonly Scenario[] = [
  {
    name: 'aio-state',
    run: cycle('aio_state', inDir, { after: shellHook('aio', 'after_aio_state') }),
    timeoutSeconds: 60,
    costSeconds: 2,
    checks: {
      'aio-state.checkpoint': 'a process holding three AIO contexts with unreaped completions is checkpointed and killed',
      'aio-state.exit-status': 'the restarted process checks its AIO contexts and ends well',
      'aio-state.ring': "a context's ring is back at its id, with its head and tail, as a program reading it sees them",
      'aio-state.events': 'io_getevents() on the old id gives the unreaped completions with the same data, obj and res',
      'aio-state.events-wrapped': 'a ring whose tail wrapped around gives its unreaped completions in order',
      'aio-state.submit': 'new requests on each restored context complete',
      'aio-state.destroy': 'io_destroy() ends each restored context',
      'aio-state.inspect': 'inspect shows each ring: its address, its size in events and its unreaped completions',
    },
  },
];
