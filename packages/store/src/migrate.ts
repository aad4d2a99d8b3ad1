/**
 * The forward-only migration runner: `migrations/NNNN_name.sql` files run in order, once
 * each, inside one transaction under an advisory lock, so concurrent replicas never race.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { syncStateChecks } from './machine-tables.ts';
import type { Schema } from './schema.ts';

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
/** Arbitrary constant naming our migration lock. */
const MIGRATION_LOCK_ID = 7_242_001;

/** One migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The migrations shipped with this package, in order. */
export function listMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      sql: readFileSync(join(dir, f), 'utf8'),
    }));
}

/**
 * Applies every pending migration, then makes the machine tables' state checks match the
 * machines; returns the names of the migrations it ran.
 */
export async function migrate(db: Kysely<Schema>, migrations = listMigrations()): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`.execute(trx);
    await sql`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`.execute(trx);
    const applied = new Set(
      (await trx.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version),
    );
    const ran: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await sql.raw(m.sql).execute(trx);
      await trx.insertInto('schema_migrations').values({ version: m.version, name: m.name }).execute();
      ran.push(`${String(m.version).padStart(4, '0')}_${m.name}`);
    }
    // The state checks come from the machines, not from a migration: see machine-tables.ts.
    await syncStateChecks(trx);
    return ran;
  });
}
