/**
 * Story: the store behaves the same on embedded PGlite and on real Postgres: migrations run
 * once, records round-trip, conflicts are codes, failed transactions leave nothing behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isLspError } from '@blgv/core';
import {
  type Database,
  type DatabaseConfig,
  migrate,
  openDatabase,
  sql,
  TenantsRepository,
} from '@blgv/store';

const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `store_test_${randomBytes(4).toString('hex')}`;

const dialects: Record<string, DatabaseConfig> = {
  pglite: { kind: 'pglite', dataDir: 'memory' },
  postgres: { kind: 'postgres', url: postgresUrl, schema },
};

after(async () => {
  // Drop the throwaway schema the Postgres run used.
  const admin = await openDatabase({ kind: 'postgres', url: postgresUrl });
  await sql.raw(`drop schema if exists ${schema} cascade`).execute(admin.db);
  await admin.close();
});

for (const [name, config] of Object.entries(dialects)) {
  describe(`store on ${name}`, () => {
    let database: Database;
    before(async () => {
      database = await openDatabase(config);
    });
    after(() => database?.close());

    test('migrations run once, in order, and a second run does nothing', async () => {
      const ran = await migrate(database.db);
      assert.deepEqual(ran, ['0001_tenants']);
      assert.deepEqual(await migrate(database.db), []);
      const rows = await database.db.selectFrom('schema_migrations').select(['version', 'name']).execute();
      assert.deepEqual(rows, [{ version: 1, name: 'tenants' }]);
    });

    test('tenants round-trip and names are unique', async () => {
      const tenants = new TenantsRepository(database.db);
      const acme = await tenants.create('acme');
      assert.match(acme.id, /^[0-9a-f-]{36}$/);
      assert.ok(acme.createdAt instanceof Date);
      assert.deepEqual(await tenants.get(acme.id), acme);
      assert.equal(await tenants.get('not-a-uuid'), undefined);
      await assert.rejects(tenants.create('acme'), (e) => isLspError(e, 'conflict'));
      assert.deepEqual(
        (await tenants.list()).map((t) => t.name),
        ['acme'],
      );
    });

    test('int8 values come back as exact bigints', async () => {
      const big = 2n ** 62n + 1n;
      const r = await sql<{ v: bigint }>`select ${big.toString()}::int8 as v`.execute(database.db);
      assert.equal(r.rows[0]?.v, big);
    });

    test('a failed transaction leaves no half-written record', async () => {
      const tenants = new TenantsRepository(database.db);
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await new TenantsRepository(trx).create('half');
          throw new Error('abort after the first write');
        }),
        /abort after/,
      );
      assert.equal(
        (await tenants.list()).some((t) => t.name === 'half'),
        false,
      );
    });

    test('concurrent writes queue up instead of interleaving', async () => {
      const tenants = new TenantsRepository(database.db);
      await Promise.all(Array.from({ length: 20 }, (_, i) => tenants.create(`t${i}`)));
      assert.equal((await tenants.list()).filter((t) => /^t\d+$/.test(t.name)).length, 20);
    });
  });
}
