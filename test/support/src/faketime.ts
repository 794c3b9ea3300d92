import { execFileSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './process.ts';

let library: string | undefined;

/**
 * The environment that runs a process with its wall clock shifted by
 * `offsetSeconds` (libfaketime, Debian bookworm's, fetched and verified into
 * .tools/ by .ci/debian-fetch.sh): `Date.now()` moves, the monotonic clock
 * (performance.now, timers) does not — FAKETIME_DONT_FAKE_MONOTONIC — which is
 * what two hosts with skewed clocks look like to each other.
 */
export function faketimeEnv(offsetSeconds: number): Record<string, string> {
  if (!library) {
    const root = execFileSync('bash', [join(ROOT, '.ci/debian-fetch.sh'), 'bookworm', 'libfaketime'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    const [found] = globSync('usr/lib/*/faketime/libfaketime.so.1', { cwd: root });
    if (!found) throw new Error(`no libfaketime.so.1 in ${root}`);
    library = join(root, found);
  }
  return {
    LD_PRELOAD: library,
    FAKETIME: `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}s`,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}
