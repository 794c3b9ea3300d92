import { FAILURE_LIMITS } from './failure-codes.ts';

/**
 * Turns any error text into an operator-safe message (FR-008): no tokens,
 * JWTs, secrets, connection strings, stack traces or raw payloads, one line,
 * bounded length. Known secret values (from config) are removed verbatim as
 * well, so a secret echoed back by a peer in an unexpected shape still cannot
 * leak.
 */

const RULES: ReadonlyArray<readonly [RegExp, string | ((match: string) => string)]> = [
  // stack frames: "    at fn (file:1:2)"
  [/\n\s*at\s[^\n]*/g, ''],
  // URLs with credentials: postgres://user:pass@host/db, nats://u:p@h
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s/@]*@[^\s]*/gi, '[redacted-connection-string]'],
  // any other connection string for the databases and brokers we use
  [/\b(?:postgres(?:ql)?|mysql|redis|amqps?|nats|tls|mongodb(?:\+srv)?):\/\/[^\s"']+/gi, '[redacted-connection-string]'],
  // Authorization: Bearer xxx / Basic xxx
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  // JWTs
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  // "key": "quoted value, spaces included" for secret-ish keys
  [
    /((?:client_?secret|secret|password|passwd|pwd|token|access_token|refresh_token|id_token|api_?key|authorization|assertion)["']?\s*[:=]\s*)(["'])(?:(?!\2).)*\2/gi,
    '$1$2[redacted]$2',
  ],
  // key=value for secret-ish keys
  [
    /((?:client_?secret|secret|password|passwd|pwd|token|access_token|refresh_token|id_token|api_?key|authorization|assertion)["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi,
    '$1[redacted]',
  ],
  // standard base64 blobs — but not URL paths (/beta/deviceManagement/…), which
  // have few digits and no '+': random base64 of this length has both
  [/[A-Za-z0-9+/]{48,}={0,2}/g, (m) => (m.includes('+') || m.endsWith('=') || (m.match(/\d/g)?.length ?? 0) >= 4 ? '[redacted-blob]' : m)],
  // long opaque blobs (hex/base64url secrets, Azure client secrets); UUIDs stay
  [
    /(?<![A-Za-z0-9_~-])(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![A-Za-z0-9_~-]))[A-Za-z0-9_~-]{32,}/g,
    '[redacted-blob]',
  ],
  // raw JSON payloads
  [/\{[^{}]{120,}\}/g, '[payload]'],
];

interface SanitizeOptions {
  /** exact strings to remove wherever they appear (e.g. the Graph client secret) */
  readonly secrets?: readonly string[];
  readonly maxLength?: number;
}

export function sanitizeMessage(input: unknown, options: SanitizeOptions = {}): string {
  const max = options.maxLength ?? FAILURE_LIMITS.maxMessageLength;
  let text = typeof input === 'string' ? input : input instanceof Error ? input.message : safeString(input);
  const removeSecrets = () => {
    for (const secret of options.secrets ?? []) {
      if (secret.length >= 4) text = text.split(secret).join('[redacted]');
    }
  };
  removeSecrets();
  for (const [re, replacement] of RULES)
    text = typeof replacement === 'string' ? text.replace(re, replacement) : text.replace(re, replacement);
  // one line, printable characters only (Cc: U+0000–U+001F and U+007F–U+009F), well-formed
  // UTF-16 (an unpaired surrogate becomes U+FFFD): text PostgreSQL stores as it is
  text = text
    .toWellFormed()
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  // again: collapsing whitespace may have re-assembled a secret that contains some
  removeSecrets();
  if (text.length === 0) text = 'no details';
  if (text.length > max) text = max < 2 ? cut(text, Math.max(0, max)) : `${cut(text, max - 1)}…`;
  return text;
}

/** the first `n` UTF-16 units, never ending in half a surrogate pair (that half alone is text PostgreSQL refuses) */
function cut(text: string, n: number): string {
  const head = text.slice(0, n);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

function safeString(value: unknown): string {
  if (value === null || value === undefined) return '';
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return '';
  }
}
