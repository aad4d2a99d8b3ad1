/**
 * A throwaway schema on the test Postgres for one benchmark run, migrated, and dropped again.
 */
import { randomBytes } from 'node:crypto';
import { type Database, migrate, openDatabase, sql } from '@blgv/store';

/** Opens a fresh migrated schema; `drop()` removes it and closes the connection. */
export async function benchDatabase(): Promise<Database & { drop(): Promise<void> }> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const database = await openDatabase({
    kind: 'postgres',
    url: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    schema,
  });
  await migrate(database.db);
  return Object.assign(database, {
    async drop() {
      await sql.raw(`drop schema if exists ${schema} cascade`).execute(database.db);
      await database.close();
    },
  });
}

/** Prints one figure as the benchmarks do: `RESULT <name> <value> <unit>`. */
export function result(name: string, value: number, unit: string, digits = 2): void {
  process.stdout.write(`RESULT ${name} ${Number(value.toFixed(digits))} ${unit}\n`);
}
