// The entry for services that use PostgreSQL without the ORM (`@ops/db/pg`):
// nothing here loads MikroORM.

export type { PgErrorClass } from './errors.ts';
export { pgErrorClass, pgErrorCode } from './errors.ts';
export type { Pool, PoolOptions } from './pool.ts';
export { createPool, pingPool, queryUntilAborted } from './pool.ts';
export { uuidArray } from './sql-values.ts';
