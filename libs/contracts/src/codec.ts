import type { z } from 'zod';
import { OpsError } from './errors.ts';
import { describeIssues } from './messages/common.ts';

/**
 * Decoding of bus payloads: bytes → strict UTF-8 → JSON → zod. Each step has
 * its own reason so a dead letter says exactly what was wrong.
 */
const DECODE_REASONS = ['oversized', 'invalid_encoding', 'invalid_json', 'schema_invalid'] as const;
type DecodeReason = (typeof DECODE_REASONS)[number];

type Decoded<T> = { ok: true; value: T } | { ok: false; reason: DecodeReason; detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export function decodeMessage<S extends z.ZodType>(schema: S, data: Uint8Array, maxBytes: number): Decoded<z.infer<S>> {
  if (data.byteLength > maxBytes) {
    return { ok: false, reason: 'oversized', detail: `${data.byteLength} bytes exceeds the limit of ${maxBytes}` };
  }
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { ok: false, reason: 'invalid_encoding', detail: 'payload is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'payload is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: 'schema_invalid', detail: describeIssues(parsed.error).join('; ') };
  }
  return { ok: true, value: parsed.data };
}

/** Same as decodeMessage but throws a bad_request OpsError (request/reply handlers). */
export function decodeRequest<S extends z.ZodType>(schema: S, data: Uint8Array, maxBytes: number): z.infer<S> {
  const decoded = decodeMessage(schema, data, maxBytes);
  if (decoded.ok) return decoded.value;
  throw new OpsError('bad_request', `invalid request: ${decoded.reason}`, { issues: decoded.detail.split('; ') });
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}
