import type { IncomingMessage, ServerResponse } from 'node:http';
import { isOpsError, sanitizeMessage } from '@ops/contracts';

/**
 * What every response carries. The pages load only their own files (no CDN:
 * the console works offline), no inline script or style, no framing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** The console's own error codes, beyond the ledger's (which pass through: bad_request, not_found, conflict, …). */
export type ConsoleErrorCode =
  | 'unauthorized'
  | 'csrf'
  | 'too_many'
  | 'not_found'
  | 'bad_request'
  | 'method_not_allowed'
  | 'payload_too_large';

/** An error the console answers itself, with its HTTP status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly code: ConsoleErrorCode;
  constructor(status: number, code: ConsoleErrorCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The ledger's error codes as HTTP statuses: a timeout is "try again" like an unavailable ledger. */
const LEDGER_STATUS: Readonly<Record<string, number>> = {
  bad_request: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
  timeout: 503,
  internal: 500,
};

/** Status and `{error:{code,message}}` of any failure; messages are sanitized, unexpected errors say nothing more. */
export function errorBody(err: unknown): { status: number; body: { error: { code: string; message: string } } } {
  if (err instanceof HttpError) return { status: err.status, body: { error: { code: err.code, message: err.message } } };
  if (isOpsError(err)) {
    const issues = err.issues.length > 0 ? ` (${err.issues.join('; ')})` : '';
    const message = sanitizeMessage(`${err.message}${issues}`, { maxLength: 500 });
    return { status: LEDGER_STATUS[err.code] ?? 500, body: { error: { code: err.code, message } } };
  }
  if ((err as Error)?.name === 'JobPublishError') {
    return { status: 503, body: { error: { code: 'unavailable', message: sanitizeMessage(err, { maxLength: 500 }) } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'unexpected error (see the console log)' } } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const { status, body } = errorBody(err);
  sendJson(res, status, body);
}

const MAX_BODY_BYTES = 64 * 1024;

/** The request body as text, at most 64 KiB (a larger one is refused before it is read whole). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'payload_too_large', 'the request body is larger than 64 KiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON object body (an action's); anything else is bad_request. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_request', 'the body must be a JSON object');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new HttpError(400, 'bad_request', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** The TCP peer's address, IPv4-mapped IPv6 written as IPv4 (so `127.0.0.1` matches either way). */
export function peerAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}
