import { writeFileSync } from 'node:fs';

/**
 * The bench's flag for counting `Error` objects (`node --import` of this file,
 * before the process's own modules load): every construction of `Error` or
 * one of the standard error types — and of every class that extends one,
 * since such classes are defined after this runs and their `super()` goes
 * through the wrapper — is counted. On SIGUSR2 the count so far is written to
 * BENCH_ERRORS_FILE; the bench asks at the start and at the end of a run.
 *
 * Not counted: errors V8 raises itself (a TypeError from reading a property of
 * undefined) and Node's internal errors, which use constructors captured
 * before any user code runs. What the hot path builds on purpose — nats.js'
 * errors with captured stacks, our own — is counted.
 */
const file = process.env['BENCH_ERRORS_FILE'];
let count = 0;

const NAMES = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError'] as const;
const globals = globalThis as unknown as Record<string, unknown>;
for (const name of NAMES) {
  const original = globals[name] as new (...args: unknown[]) => object;
  globals[name] = new Proxy(original, {
    construct(target, args, newTarget) {
      count += 1;
      return Reflect.construct(target, args, newTarget);
    },
    // `Error('x')` without `new` constructs one too
    apply(target, thisArg, args) {
      count += 1;
      return Reflect.apply(target as unknown as (...a: unknown[]) => object, thisArg, args);
    },
  });
}

if (file) {
  process.on('SIGUSR2', () => {
    writeFileSync(file, String(count));
  });
}
