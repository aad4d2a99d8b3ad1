/**
 * The runner's fence on the real Postgres (127.0.0.1:5432, `TEST_DATABASE_URL`): a replica
 * whose renewal hangs stops its job before the lease can run out, and nothing the job writes
 * lands after that; a replica that stalls past its lease refuses the job's next write before
 * anything else runs, then takes the lease again under a new token and starts the job afresh.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ErrorCode, isLspError } from '@blgv/core';
import { currentLeaseFence, type Database, migrate, openDatabase, sql } from '@blgv/store';
import pg from 'pg';
import pino from 'pino';
import { pause, untilAborted } from '../poll.ts';
import { JobRunner } from './job-runner.ts';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `watchdog_${randomBytes(4).toString('hex')}`;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let database: Database;

before(async () => {
  database = await openDatabase({ kind: 'postgres', url, schema });
  await migrate(database.db);
  await sql`create table scratch (job text not null, n int not null, at timestamptz not null default clock_timestamp())`.execute(
    database.db,
  );
});
after(async () => {
  await sql.raw(`drop schema if exists "${schema}" cascade`).execute(database.db);
  await database.close();
});

/** Polls `check` until it holds (10 s at most). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How a run of the writing job ended. */
interface Run {
  written: number;
  refused: number;
  abortedAt: number | undefined;
  /** The error of the write tried once the run was told to stop. */
  last: unknown;
}

const write = (job: string, n: number) =>
  sql`insert into scratch (job, n) values (${job}, ${n})`.execute(database.db);

test('a renewal that hangs: the job is stopped before its lease can run out, and none of its writes lands after', async (t) => {
  const runs: Run[] = [];
  // A wide margin: the watchdog's timer may be late on a busy machine.
  const runner = new JobRunner({ database, leaseMs: 3_000, stopMarginMs: 1_500, holder: 'hangs', log });
  runner.add({
    name: 'hang-writer',
    async run(signal) {
      const run: Run = { written: 0, refused: 0, abortedAt: undefined, last: undefined };
      runs.push(run);
      const label = `hang-writer-${runs.length}`;
      signal.addEventListener('abort', () => (run.abortedAt ??= Date.now()), { once: true });
      for (let n = 0; !signal.aborted; n++) {
        try {
          await write(label, n);
          run.written += 1;
        } catch (err) {
          if (!isLspError(err, ErrorCode.LeaseLost)) throw err;
          run.refused += 1;
        }
        await pause(20, signal);
      }
      run.last = await write(label, -1).then(
        () => 'written',
        (err: unknown) => err,
      );
    },
  });
  const stop = new AbortController();
  runner.start(stop.signal);
  t.after(() => {
    stop.abort();
    return runner.stopped();
  });
  await until(() => (runs[0]?.written ?? 0) >= 3, 'the job to write');

  // Every statement on the lease table hangs now: the renewals, and the job's fenced writes.
  const blocker = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await blocker.connect();
  let expiresAt: number;
  try {
    await blocker.query('begin');
    await blocker.query('lock table job_leases in exclusive mode');
    const { rows } = await blocker.query<{ expires_at: Date }>(
      `select expires_at from job_leases where name = 'hang-writer'`,
    );
    expiresAt = rows[0]?.expires_at.getTime() ?? 0;
    await until(() => runs[0]?.abortedAt !== undefined, 'the runner to stop the job while the renewal hangs');
    assert.ok(
      (runs[0]?.abortedAt ?? Number.POSITIVE_INFINITY) < expiresAt,
      'stopped before the lease could run out',
    );
    assert.equal(runner.status()[0]?.running, false);
    await until(
      async () =>
        (
          await blocker.query<{ out: boolean }>(
            `select expires_at < clock_timestamp() as out from job_leases where name = 'hang-writer'`,
          )
        ).rows[0]?.out === true,
      'the lease to run out',
    );
  } finally {
    // The database answers again, after the lease ran out: what the job still tried is refused.
    await blocker.query('rollback').catch(() => {});
    await blocker.end();
  }
  await until(() => runs[0]?.last !== undefined, 'the stopped run to end');
  assert.ok(isLspError(runs[0]?.last, ErrorCode.LeaseLost), `refused: ${String(runs[0]?.last)}`);
  const late = await sql<{ n: number }>`
    select n from scratch where job = 'hang-writer-1' and at >= ${new Date(expiresAt)}`.execute(database.db);
  assert.deepEqual(late.rows, [], 'nothing written after the lease ran out');
  const status = runner.status()[0];
  assert.ok((status?.leaseLosses ?? 0) >= 1);

  // The runner takes the lease again, under a new token, and starts the job afresh.
  await until(() => runs.length === 2 && (runs[1]?.written ?? 0) > 0, 'the job to run again');
  stop.abort();
  await runner.stopped();
});

test('a stall past the lease: the next write is refused before anything else runs; the job restarts under a new token', async (t) => {
  const leaseMs = 600;
  const outcomes: { stalled: boolean; result: unknown }[] = [];
  const tokens: bigint[] = [];
  const runner = new JobRunner({ database, leaseMs, holder: 'stalls', log });
  runner.add({
    name: 'stall-writer',
    async run(signal) {
      const stalls = outcomes.length === 0;
      tokens.push(currentLeaseFence()?.token ?? -1n);
      await write('stall-writer', 1);
      if (stalls) {
        // A GC pause, a frozen VM: nothing of this process runs for longer than the lease.
        const end = performance.now() + leaseMs * 2;
        while (performance.now() < end) {
          // stalled
        }
      }
      const result = await write('stall-writer', 2).then(
        () => 'written',
        (err: unknown) => err,
      );
      outcomes.push({ stalled: stalls, result });
      await untilAborted(signal);
    },
  });
  const stop = new AbortController();
  runner.start(stop.signal);
  t.after(() => {
    stop.abort();
    return runner.stopped();
  });
  await until(() => outcomes.length === 2, 'the job to stall, then run again');
  const [stalled, again] = outcomes;
  assert.ok(isLspError(stalled?.result, ErrorCode.LeaseLost), `refused: ${String(stalled?.result)}`);
  assert.equal(again?.result, 'written');
  const status = runner.status()[0];
  assert.equal(status?.refusedWrites, 1);
  assert.equal(status?.leaseLosses, 1);
  assert.ok((tokens[1] ?? 0n) > (tokens[0] ?? 0n), `a new token: ${tokens.join(' < ')}`);
  const written = await sql<{
    n: number;
  }>`select n from scratch where job = 'stall-writer' order by at`.execute(database.db);
  assert.deepEqual(
    written.rows.map((r) => r.n),
    [1, 1, 2],
  );
  stop.abort();
  await runner.stopped();
});
