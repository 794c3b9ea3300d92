import { intKey, sharedKeys } from '@ops/config';
import { z } from 'zod';

/** The seed job's configuration: the shared keys plus what to seed. */
export const seedConfigSchema = z.object({
  ...sharedKeys,
  SEED_WORKSPACE_SLUG: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes')
    .default('default')
    .describe('slug of the seeded workspace'),
  SEED_TENANTS: intKey(3, 0, 1000).describe('number of seeded tenants'),
  SEED_POLICIES_PER_TENANT: intKey(3, 0, 100).describe('policies seeded per tenant'),
});
