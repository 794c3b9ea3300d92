import { FAILURE_CODE_LIST } from '@ops/contracts';
import fc from 'fast-check';

/**
 * fast-check arbitraries of hostile messages (issue #6 item 5). Every
 * generated message carries the outcome the design promises for it, so the
 * storm can check each message individually, not just "nothing crashed".
 */

/** A secret-like string planted in payloads: it must never reach a log line, a DLQ detail or an error reply. */
export const PLANTED_SECRET_WORD = 'Hunter2-s3cr3t-badinput';
export const PLANTED_SECRET = `postgres://ops_admin:${PLANTED_SECRET_WORD}@db.internal:5432/ledger`;
/** A marker placed in hostile payloads: no raw payload may be echoed into a log line. */
export const PAYLOAD_MARKER = 'HOSTILE-PAYLOAD-7f3a9c';

export const BASE_SEED = Number(process.env['BAD_INPUT_SEED'] ?? 20260601);
/** multiplies every target's message count (CI: 1) */
export const SCALE = Number(process.env['BAD_INPUT_SCALE'] ?? 1);

const enc = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One hostile message and what must happen to it. */
export interface Hostile {
  /** generator class, for the per-class histogram */
  readonly label: string;
  /** subject suffix, where the target has several (ledger event kind, job subject token) */
  readonly subject?: string;
  readonly data: Uint8Array;
  /** DLQ reason, 'ignored' (ledger: stale but well-formed), an API error code, or 'empty_ok' (read-only list of an unknown workspace) */
  readonly expect: readonly string[];
}

export const uuid4 = fc.uuid({ version: 4 });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

/** JSON text of `obj` plus one extra key — built as text so "__proto__" stays an own key. */
export function withExtraKey(obj: Record<string, unknown>, key: string, value: unknown): string {
  const base = JSON.stringify(obj);
  const rest = base === '{}' ? '' : `,${base.slice(1, -1)}`;
  return `{${JSON.stringify(key)}:${JSON.stringify(value ?? null)}${rest}}`;
}

const junkString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    PLANTED_SECRET,
    `password=${PLANTED_SECRET_WORD}`,
    PAYLOAD_MARKER,
    '',
    ' ',
    '\u0000',
    '\ud800',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style literal is the bad input
    '${jndi:ldap://x}',
    "'; DROP TABLE operation_runs; --",
  ),
);

/** any JSON value, sometimes with the planted secret */
const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: junkString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, [], {}) },
);

const extraKeyName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'client_secret', 'password', PLANTED_SECRET, 'toString'),
);

/**
 * Structural damage to a valid object, each a guaranteed schema violation:
 * a required key removed, a key set to a wrong value, an unknown key added.
 */
export function mutated(
  base: fc.Arbitrary<Record<string, unknown>>,
  required: readonly string[],
  wrong: Record<string, readonly unknown[]>,
): fc.Arbitrary<{ how: string; text: string }> {
  const wrongKeys = Object.keys(wrong);
  return fc.oneof(
    fc.tuple(base, fc.constantFrom(...required)).map(([obj, key]) => {
      const copy = { ...obj };
      delete copy[key];
      return { how: 'missing_field', text: JSON.stringify(copy) };
    }),
    fc
      .tuple(base, fc.constantFrom(...wrongKeys))
      .chain(([obj, key]) =>
        fc.constantFrom(...wrong[key]!).map((value) => ({ how: 'wrong_value', text: JSON.stringify({ ...obj, [key]: value }) })),
      ),
    fc
      .tuple(base, extraKeyName, junkValue)
      .filter(([obj, key]) => !Object.hasOwn(obj, key))
      .map(([obj, key, value]) => ({ how: 'extra_field', text: withExtraKey(obj, key, value) })),
  );
}

const BAD_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
];

/**
 * Byte-level garbage around a valid message text: invalid UTF-8, non-JSON,
 * empty, too large, deeply nested, valid JSON of the wrong shape. `limit` is
 * the receiver's size limit; the expectations are given per target.
 */
export function garbage(
  validText: fc.Arbitrary<string>,
  limit: number,
  expectations: { oversized: string; encoding: string; json: string; schema: string; empty?: string },
): fc.Arbitrary<Hostile> {
  const options: Array<fc.WeightedArbitrary<Hostile>> = [
    {
      weight: 4,
      arbitrary: fc.tuple(validText, fc.constantFrom(...BAD_UTF8), fc.nat()).map(([text, bad, at]) => {
        const bytes = enc.encode(text);
        const pos = bytes.length === 0 ? 0 : at % bytes.length;
        const data = new Uint8Array([...bytes.subarray(0, pos), ...bad, ...bytes.subarray(pos)]);
        return { label: 'invalid_utf8', data, expect: [expectations.encoding] };
      }),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 200 }),
          validText.map((t) => t.slice(0, Math.max(1, t.length - 1))),
          fc.constantFrom(
            '{',
            '{"v":1,',
            'undefined',
            'NaN',
            "{'v':1}",
            '[1,]',
            '{"a":1}}',
            PLANTED_SECRET,
            `{"x":"${PAYLOAD_MARKER}"`,
            '\u0000',
            '--\r\n',
          ),
        )
        .filter((t) => enc.encode(t).length > 0 && !isJson(t))
        .map((t) => ({ label: 'not_json', data: enc.encode(t), expect: [expectations.json] })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: limit + 1, max: Math.min(limit * 4, 600 * 1024) }).map((size) => {
        const filler = `${PAYLOAD_MARKER} ${PLANTED_SECRET} `;
        const pad = filler.repeat(Math.ceil(size / filler.length)).slice(0, size);
        return { label: 'oversized', data: enc.encode(JSON.stringify({ v: 1, pad })), expect: [expectations.oversized] };
      }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.integer({ min: 50, max: Math.floor(limit / 6) - 10 }), fc.boolean()).map(([depth, arrays]) => {
        const text = arrays
          ? `${'['.repeat(depth)}"${PAYLOAD_MARKER}"${']'.repeat(depth)}`
          : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
        return { label: 'deep_nesting', data: enc.encode(text), expect: [expectations.schema] };
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .jsonValue({ maxDepth: 4 })
        .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
        .map((v) => ({ label: 'non_object_json', data: enc.encode(JSON.stringify(v)), expect: [expectations.schema] })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1000, max: limit - 400 }).map((n) => ({
        label: 'huge_string_field',
        data: enc.encode(
          JSON.stringify({
            v: 1,
            run_id: PAYLOAD_MARKER.repeat(Math.ceil(n / PAYLOAD_MARKER.length)).slice(0, n),
            workspace_id: PLANTED_SECRET,
          }),
        ),
        expect: [expectations.schema],
      })),
    },
  ];
  if (expectations.empty)
    options.push({ weight: 1, arbitrary: fc.constant({ label: 'empty', data: new Uint8Array(0), expect: [expectations.empty] }) });
  return fc.oneof(...options);
}

export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function isUtf8(data: Uint8Array): boolean {
  try {
    utf8.decode(data);
    return true;
  } catch {
    return false;
  }
}

export const json = (label: string, value: unknown, expect: readonly string[]): Hostile => ({
  label,
  data: enc.encode(JSON.stringify(value)),
  expect,
});
export const text = (label: string, t: string, expect: readonly string[]): Hostile => ({ label, data: enc.encode(t), expect });

/** ISO instants over the whole range the schema accepts (1970 … 9999), with odd offsets. */
export const anyInstant = fc
  .tuple(
    fc.date({ min: new Date('1970-01-02T00:00:00.000Z'), max: new Date('9999-12-30T00:00:00.000Z'), noInvalidDate: true }),
    fc.constantFrom('Z', '+00:00', '+14:00', '-12:00', '+23:59'),
  )
  .map(([d, offset]) => (offset === 'Z' ? d.toISOString() : d.toISOString().replace('Z', offset)));

export const BAD_UUIDS: readonly unknown[] = [
  '',
  'not-a-uuid',
  123,
  null,
  true,
  PLANTED_SECRET,
  'x'.repeat(3000),
  '6f1c2b9e7a3d4f5e8a9b0c1d2e3f4a5b',
  '{6f1c2b9e-7a3d-4f5e-8a9b-0c1d2e3f4a5b}',
  '6f1c2b9e-7a3d-4f5e-8a9b-0c1d2e3f4a5',
  ['6f1c2b9e-7a3d-4f5e-8a9b-0c1d2e3f4a5b'],
  { id: 1 },
];
export const BAD_DATES: readonly unknown[] = [
  '',
  'yesterday',
  '2025-13-01T00:00:00Z',
  '2025-02-30T00:00:00Z',
  '2025-01-01T00:00:00',
  '2025-01-01 10:00:00Z',
  '-000001-01-01T00:00:00Z',
  '0000-06-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  0,
  1735689600000,
  null,
  PLANTED_SECRET,
];
export const BAD_COUNTS: readonly unknown[] = [
  { total: -1, processed: 0, failed: 0 },
  { total: 1, processed: 2, failed: 0 },
  { total: 2, processed: 1, failed: 2 },
  { total: 1e10, processed: 0, failed: 0 },
  { total: 3, processed: -1, failed: 0 },
  { total: 3, processed: 1.5, failed: 0 },
  { total: '3', processed: 0, failed: 0 },
  { total: 3, processed: 0 },
  { total: 3, processed: 0, failed: 0, skipped: 0 },
  null,
  [],
  'x',
];
export const BAD_FAILURES: readonly unknown[] = [
  [{ code: 'no.such_code', message: 'x', count: 1 }],
  [{ code: FAILURE_CODE_LIST[0], message: '', count: 1 }],
  [{ code: FAILURE_CODE_LIST[0], message: 'x', count: 0 }],
  [{ code: FAILURE_CODE_LIST[0], message: 'x', count: -5 }],
  [{ code: FAILURE_CODE_LIST[0], message: 'x', count: 1, secret: PLANTED_SECRET }],
  [{ code: FAILURE_CODE_LIST[0], message: 'x'.repeat(5000), count: 1 }],
  'x',
  null,
  {},
];
export const hex64Arb = hex64;
