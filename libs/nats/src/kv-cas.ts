import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/**
 * A KV compare-and-set refused: `create` on an existing key, or `update`/
 * `delete` at a revision that is no longer the last ("wrong last sequence";
 * 2.10+ servers may answer the "unknown" variant). For a lease holder it
 * means someone else wrote the entry.
 */
export function isKvCasError(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
