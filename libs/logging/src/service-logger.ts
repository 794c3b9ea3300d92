import { sanitizeMessage } from '@ops/contracts';
import type { DestinationStream, Logger } from 'pino';
import { createLogger } from './create-logger.ts';

/**
 * The root logger of a process (a service, opsctl, a test's capture): JSON
 * lines at `level`, every logged message and stack scrubbed by the contracts'
 * sanitizer, and `secrets` (the process's own, e.g. the Graph client secret)
 * removed verbatim wherever they appear.
 */
export function createServiceLogger(
  service: string,
  options: { readonly level: string; readonly secrets?: readonly string[]; readonly destination?: DestinationStream },
): Logger {
  const secrets = options.secrets ?? [];
  return createLogger({
    service,
    level: options.level,
    scrub: (t) => sanitizeMessage(t, { maxLength: 2000, secrets }),
    ...(options.destination === undefined ? {} : { destination: options.destination }),
  });
}
