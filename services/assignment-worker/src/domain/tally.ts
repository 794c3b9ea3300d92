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
 * attempt starts a new tally — counters are never carried over. Counters
 * count items (policies), each once: `begin()` marks the item in flight,
 * `succeed()` / `fail()` end it; a failure of the whole attempt (`failRun`)
 * counts only the item in flight, if any, and is otherwise an entry of the
 * failure summary — so processed + failed never exceeds total, wherever the
 * attempt fails (before the selection, mid-item, after the last item).
 */
export class Tally {
  total = 0;
  processed = 0;
  failed = 0;
  readonly #failures = new Map<FailureCode, FailureEntry>();
  #inFlight = false;

  constructor(total: number) {
    this.total = total;
  }

  /** an item starts */
  begin(): void {
    this.#inFlight = true;
  }

  succeed(): void {
    this.processed += 1;
    this.#inFlight = false;
  }

  /** the item in flight failed */
  fail(code: FailureCode, message: string, secrets: readonly string[] = []): void {
    this.failed += 1;
    this.#inFlight = false;
    this.#entry(code, message, secrets);
  }

  /** the whole attempt failed: the item in flight (if any) failed with it; the failure is named once */
  failRun(code: FailureCode, message: string, secrets: readonly string[] = []): void {
    if (this.#inFlight && this.processed + this.failed < this.total) this.failed += 1;
    this.#inFlight = false;
    this.#entry(code, message, secrets);
  }

  #entry(code: FailureCode, message: string, secrets: readonly string[]): void {
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
