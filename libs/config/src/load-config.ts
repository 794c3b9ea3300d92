import { z } from 'zod';

/**
 * loadConfig(schema, env): parse the environment once, in main.ts, against
 * one zod schema; report EVERY bad key at once (never its value — it may be
 * a secret) and return a frozen object that is passed down. No other module
 * reads process.env.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): Readonly<z.infer<S>> {
  // an empty variable means "use the default", like an unset one
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.map(String).join('.') || '(root)';
      return `${key}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  return Object.freeze(parsed.data);
}

/** Documentation of a schema's keys, from each key's `.describe()` and default (README table, tests). */
export function describeKeys(schema: z.ZodObject): Array<{ key: string; description: string; default: string }> {
  return Object.entries(schema.shape).map(([key, field]) => {
    const f = field as z.ZodType;
    const parsed = f.safeParse(undefined);
    const def = parsed.success && parsed.data !== undefined ? String(parsed.data) : '';
    return { key, description: f.description ?? '', default: def };
  });
}

/** Integer env var with bounds. */
export function intKey(def: number, min: number, max: number) {
  return z.coerce.number().int().min(min).max(max).default(def);
}

/** Boolean env var: true/false/1/0/yes/no. */
export function boolKey(def: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
}
