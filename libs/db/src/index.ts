// The public entry of @ops/db: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { createDatabaseFromTemplate, dropDatabase, ensureDatabaseExists } from './admin.ts';
export { Policy, Tenant, Workspace } from './entities.ts';
export { pgErrorClass, pgErrorCode } from './errors.ts';
export { createOrm, migrate, pingDb } from './orm.ts';
export { DB_ROLES, describeDatabase, withDatabase, withRole } from './roles.ts';
export { uuidArray } from './sql-values.ts';

export type { Orm } from './orm.ts';
