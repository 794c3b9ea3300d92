import { createServiceLogger, type Logger } from '@ops/logging';
import { createLifecycle, installSignalHandlers, type Lifecycle } from './lifecycle.ts';

/**
 * The whole `main.ts` of a service: load config (every bad key reported at
 * once, exit 1 before anything starts), create the root logger (scrubbed by
 * the sanitizer, the service's own `secrets` removed verbatim), register
 * signals, start, and on failure to start log one fatal line and exit 1.
 * `start` registers its own shutdown steps on the lifecycle.
 */
export async function runService<C extends { LOG_LEVEL: string }>(options: {
  readonly name: string;
  readonly loadConfig: () => C;
  /** secrets of this process to remove verbatim from every log line (e.g. the Graph client secret) */
  readonly secrets?: (config: C) => readonly string[];
  readonly start: (context: { config: C; logger: Logger; lifecycle: Lifecycle }) => Promise<void>;
}): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig();
  } catch (err) {
    process.stderr.write(`${options.name}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const logger = createServiceLogger(options.name, { level: config.LOG_LEVEL, secrets: options.secrets?.(config) ?? [] });
  const lifecycle = createLifecycle(logger);
  installSignalHandlers(lifecycle, logger);
  try {
    await options.start({ config, logger, lifecycle });
  } catch (err) {
    logger.fatal({ err }, `${options.name} failed to start`);
    await lifecycle.shutdown('start failed');
    process.exit(1);
  }
}
