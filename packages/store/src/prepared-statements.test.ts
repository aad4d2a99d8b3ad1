/**
 * Registered statements run as named prepared statements on the real Postgres
 * (127.0.0.1:5432, `TEST_DATABASE_URL`), and answer as the same text unnamed does.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { type Database, openDatabase } from './database.ts';
import { prepared } from './prepared-statements.ts';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `prepared_${randomBytes(4).toString('hex')}`;
let database: Database;

const ECHO = prepared('test_echo', 'select n * 2 as twice from unnest($1::int[]) as n');

before(async () => {
  // One connection: the session whose prepared statements the test reads.
  database = await openDatabase({ kind: 'postgres', url, schema, maxConnections: 1 });
});
after(async () => {
  await sql.raw(`drop schema if exists "${schema}" cascade`).execute(database.db);
  await database.close();
});

const preparedNames = async () =>
  (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(database.db)).rows.map(
    (r) => r.name,
  );

test('a registered text runs as its named statement, prepared once per connection', async () => {
  assert.ok(!(await preparedNames()).includes('test_echo'));
  for (const values of [[1, 2], [5], []]) {
    const { rows } = await database.db.executeQuery<{ twice: number }>(CompiledQuery.raw(ECHO, [values]));
    assert.deepEqual(
      rows.map((r) => r.twice),
      values.map((v) => v * 2),
    );
  }
  assert.deepEqual(
    (await preparedNames()).filter((n) => n === 'test_echo'),
    ['test_echo'],
  );
});

test('any other text goes unnamed', async () => {
  const before = (await preparedNames()).length;
  const { rows } = await database.db.executeQuery<{ n: number }>(
    CompiledQuery.raw('select $1::int as n', [7]),
  );
  assert.equal(rows[0]?.n, 7);
  assert.equal((await preparedNames()).length, before);
});

test('one name cannot stand for two texts', () => {
  assert.throws(() => prepared('test_echo', 'select 1'), /two statements named test_echo/);
  assert.equal(prepared('test_echo', ECHO), ECHO);
});
