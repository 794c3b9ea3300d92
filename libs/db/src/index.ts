export * from './admin.ts';
export * from './entities.ts';
export { MIGRATIONS } from './migrations/index.ts';
export * from './orm.ts';
export * from './roles.ts';
export * from './sql-values.ts';
