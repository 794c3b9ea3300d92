export * from './entities.ts';
export * from './roles.ts';
export * from './orm.ts';
export * from './admin.ts';
export { MIGRATIONS } from './migrations/index.ts';
export * from './sql-values.ts';
