import { loadConfig, sharedKeys } from '@ops/config';
import { z } from 'zod';

/**
 * The servers the tests use: the same keys and defaults as the services
 * (NATS_URL, DATABASE_URL), so CI and a developer's machine need nothing
 * extra. DATABASE_URL must be an admin URL (it creates databases).
 */
export const testEnv = loadConfig(z.object({ NATS_URL: sharedKeys.NATS_URL, DATABASE_URL: sharedKeys.DATABASE_URL }));
