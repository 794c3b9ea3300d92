import type { Logger } from 'pino';

/**
 * Ordered, run-once shutdown (docs/architecture.md, Service lifecycle): steps run in the order
 * they were added — stop pulling → finish in-flight work → drain NATS →
 * close the ORM → flush logs. A step that throws or overruns its deadline is
 * logged and skipped; the rest still run. A second signal forces exit.
 */
export interface Lifecycle {
  addStep(name: string, step: () => Promise<void> | void, timeoutMs?: number): void;
  shutdown(reason: string): Promise<void>;
  readonly signal: AbortSignal;
}

export function createLifecycle(logger: Logger): Lifecycle {
  const steps: Array<{ name: string; step: () => Promise<void> | void; timeoutMs: number }> = [];
  const controller = new AbortController();
  let running: Promise<void> | null = null;
  return {
    signal: controller.signal,
    addStep(name, step, timeoutMs = 15_000) {
      steps.push({ name, step, timeoutMs });
    },
    shutdown(reason) {
      running ??= (async () => {
        logger.info({ reason }, 'shutting down');
        controller.abort();
        for (const { name, step, timeoutMs } of steps) {
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              Promise.resolve().then(step),
              new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`shutdown step timed out after ${timeoutMs} ms`)), timeoutMs);
              }),
            ]);
          } catch (err) {
            logger.error({ err, step: name }, 'shutdown step failed');
          } finally {
            clearTimeout(timer);
          }
        }
        logger.info('shutdown complete');
        logger.flush();
      })();
      return running;
    },
  };
}

/** SIGTERM/SIGINT → graceful shutdown then exit 0; a second signal exits at once. */
export function installSignalHandlers(lifecycle: Lifecycle, logger: Logger): void {
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal: sig }, 'second signal: forcing exit');
      process.exit(130);
    }
    void lifecycle.shutdown(sig).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
