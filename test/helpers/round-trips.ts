// The round trip (inspect --json, then encode: byte for byte) of the images
// a boot's scenarios wrote, run on the host: the guest driver copies each
// into the directory this names (CPT_ROUNDTRIP_DIR, in the repository that
// the guest shares), as <scenario>/<image>.img, instead of round-tripping
// it on the emulated CPU, some 40 times slower (test/guest/driver.ts).
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

import { roundTrip } from '../../src/commands/encode/round-trip.js';
import { packageRoot } from '../../src/package.js';
import type { CheckResult } from './guest.js';

/** Where the boot of the ava file `caller` (import.meta.url) has the driver put its images. */
export function roundTripDirFor(caller: string): string {
  return join(packageRoot, '.cache', 'roundtrip', basename(caller, '.js'));
}

/** Each scenario's round trips, as the driver would have reported them: roundtrip.<scenario>.<image> -> its result. */
export async function roundTripsUnder(dir: string): Promise<Map<string, Map<string, CheckResult>>> {
  const byScenario = new Map<string, Map<string, CheckResult>>();
  if (!existsSync(dir)) return byScenario;
  for (const scenario of readdirSync(dir).sort()) {
    const results = new Map<string, CheckResult>();
    for (const file of readdirSync(join(dir, scenario)).sort()) {
      const check = `roundtrip.${scenario}.${file.replace(/\.img$/, '')}`;
      const started = Date.now();
      try {
        const result = await roundTrip(join(dir, scenario, file));
        const took = ((Date.now() - started) / 1000).toFixed(2);
        results.set(check, {
          passed: true,
          detail: `${result.records} records, ${result.bytes} bytes, identical (${took} s, on the host)`,
        });
      } catch (error: unknown) {
        results.set(check, { passed: false, detail: (error instanceof Error ? error.message : String(error)).replace(/\n/g, ' ') });
      }
    }
    byScenario.set(scenario, results);
  }
  return byScenario;
}
