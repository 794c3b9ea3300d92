import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeMessage, decodeRequest, encodeJson } from './codec.ts';
import { OpsError } from './errors.ts';
import { ensureRunRequestV1 } from './messages/ensure-run.v1.ts';
import { getRunRequestV1 } from './messages/get-run.v1.ts';

const WORKSPACE = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const RUN = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
const bytes = (text: string) => new TextEncoder().encode(text);

describe('decodeMessage', () => {
  it('returns the parsed value for a valid payload', () => {
    const decoded = decodeMessage(getRunRequestV1, encodeJson({ workspace_id: WORKSPACE, run_id: RUN }), 1024);
    expect(decoded).toEqual({ ok: true, value: { workspace_id: WORKSPACE, run_id: RUN } });
  });

  it('applies schema defaults to the decoded value', () => {
    const payload = { workspace_id: WORKSPACE, type: 'assignments.fetch', initiator: { name: 'ops' } };
    const decoded = decodeMessage(ensureRunRequestV1, encodeJson(payload), 1024);
    expect(decoded.ok && decoded.value).toMatchObject({ tenant_id: null, inputs: {} });
  });

  it('refuses payloads larger than maxBytes as oversized', () => {
    const data = encodeJson({ workspace_id: WORKSPACE, run_id: RUN });
    const decoded = decodeMessage(getRunRequestV1, data, data.byteLength - 1);
    expect(decoded).toEqual({
      ok: false,
      reason: 'oversized',
      detail: `${data.byteLength} bytes exceeds the limit of ${data.byteLength - 1}`,
    });
  });

  it('accepts a payload of exactly maxBytes', () => {
    const data = encodeJson({ workspace_id: WORKSPACE, run_id: RUN });
    expect(decodeMessage(getRunRequestV1, data, data.byteLength).ok).toBe(true);
  });

  it('checks the size before anything else', () => {
    const decoded = decodeMessage(z.unknown(), new Uint8Array([0xff, 0xff, 0xff]), 2);
    expect(decoded.ok || decoded.reason).toBe('oversized');
  });

  it.each([
    ['a lone continuation byte', [0x7b, 0x80, 0x7d]],
    ['an invalid lead byte', [0x22, 0xff, 0x22]],
    ['a truncated multi-byte sequence', [0x22, 0xe2, 0x82]],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
  ])('refuses %s as invalid_encoding', (_label, raw) => {
    const decoded = decodeMessage(z.unknown(), new Uint8Array(raw), 1024);
    expect(decoded).toEqual({ ok: false, reason: 'invalid_encoding', detail: 'payload is not valid UTF-8' });
  });

  it('accepts valid multi-byte UTF-8', () => {
    expect(decodeMessage(z.string(), bytes('"Zürich ✓ 🚀"'), 1024)).toEqual({ ok: true, value: 'Zürich ✓ 🚀' });
  });

  it.each([
    ['truncated JSON', '{"workspace_id":'],
    ['plain text', 'hello'],
    ['an empty payload', ''],
    ['single-quoted JSON', "{'a':1}"],
  ])('refuses %s as invalid_json', (_label, text) => {
    const decoded = decodeMessage(z.unknown(), bytes(text), 1024);
    expect(decoded).toEqual({ ok: false, reason: 'invalid_json', detail: 'payload is not JSON' });
  });

  it('reports schema_invalid with the path of the bad field, never its value', () => {
    const secretish = 'not-a-uuid-hunter2-Sup3rS3cret';
    const decoded = decodeMessage(getRunRequestV1, encodeJson({ workspace_id: WORKSPACE, run_id: secretish }), 1024);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.reason).toBe('schema_invalid');
    expect(decoded.detail).toMatch(/^run_id: /);
    expect(decoded.detail).not.toContain('hunter2');
    expect(decoded.detail).not.toContain('Sup3rS3cret');
  });

  it('names nested paths and every bad field in schema_invalid details', () => {
    const payload = { workspace_id: 'nope', type: 'assignments.fetch', initiator: { name: '' } };
    const decoded = decodeMessage(ensureRunRequestV1, encodeJson(payload), 1024);
    if (decoded.ok) throw new Error('expected a failure');
    expect(decoded.reason).toBe('schema_invalid');
    const parts = decoded.detail.split('; ');
    expect(parts.some((p) => p.startsWith('workspace_id: '))).toBe(true);
    expect(parts.some((p) => p.startsWith('initiator.name: '))).toBe(true);
  });

  it('names an unknown key but not its value', () => {
    const payload = { workspace_id: WORKSPACE, run_id: RUN, client_secret: 'V3ryS3cretValue' };
    const decoded = decodeMessage(getRunRequestV1, encodeJson(payload), 1024);
    if (decoded.ok) throw new Error('expected a failure');
    expect(decoded.reason).toBe('schema_invalid');
    expect(decoded.detail).toContain('client_secret');
    expect(decoded.detail).not.toContain('V3ryS3cretValue');
  });

  it('uses (root) as the path when the whole payload has the wrong shape', () => {
    const decoded = decodeMessage(getRunRequestV1, bytes('[1,2,3]'), 1024);
    if (decoded.ok) throw new Error('expected a failure');
    expect(decoded.reason).toBe('schema_invalid');
    expect(decoded.detail).toMatch(/^\(root\): /);
  });
});

describe('decodeRequest', () => {
  it('returns the value of a valid request', () => {
    expect(decodeRequest(getRunRequestV1, encodeJson({ workspace_id: WORKSPACE, run_id: RUN }), 1024)).toEqual({
      workspace_id: WORKSPACE,
      run_id: RUN,
    });
  });

  it('throws a bad_request OpsError naming the reason and the issues', () => {
    let err: unknown;
    try {
      decodeRequest(getRunRequestV1, encodeJson({ workspace_id: WORKSPACE, run_id: 'secret-ish-value' }), 1024);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OpsError);
    const opsErr = err as OpsError;
    expect(opsErr.code).toBe('bad_request');
    expect(opsErr.message).toBe('invalid request: schema_invalid');
    expect(opsErr.issues).toHaveLength(1);
    expect(opsErr.issues[0]).toMatch(/^run_id: /);
    expect(opsErr.issues.join(' ')).not.toContain('secret-ish-value');
  });

  it.each([
    ['oversized', encodeJson({ workspace_id: WORKSPACE, run_id: RUN }), 10],
    ['invalid_encoding', new Uint8Array([0xc3, 0x28]), 1024],
    ['invalid_json', bytes('{'), 1024],
  ] as const)('throws bad_request for %s payloads', (reason, data, max) => {
    expect(() => decodeRequest(getRunRequestV1, data, max)).toThrow(
      expect.objectContaining({ code: 'bad_request', message: `invalid request: ${reason}` }),
    );
  });
});

describe('encodeJson', () => {
  it('round-trips through decodeMessage', () => {
    const value = { a: [1, 'två', null], b: { c: true } };
    expect(decodeMessage(z.unknown(), encodeJson(value), 1024)).toEqual({ ok: true, value });
  });
});
