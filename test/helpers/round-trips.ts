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

/** One scenario's round trips, as the driver would have reported them: roundtrip.<scenario>.<image> -> its result. */
export async function roundTripsOf(dir: string, scenario: string): Promise<Map<string, CheckResult>> {
  const results = new Map<string, CheckResult>();
  if (!existsSync(join(dir, scenario))) return results;
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
  return results;
}

/** Each scenario's round trips (roundTripsOf), by scenario, but those of `done`: already round-tripped. */
export async function roundTripsUnder(dir: string, done: ReadonlySet<string> = new Set()): Promise<Map<string, Map<string, CheckResult>>> {
  const byScenario = new Map<string, Map<string, CheckResult>>();
  if (!existsSync(dir)) return byScenario;
  for (const scenario of readdirSync(dir).sort()) {
    if (!done.has(scenario)) byScenario.set(scenario, await roundTripsOf(dir, scenario));
  }
  return byScenario;
}

/**
 * The round trips of a boot's images while it runs: each scenario's, once
 * the driver says it ended (its SCENARIO-END line; the driver wrote its
 * copies through to the host before, test/guest/driver.ts), one after
 * another, so that only the last scenario's are left when the boot ends:
 * they were some 4 s of a slot's idle time for each quarter of the table,
 * the host round-tripping a boot's images after it.
 */
export class RoundTripsAsTheyCome {
  private readonly results = new Map<string, Map<string, CheckResult>>();
  private queue: Promise<void> = Promise.resolve();
  private partial = '';

  constructor(private readonly dir: string) {}

  /** Some of the boot's standard output, as it comes. */
  stdout(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const name = /^SCENARIO-END (\S+) /.exec(line)?.[1];
      if (name === undefined) continue;
      this.queue = this.queue.then(async () => {
        this.results.set(name, await roundTripsOf(this.dir, name));
      });
    }
  }

  /** Once the boot ended: every scenario's round trips, those of scenarios it never said ended too. */
  async all(): Promise<Map<string, Map<string, CheckResult>>> {
    await this.queue;
    for (const [scenario, results] of await roundTripsUnder(this.dir, new Set(this.results.keys()))) this.results.set(scenario, results);
    return this.results;
  }
}
