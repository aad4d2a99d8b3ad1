export { sql } from 'kysely';
export { type Database, type DatabaseConfig, openDatabase } from './database.ts';
export { listMigrations, type Migration, migrate } from './migrate.ts';
export { PGliteDialect } from './pglite-dialect.ts';
export type { Schema } from './schema.ts';
export { isUniqueViolation, type Tenant, TenantsRepository } from './tenants-repository.ts';
