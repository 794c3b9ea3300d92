/**
 * V8 heap limits of every long-running process of the system, as
 * NODE_OPTIONS. Without them V8 grows the heap as far as the machine allows
 * (a 24 GB machine: ledger-service ~260–300 MB, assignment-worker ~290–410 MB
 * peak RSS under the bench); with them the same load peaks at ~135 / ~165 MB
 * for ~10–25 % more CPU in the garbage collector (docs/performance.md, "Peak
 * RSS"). The old space keeps headroom over the ~40 MB live heap of a busy
 * worker; a 1 MB semi-space keeps the young generation from holding tens of
 * MB of garbage between scavenges.
 *
 * Applied by `pnpm start` and the bench (unless NODE_OPTIONS is already
 * set), and by the image (deploy/docker/Dockerfile `ENV NODE_OPTIONS`, a test
 * keeps the two equal). An operator overrides it with NODE_OPTIONS.
 */
export const SERVICE_NODE_OPTIONS = '--max-old-space-size=64 --max-semi-space-size=1';

/** NODE_OPTIONS for a service process: an explicit non-empty value wins. */
export function serviceNodeOptions(current: string | undefined): string {
  return current !== undefined && current.trim() !== '' ? current : SERVICE_NODE_OPTIONS;
}

/**
 * glibc's malloc arenas for every service process (MALLOC_ARENA_MAX). glibc
 * gives each thread that allocates — libuv's pool, V8's GC helpers — an arena
 * of its own, up to 8 per core, and keeps what was freed in each: measured
 * under a 10,000-run W1 (docs/performance.md, "Peak RSS"), the worker's heap
 * stayed flat at 36–47 MB while its RSS kept rising to 173 MB; with two
 * arenas the three runs of the full bench peaked at 142 MB (154 without).
 * Applied where SERVICE_NODE_OPTIONS is, the same way: an explicit value wins.
 */
export const SERVICE_MALLOC_ARENA_MAX = '2';

/** MALLOC_ARENA_MAX for a service process: an explicit non-empty value wins. */
export function serviceMallocArenaMax(current: string | undefined): string {
  return current !== undefined && current.trim() !== '' ? current : SERVICE_MALLOC_ARENA_MAX;
}
