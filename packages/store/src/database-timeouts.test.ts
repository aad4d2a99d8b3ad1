/**
 * The Postgres pool's timeouts, on the real Postgres (127.0.0.1:5432, `TEST_DATABASE_URL`):
 * a statement running too long is cancelled, a transaction left idle is ended (its locks
 * released), and a query waiting for a connection gives up, each as an error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { type Database, openDatabase } from './database.ts';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `timeouts_${randomBytes(4).toString('hex')}`;
let database: Database;

before(async () => {
  database = await openDatabase({
    kind: 'postgres',
    url,
    schema,
    maxConnections: 1,
    connectionTimeoutMs: 300,
    statementTimeoutMs: 300,
    idleInTransactionTimeoutMs: 300,
  });
});
after(async () => {
  await sql.raw(`drop schema if exists "${schema}" cascade`).execute(database.db);
  await database.close();
});

test('a statement running past statement_timeout is cancelled', async () => {
  await assert.rejects(sql`select pg_sleep(2)`.execute(database.db), /statement timeout/);
  // The connection is still usable afterwards.
  await database.ping();
});

test('a transaction left idle past idle_in_transaction_session_timeout is ended', async () => {
  await assert.rejects(
    database.db.transaction().execute(async (tx) => {
      await sql`select 1`.execute(tx);
      // The caller stalls (a frozen process, a hung call) with the transaction open.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await sql`select 1`.execute(tx);
    }),
    /idle-in-transaction|terminat|not queryable/i,
  );
  await database.ping();
});

test('a query waiting for a connection gives up after connectionTimeoutMs', async () => {
  const one = await openDatabase({
    kind: 'postgres',
    url,
    schema,
    maxConnections: 1,
    connectionTimeoutMs: 200,
  });
  try {
    // The only connection is held by a transaction for a second: another query cannot get one.
    let held!: () => void;
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    const transaction = one.db.transaction().execute(async (tx) => {
      await sql`select 1`.execute(tx);
      held();
      await sql`select pg_sleep(1)`.execute(tx);
    });
    await holding;
    await assert.rejects(sql`select 1`.execute(one.db), /timeout exceeded when trying to connect/i);
    await transaction;
    await one.ping();
  } finally {
    await one.close();
  }
});
