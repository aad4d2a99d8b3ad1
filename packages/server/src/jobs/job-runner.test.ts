import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Database, JobLeasesRepository, openMigratedMemoryDatabase } from '@blgv/store';
import pino from 'pino';
import { type Job, JobRunner, together } from './job-runner.ts';

const log = pino({ level: 'silent' });

async function memoryDatabase(): Promise<Database> {
  const database = await openMigratedMemoryDatabase();
  return database;
}

/** A job that records which replica ran it, until stopped. */
function recordingJob(name: string, runs: string[], replica: string): Job {
  return {
    name,
    run: (signal) =>
      new Promise<void>((resolve) => {
        runs.push(replica);
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
}

/** Polls `check` until it holds (5 s at most). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('one replica runs a job; when it stops, the other takes it over at its next renewal', async () => {
  const database = await memoryDatabase();
  const runs: string[] = [];
  const stopA = new AbortController();
  const stopB = new AbortController();
  const a = new JobRunner({ database, leaseMs: 300, holder: 'a', log });
  const b = new JobRunner({ database, leaseMs: 300, holder: 'b', log });
  a.add(recordingJob('work', runs, 'a'));
  b.add(recordingJob('work', runs, 'b'));
  a.start(stopA.signal);
  await until(() => runs.length === 1, 'a to start the job');
  const leases = new JobLeasesRepository(database.db);
  const expiryAt = async () => (await leases.list())[0]?.expiresAt.getTime() ?? 0;
  const before = await expiryAt();
  b.start(stopB.signal);
  // a renews twice more (its lease moves on by two ticks) while b asks for it: b still does not run it.
  await until(async () => (await expiryAt()) >= before + 200, 'a to renew its lease twice');
  assert.deepEqual(runs, ['a']);
  stopA.abort();
  await a.stopped();
  await until(() => runs.length === 2, 'b to take the job over');
  assert.deepEqual(runs, ['a', 'b']);
  assert.deepEqual(
    (await leases.list()).map((l) => [l.name, l.holder]),
    [['work', 'b']],
  );
  stopB.abort();
  await b.stopped();
  assert.deepEqual(
    await new JobLeasesRepository(database.db).list(),
    [],
    'a stopped runner gives its leases back',
  );
  await database.close();
});

test("after its first pass a runner's status tells which jobs it runs: those whose leases it took, not another replica's", async () => {
  const database = await memoryDatabase();
  const runs: string[] = [];
  const [stopA, stopB] = [new AbortController(), new AbortController()];
  const a = new JobRunner({ database, leaseMs: 3_000, holder: 'a', log });
  const b = new JobRunner({ database, leaseMs: 3_000, holder: 'b', log });
  for (const [runner, name] of [
    [a, 'a'],
    [b, 'b'],
  ] as const)
    runner.add(recordingJob('work', runs, name));
  a.start(stopA.signal);
  await a.firstPass();
  assert.deepEqual(
    a.status().map((j) => [j.name, j.running]),
    [['work', true]],
  );
  b.start(stopB.signal);
  await b.firstPass();
  assert.deepEqual(
    b.status().map((j) => [j.name, j.running]),
    [['work', false]],
    "a's lease is live: b does not run the job",
  );
  assert.deepEqual(runs, ['a']);
  stopA.abort();
  stopB.abort();
  await Promise.all([a.stopped(), b.stopped()]);
  await database.close();
});

test('a lease left by a replica that died is taken once it runs out', async () => {
  const database = await memoryDatabase();
  const leases = new JobLeasesRepository(database.db);
  assert.deepEqual([...(await leases.acquire('dead', ['work'], 400)).keys()], ['work']);
  const runs: string[] = [];
  const stop = new AbortController();
  const b = new JobRunner({ database, leaseMs: 300, holder: 'b', log });
  b.add(recordingJob('work', runs, 'b'));
  const started = Date.now();
  b.start(stop.signal);
  await until(() => runs.length === 1, 'b to take the dead replica’s job');
  assert.ok(Date.now() - started >= 300, 'not before the lease ran out');
  stop.abort();
  await b.stopped();
  await database.close();
});

test('a job that fails is started again with backoff; a group stops whole when one part fails', async () => {
  const database = await memoryDatabase();
  let attempts = 0;
  let partsStopped = 0;
  const stop = new AbortController();
  const runner = new JobRunner({ database, leaseMs: 300, minRestartDelayMs: 10, maxRestartDelayMs: 40, log });
  runner.add(
    together('group', [
      async () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`attempt ${attempts} fails`);
        await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
      },
      (signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener(
            'abort',
            () => {
              partsStopped += 1;
              resolve();
            },
            { once: true },
          ),
        ),
    ]),
  );
  runner.start(stop.signal);
  await until(() => attempts === 3, 'the third attempt');
  assert.equal(partsStopped, 2, 'the healthy part was stopped with each failed attempt');
  const [status] = runner.status();
  assert.equal(status?.restarts, 2);
  assert.match(status?.lastError ?? '', /attempt 2 fails/);
  stop.abort();
  await runner.stopped();
  await database.close();
});
