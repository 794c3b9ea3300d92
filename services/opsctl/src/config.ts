import { ConfigError, type Env, loadConfig, sharedKeys } from '@ops/config';
import { z } from 'zod';
import { CliError } from './errors.ts';

/** opsctl reads the same keys, with the same defaults, as the services (docs/cli.md). */
export const opsctlConfigSchema = z.object({ ...sharedKeys });
export type OpsctlConfig = z.infer<typeof opsctlConfigSchema>;

/** Loaded only when a command runs, so `--help` works whatever the environment holds. */
export function loadOpsctlConfig(env?: Env): Readonly<OpsctlConfig> {
  try {
    return loadConfig(opsctlConfigSchema, env);
  } catch (err) {
    // a bad environment is a bad argument (exit 2); ConfigError never includes values
    if (err instanceof ConfigError) {
      throw new CliError(2, `invalid configuration: ${err.problems.join('; ')} — fix the environment variable(s)`, { cause: err });
    }
    throw err;
  }
}
