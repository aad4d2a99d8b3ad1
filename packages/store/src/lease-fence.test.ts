/**
 * Fenced leases on the real Postgres (127.0.0.1:5432, `TEST_DATABASE_URL`): every taking draws
 * a greater token, a renewal keeps it; a write made under a stale token is refused in its own
 * transaction (nothing of it is written); one refused by the local clock never reaches the
 * database; a takeover waits for the old holder's fenced transaction to end while a renewal
 * does not.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ErrorCode, isLspError } from '@blgv/core';
import { CompiledQuery, sql } from 'kysely';
import { type Database, openDatabase } from './database.ts';
import { writes } from './fenced-dialect.ts';
import { JobLeasesRepository } from './job-leases-repository.ts';
import { type LeaseFence, withLeaseFence } from './lease-fence.ts';
import { migrate } from './migrate.ts';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `fence_${randomBytes(4).toString('hex')}`;
let database: Database;
let leases: JobLeasesRepository;

before(async () => {
  database = await openDatabase({ kind: 'postgres', url, schema });
  await migrate(database.db);
  await sql`create table scratch (job text not null, n int not null)`.execute(database.db);
  leases = new JobLeasesRepository(database.db);
});
after(async () => {
  await sql.raw(`drop schema if exists "${schema}" cascade`).execute(database.db);
  await database.close();
});

/** A fence as a runner makes it: `held` says what the local clock says; refusals are counted. */
function fence(lease: string, token: bigint, held = () => true) {
  const refusals: string[] = [];
  const f: LeaseFence = { lease, token, held, refused: (_, by) => refusals.push(by) };
  return { f, refusals };
}

const insert = (job: string, n: number) => sql`insert into scratch (job, n) values (${job}, ${n})`;
const rows = async (job: string) =>
  (
    await sql<{ n: number }>`select n from scratch where job = ${job} order by n`.execute(database.db)
  ).rows.map((r) => r.n);
/** Runs the lease out now (as time would). */
const expire = (name: string) =>
  sql`update job_leases set expires_at = now() - interval '1 second' where name = ${name}`.execute(
    database.db,
  );

function assertLeaseLost(err: unknown): true {
  assert.ok(isLspError(err, ErrorCode.LeaseLost), `lease_lost, got ${String(err)}`);
  return true;
}

test('every taking draws a greater token; a renewal keeps it; an expired lease is taken anew', async () => {
  const first = await leases.acquire('a', ['tokens'], 60_000);
  const t1 = first.get('tokens');
  assert.ok(t1 !== undefined);
  assert.equal((await leases.acquire('a', ['tokens'], 60_000)).get('tokens'), t1, 'renewed: same token');
  assert.equal((await leases.acquire('b', ['tokens'], 60_000)).size, 0, 'held by a: not taken');
  await expire('tokens');
  const t2 = (await leases.acquire('b', ['tokens'], 60_000)).get('tokens');
  assert.ok(t2 !== undefined && t2 > t1, `b took it with a greater token (${t2} > ${t1})`);
  await expire('tokens');
  const t3 = (await leases.acquire('b', ['tokens'], 60_000)).get('tokens');
  assert.ok(t3 !== undefined && t3 > t2, 'its own expired lease taken again: a new token');
  await leases.release('b');
  const t4 = (await leases.acquire('a', ['tokens'], 60_000)).get('tokens');
  assert.ok(t4 !== undefined && t4 > t3, 'given back and taken: a new token');
  assert.equal((await leases.list()).find((l) => l.name === 'tokens')?.token, t4);
});

test('a write under a stale token is refused in its own transaction; reads are not', async () => {
  const t1 = (await leases.acquire('a', ['writer'], 60_000)).get('writer') ?? -1n;
  const a = fence('writer', t1);
  await withLeaseFence(a.f, () => insert('writer', 1).execute(database.db));
  await withLeaseFence(a.f, () =>
    database.db.transaction().execute(async (tx) => {
      await insert('writer', 2).execute(tx);
      await insert('writer', 3).execute(tx);
    }),
  );
  await expire('writer');
  const t2 = (await leases.acquire('b', ['writer'], 60_000)).get('writer') ?? -1n;
  assert.ok(t2 > t1);
  await assert.rejects(
    withLeaseFence(a.f, () => insert('writer', 4).execute(database.db)),
    assertLeaseLost,
  );
  // In a transaction: the refused write takes the transaction down, reads before it included.
  await assert.rejects(
    withLeaseFence(a.f, () =>
      database.db.transaction().execute(async (tx) => {
        await sql`select count(*) from scratch`.execute(tx);
        await insert('writer', 5).execute(tx);
      }),
    ),
    assertLeaseLost,
  );
  assert.deepEqual(a.refusals, ['database', 'database']);
  // Reads are never refused; the new holder writes.
  assert.deepEqual(await withLeaseFence(a.f, () => rows('writer')), [1, 2, 3]);
  const b = fence('writer', t2);
  await withLeaseFence(b.f, () => insert('writer', 6).execute(database.db));
  assert.deepEqual(await rows('writer'), [1, 2, 3, 6]);
  // Outside a job nothing is checked.
  await insert('writer', 7).execute(database.db);
});

test('a write the local clock refuses never reaches the database', async () => {
  const t = (await leases.acquire('a', ['clock'], 60_000)).get('clock') ?? -1n;
  const a = fence('clock', t, () => false);
  await assert.rejects(
    withLeaseFence(a.f, () => insert('clock', 1).execute(database.db)),
    assertLeaseLost,
  );
  assert.deepEqual(a.refusals, ['clock']);
  assert.deepEqual(await rows('clock'), []);
});

test("a takeover waits for the old holder's fenced transaction; a renewal does not", async () => {
  const t1 = (await leases.acquire('a', ['slow'], 60_000)).get('slow') ?? -1n;
  const a = fence('slow', t1);
  let commit!: () => void;
  const committing = new Promise<void>((r) => {
    commit = r;
  });
  let written!: () => void;
  const wrote = new Promise<void>((r) => {
    written = r;
  });
  const open = withLeaseFence(a.f, () =>
    database.db.transaction().execute(async (tx) => {
      await insert('slow', 1).execute(tx);
      written();
      await committing;
    }),
  );
  await wrote;
  // The holder renews while its own fenced transaction is open.
  const renewed = await leases.acquire('a', ['slow'], 60_000, { lockTimeoutMs: 200 });
  assert.equal(renewed.get('slow'), t1, 'renewed without waiting');
  // Run out (a replica frozen mid-transaction): another cannot take it while the transaction is open.
  await expire('slow');
  assert.equal((await leases.acquire('b', ['slow'], 60_000, { lockTimeoutMs: 200 })).size, 0);
  commit();
  await open;
  const t2 = (await leases.acquire('b', ['slow'], 60_000, { lockTimeoutMs: 200 })).get('slow');
  assert.ok(t2 !== undefined && t2 > t1, 'taken once the transaction ended');
  assert.deepEqual(await rows('slow'), [1], 'the write made before the takeover stands');
});

test('what counts as a write', () => {
  const raw = (text: string) => writes(CompiledQuery.raw(text));
  for (const text of ['select 1', ' SELECT pg_advisory_xact_lock(1)', 'show lock_timeout', 'begin', 'commit'])
    assert.equal(raw(text), false, text);
  for (const text of [
    'insert into t values (1)',
    'update t set a = 1',
    'delete from t',
    'with x as (delete from t returning *) select * from x',
    "select nextval('s')",
    'select * from t for update',
    '/* hi */ truncate t',
  ])
    assert.equal(raw(text), true, text);
  const q = (b: { compile(): CompiledQuery }) => writes(b.compile());
  assert.equal(q(database.db.selectFrom('job_leases').selectAll()), false);
  assert.equal(q(database.db.deleteFrom('job_leases')), true);
  assert.equal(q(database.db.updateTable('job_leases').set({ holder: 'x' })), true);
  assert.equal(
    q(
      database.db
        .with('gone', (db) => db.deleteFrom('job_leases').returning('name'))
        .selectFrom('gone')
        .selectAll(),
    ),
    true,
  );
});
