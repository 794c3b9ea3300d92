/**
 * A KV compare-and-set refused: `create` on an existing key, or `update`/
 * `delete` at a revision that is no longer the last (JetStream API error
 * 10071, "wrong last sequence"). For a lease holder it means someone else
 * wrote the entry.
 */
export function isKvCasError(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string } | null;
  if (e?.api_error?.err_code === 10071 || e?.code === 10071) return true;
  return typeof e?.message === 'string' && /wrong last sequence|key exists/i.test(e.message);
}
