/**
 * The table of migrations run.
 */
import type { Generated } from 'kysely';

/** `schema_migrations`: which numbered migrations have run. */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<Date>;
}
