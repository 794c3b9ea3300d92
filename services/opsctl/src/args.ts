import { z } from 'zod';

/**
 * zod shapes of command-line values (parseArgs gives strings). Messages are
 * written to follow the option name the framework prints first:
 * `--workspace: must be a UUID`.
 */

/** A UUID option or positional; a missing one says so rather than "expected string". */
export function uuidArg() {
  return z.uuid({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a UUID') });
}

/** A whole number in [min, max] given as text. */
export function intArg(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string({ error: message })
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().int().min(min, message).max(max, message));
}

/** One of a fixed list, naming the valid values when it is not. */
export function choiceArg<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) =>
      `${issue.input === undefined ? 'is required' : `'${String(issue.input)}' is not valid`} — one of ${values.join(', ')}`,
  });
}
