import { type JetStreamManager, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { type DlqOrigin, HEADERS, type Names, sanitizeMessage } from '@ops/contracts';
import { isNotFound } from '@ops/nats';

/** One dead letter as printed: the docs/cli.md fields first, then what the writer adds (libs/nats dead-letter.ts). */
export interface DeadLetterJson {
  seq: number;
  subject: string;
  reason: string;
  /** when OPS_DLQ stored it (the server's timestamp: a publisher cannot forge it) */
  received_at: string;
  origin: string;
  detail: string | null;
  original_subject: string | null;
  original_stream: string | null;
  original_seq: number | null;
  /** the writer cut the original payload to fit */
  truncated: boolean;
  /** bytes of the stored payload; the payload itself is never shown (it may be hostile) */
  size: number;
}

/** The documented `opsctl dlq list --json` shape (docs/cli.md); the console's GET /api/dlq too. */
export interface DlqListJson {
  messages: DeadLetterJson[];
}

// header values come from whoever published the message: sanitized and bounded like any foreign text
const MAX = { reason: 100, detail: 300, subject: 200 } as const;
const TIMEOUT_MS = 5_000;

/**
 * The newest dead letters of OPS_DLQ (highest sequence first), at most
 * `limit`, optionally of one origin; never the payload. No stream yet is an
 * empty list. Least privilege: only STREAM.INFO and STREAM.MSG.GET on the
 * stream — no consumer and no account info ($JS.API.INFO, which checkAPI
 * would request first).
 */
export async function listDeadLetters(
  nc: NatsConnection,
  names: Names,
  options: { readonly limit: number; readonly origin?: DlqOrigin | undefined },
): Promise<DlqListJson> {
  const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: TIMEOUT_MS });
  try {
    return await readNewest(jsm, names, options.limit, options.origin);
  } catch (err) {
    if (isNotFound(err)) return { messages: [] };
    throw err;
  }
}

/** Walks back from the last sequence, one STREAM.MSG.GET per sequence; deleted or expired sequences are skipped. */
async function readNewest(jsm: JetStreamManager, names: Names, limit: number, origin: DlqOrigin | undefined): Promise<DlqListJson> {
  const stream = names.streams.dlq;
  const wanted = origin === undefined ? undefined : names.dlqSubject(origin);
  const info = await jsm.streams.info(stream, wanted === undefined ? undefined : { subjects_filter: wanted });
  const { first_seq, last_seq } = info.state;
  // how many can match: the walk stops once it found them all instead of reading the whole stream
  const matching = wanted === undefined ? info.state.messages : (info.state.subjects?.[wanted] ?? 0);
  const target = Math.min(limit, matching);
  const messages: DeadLetterJson[] = [];
  for (let seq = last_seq; seq >= first_seq && seq > 0 && messages.length < target; seq -= 1) {
    const msg = await jsm.streams.getMessage(stream, { seq });
    if (msg === null || (wanted !== undefined && msg.subject !== wanted)) continue;
    messages.push(describe(msg, names));
  }
  return { messages };
}

function describe(msg: StoredMsg, names: Names): DeadLetterJson {
  const h = (key: string): string | null => {
    const value = msg.header.get(key);
    return value === '' ? null : value;
  };
  const clean = (value: string | null, maxLength: number): string | null => (value === null ? null : sanitizeMessage(value, { maxLength }));
  // 'ops.dlq.>' → 'ops.dlq.': the origin is the rest of the subject
  const base = names.dlqWildcard.slice(0, -1);
  const originSeq = h(HEADERS.dlqOriginSeq);
  return {
    seq: msg.seq,
    subject: sanitizeMessage(msg.subject, { maxLength: MAX.subject }),
    reason: clean(h(HEADERS.dlqReason), MAX.reason) ?? 'unknown',
    received_at: storedAt(msg),
    origin: sanitizeMessage(msg.subject.startsWith(base) ? msg.subject.slice(base.length) : msg.subject, { maxLength: MAX.reason }),
    detail: clean(h(HEADERS.dlqDetail), MAX.detail),
    original_subject: clean(h(HEADERS.dlqOriginSubject), MAX.subject),
    original_stream: clean(h(HEADERS.dlqOriginStream), MAX.subject),
    original_seq: originSeq !== null && /^\d{1,15}$/.test(originSeq) ? Number(originSeq) : null,
    truncated: h(HEADERS.dlqTruncated) === 'true',
    size: msg.data.byteLength,
  };
}

/** The stream's own timestamp (nanosecond precision, cut to ms); the writer's header if it cannot be read. */
function storedAt(msg: StoredMsg): string {
  for (const candidate of [msg.time, new Date(msg.header.get(HEADERS.dlqReceivedAt))]) {
    if (!Number.isNaN(candidate.getTime())) return candidate.toISOString();
  }
  return new Date(0).toISOString();
}
