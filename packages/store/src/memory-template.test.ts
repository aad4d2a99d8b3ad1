/**
 * In-memory databases from the migrated template: each is its own (what one writes the next does
 * not see) and has every migration applied, as a database migrated from scratch has.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openMigratedMemoryDatabase } from './memory-template.ts';
import { listMigrations, migrate } from './migrate.ts';
import { TenantsRepository } from './tenants-repository.ts';

test('databases from the template are migrated, and each is its own', async () => {
  const a = await openMigratedMemoryDatabase();
  const b = await openMigratedMemoryDatabase();
  try {
    const versions = async (db: typeof a) =>
      (await db.db.selectFrom('schema_migrations').select('version').orderBy('version').execute()).map(
        (r) => r.version,
      );
    const all = listMigrations().map((m) => m.version);
    assert.deepEqual(await versions(a), all);
    assert.deepEqual(await migrate(a.db), [], 'nothing left to apply');
    await new TenantsRepository(a.db).create('only-in-a');
    const inB = await sql<{
      n: number;
    }>`select count(*)::int as n from tenants where name = 'only-in-a'`.execute(b.db);
    assert.equal(inB.rows[0]?.n, 0);
    assert.deepEqual(await versions(b), all);
  } finally {
    await a.close();
    await b.close();
  }
});
