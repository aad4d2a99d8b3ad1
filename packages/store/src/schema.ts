/**
 * The database schema as Kysely sees it. Each table's interface matches its migration.
 */
import type { ColumnType, Generated } from 'kysely';

/** `tenants`: the customers of the LSP; every record of theirs points here. */
export interface TenantsTable {
  id: string;
  name: string;
  created_at: ColumnType<Date, never, never>;
}

/** `schema_migrations`: which numbered migrations have run. */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<Date>;
}

/** All tables. */
export interface Schema {
  tenants: TenantsTable;
  schema_migrations: SchemaMigrationsTable;
}
