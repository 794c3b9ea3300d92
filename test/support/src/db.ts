import { randomBytes } from 'node:crypto';
import { createDatabaseFromTemplate, createOrm, dropDatabase, type Orm, withDatabase, withRole } from '@ops/db';
import { inject } from 'vitest';
import { testEnv } from './env.ts';

export interface TestDatabase {
  readonly name: string;
  /** admin (owner) URL of this database */
  readonly url: string;
  /** the same database as one of the service roles */
  urlAs(role: string): string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file (a clone of the run's template: ~50 ms). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ops_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  await createDatabaseFromTemplate(testEnv.DATABASE_URL, name, inject('templateDb'));
  const url = withDatabase(testEnv.DATABASE_URL, name);
  return {
    name,
    url,
    urlAs: (role) => withRole(url, role),
    drop: () => dropDatabase(testEnv.DATABASE_URL, name),
  };
}

export async function withOrm<T>(url: string, fn: (orm: Orm) => Promise<T>): Promise<T> {
  const orm = await createOrm({ url, poolMax: 4 });
  try {
    return await fn(orm);
  } finally {
    await orm.close();
  }
}
