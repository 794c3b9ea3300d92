import {
  FAILURE_CODES,
  FAILURE_LIMITS,
  type FailureCode,
  type FailureEntry,
  type SummaryCounts,
  sanitizeMessage,
  type TerminalOutcome,
} from '@ops/contracts';

/**
 * Per-attempt counters and failures (FR-001..003): one entry per distinct
 * failure code with a count, a bounded list, sanitized messages. A new
 * attempt starts a new tally — counters are never carried over.
 */
export class Tally {
  total = 0;
  processed = 0;
  failed = 0;
  readonly #failures = new Map<FailureCode, FailureEntry>();

  constructor(total: number) {
    this.total = total;
  }

  succeed(): void {
    this.processed += 1;
  }

  fail(code: FailureCode, message: string, secrets: readonly string[] = []): void {
    this.failed += 1;
    const existing = this.#failures.get(code);
    if (existing) {
      this.#failures.set(code, { ...existing, count: existing.count + 1 });
    } else if (this.#failures.size < FAILURE_LIMITS.maxEntries) {
      this.#failures.set(code, { code, message: sanitizeMessage(message || FAILURE_CODES[code], { secrets }), count: 1 });
    }
  }

  counts(): SummaryCounts {
    return { total: this.total, processed: this.processed, failed: this.failed };
  }

  failures(): FailureEntry[] {
    return [...this.#failures.values()];
  }

  outcome(): TerminalOutcome {
    if (this.failed === 0) return 'succeeded';
    return this.processed === 0 ? 'failed' : 'partially_succeeded';
  }
}
