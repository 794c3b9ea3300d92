import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitizeMessage } from './sanitize.ts';

const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwidGlkIjoiYWJjIn0.c2lnbmF0dXJlLXBhcnQ';

describe('sanitizeMessage removes secrets', () => {
  it('removes bearer tokens', () => {
    const out = sanitizeMessage('request failed: Authorization: Bearer abc.DEF-123_xyz~token= rejected');
    expect(out).not.toContain('abc.DEF-123_xyz~token');
    expect(out).toContain('[redacted]');
    expect(out).toContain('rejected');
  });

  it('removes basic credentials', () => {
    expect(sanitizeMessage('sent Basic dXNlcjpwYXNzd29yZA== to proxy')).toBe('sent Basic [redacted] to proxy');
  });

  it('removes JWTs', () => {
    const out = sanitizeMessage(`token ${JWT} expired`);
    expect(out).not.toContain('eyJ');
    expect(out).toBe('token [redacted-jwt] expired');
  });

  it('removes client_secret=... form values', () => {
    const out = sanitizeMessage('POST /oauth2/v2.0/token body client_secret=Abc~8Q.secretvalue&grant_type=client_credentials');
    expect(out).not.toContain('Abc~8Q.secretvalue');
    expect(out).toContain('client_secret=[redacted]');
    expect(out).toContain('grant_type=client_credentials');
  });

  it('keeps Graph URL paths readable, still redacts base64 blobs', () => {
    const path = 'GET /beta/deviceManagement/deviceConfigurations/p1/assignments answered HTTP 404';
    expect(sanitizeMessage(path)).toBe(path);
    const blob = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');
    expect(sanitizeMessage(`cert ${blob} end`)).toBe('cert [redacted-blob] end');
  });

  it('removes a quoted secret value that contains spaces, whole', () => {
    const out = sanitizeMessage('{"password": "correct horse battery staple", "user": "ops"}');
    expect(out).toContain('"password": "[redacted]"');
    for (const word of ['correct', 'horse', 'battery', 'staple']) expect(out).not.toContain(word);
    expect(out).toContain('"user": "ops"');
  });

  it('removes a known secret that contains whitespace even after lines are joined', () => {
    expect(sanitizeMessage('value ab c here', { secrets: ['ab c'] })).not.toContain('ab c');
    expect(sanitizeMessage('value ab\nc here', { secrets: ['ab c'] })).not.toContain('ab c');
  });

  it('removes "password": "..." JSON values', () => {
    const out = sanitizeMessage('login body {"user":"ops","password": "hunter2!"} refused');
    expect(out).not.toContain('hunter2');
    expect(out).toContain('"password": "[redacted]"');
    expect(out).toContain('"user":"ops"');
  });

  it('removes postgres connection strings with credentials', () => {
    const out = sanitizeMessage('connect ECONNREFUSED postgres://ledger:pa55w0rd@db.internal:5432/ops?sslmode=require');
    expect(out).not.toContain('pa55w0rd');
    expect(out).not.toContain('db.internal');
    expect(out).toBe('connect ECONNREFUSED [redacted-connection-string]');
  });

  it('removes nats connection strings with credentials', () => {
    const out = sanitizeMessage('cannot reach nats://worker:natsPass1@nats-0.nats:4222 (timeout)');
    expect(out).not.toContain('natsPass1');
    expect(out).toBe('cannot reach [redacted-connection-string] (timeout)');
  });

  it('removes postgres and nats URLs without credentials as well', () => {
    expect(sanitizeMessage('db at postgresql://db.internal/ops down')).toBe('db at [redacted-connection-string] down');
    expect(sanitizeMessage('nats://10.0.0.7:4222 closed')).toBe('[redacted-connection-string] closed');
  });

  it('removes stack-trace lines', () => {
    const err = new Error('Graph call failed');
    err.message = 'Graph call failed\n    at fetchPolicy (/app/src/graph.ts:10:5)\n    at async run (/app/src/job.ts:3:1)';
    expect(sanitizeMessage(err)).toBe('Graph call failed');
  });

  it('removes long hex and base64 blobs', () => {
    const hex = 'deadbeef'.repeat(8);
    expect(sanitizeMessage(`key ${hex} used`)).toBe('key [redacted-blob] used');
    const b64 = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo+/abcdefghij+/klmnopqrstu==';
    const out = sanitizeMessage(`blob ${b64} end`);
    expect(out).not.toContain('QUJDREVGR0hJSktMTU5PUFFS');
    expect(out).toContain('[redacted-blob]');
    expect(out.endsWith(' end')).toBe(true);
  });

  it('removes explicitly passed secrets wherever they appear', () => {
    const out = sanitizeMessage('peer said: bad credential "Q~x7.s3cr3t" (Q~x7.s3cr3t)', { secrets: ['Q~x7.s3cr3t'] });
    expect(out).not.toContain('s3cr3t');
    expect(out).toBe('peer said: bad credential "[redacted]" ([redacted])');
  });

  it('ignores explicit secrets shorter than 4 characters', () => {
    expect(sanitizeMessage('abc def', { secrets: ['abc', ''] })).toBe('abc def');
  });
});

describe('sanitizeMessage keeps useful text', () => {
  it('keeps UUIDs, status codes and ordinary words intact', () => {
    const text = 'Graph returned 503 Service Unavailable for policy 3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    expect(sanitizeMessage(text)).toBe(text);
  });

  it('keeps an upper-case UUID and a run type readable', () => {
    const text = 'assignments.fetch: policy 3F2504E0-4F89-41D3-9A0C-0305E82C3301 not found (404 Not Found)';
    expect(sanitizeMessage(text)).toBe(text);
  });

  it('takes the message of an Error and stringifies other values', () => {
    expect(sanitizeMessage(new Error('Graph throttled (429)'))).toBe('Graph throttled (429)');
    expect(sanitizeMessage({ status: 404 })).toBe('{"status":404}');
    expect(sanitizeMessage(42)).toBe('42');
  });
});

describe('sanitizeMessage output shape', () => {
  it('returns a single line with collapsed whitespace', () => {
    expect(sanitizeMessage('  first line\r\nsecond\tline\u0000\u0007 third  ')).toBe('first line second line third');
  });

  it('returns text PostgreSQL can store: an unpaired surrogate becomes U+FFFD, and a cut never splits a pair (issue #16)', () => {
    expect(sanitizeMessage('bad \ud800 half')).toBe('bad \ufffd half');
    // the 10th unit is the first half of an emoji: the cut drops it rather than leave it alone
    const cut = sanitizeMessage('123456789\u{1F600}tail', { maxLength: 11 });
    expect(cut).toBe('123456789…');
    expect(cut.isWellFormed()).toBe(true);
    expect(sanitizeMessage('12345678\u{1F600}tail', { maxLength: 11 })).toBe('12345678\u{1F600}…');
  });

  it('is never empty', () => {
    expect(sanitizeMessage('')).toBe('no details');
    expect(sanitizeMessage(' \n\t ')).toBe('no details');
    expect(sanitizeMessage(null)).toBe('no details');
    expect(sanitizeMessage(undefined)).toBe('no details');
  });

  it('is at most 500 characters by default, ending with an ellipsis when cut', () => {
    const out = sanitizeMessage('word '.repeat(400));
    expect(out).toHaveLength(500);
    expect(out.endsWith('…')).toBe(true);
  });

  it('honours a custom maxLength', () => {
    expect(sanitizeMessage('one two three four', { maxLength: 8 })).toBe('one two…');
    expect(sanitizeMessage('short', { maxLength: 8 })).toBe('short');
  });

  it('replaces long raw JSON payloads', () => {
    const payload = JSON.stringify({ value: Array.from({ length: 40 }, (_, i) => `n${i}`).join(' ') });
    expect(sanitizeMessage(`body ${payload}`)).toBe('body [payload]');
  });
});

describe('sanitizeMessage properties', () => {
  // the replacement markers themselves; a "secret" that is part of one would trivially appear
  const MARKERS = '[redacted] [redacted-jwt] [redacted-blob] [redacted-connection-string] [payload] no details';
  const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-');
  const secretArb = fc.string({ unit: alnum, minLength: 4, maxLength: 40 }).filter((s) => !MARKERS.includes(s));
  const textArb = fc.string({
    unit: fc.oneof(fc.constantFrom('\n', '\t', ' ', '=', ':', '"', '@', '/'), fc.string({ minLength: 1, maxLength: 1 })),
    maxLength: 200,
  });

  it('never outputs an explicit secret and stays within maxLength', () => {
    fc.assert(
      fc.property(textArb, secretArb, textArb, fc.integer({ min: 1, max: 600 }), (before, secret, after, maxLength) => {
        const out = sanitizeMessage(`${before}${secret}${after}`, { secrets: [secret], maxLength });
        expect(out).not.toContain(secret);
        expect(out.length).toBeLessThanOrEqual(maxLength);
        expect(out.length).toBeGreaterThan(0);
        expect(out).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 300 },
    );
  });
});
