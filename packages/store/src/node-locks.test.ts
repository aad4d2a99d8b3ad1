/**
 * The hosted nodes' lifecycle lock on the real Postgres (127.0.0.1:5432, db `test`, a schema of
 * the test's own): two database handles, as two replicas hold, take one node's lock in turns,
 * never a different node's; a call that throws lets go of it; a lock not had in time is a
 * `conflict` naming the node.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isLspError, oneProcessNodeLocks } from '@blgv/core';
import { waitFor } from '@blgv/node-runner';
import { type Database, openDatabase } from './database.ts';
import { sql } from './index.ts';
import { PostgresNodeLocks } from './node-locks.ts';

const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `node_locks_test_${randomBytes(4).toString('hex')}`;
const soon = () => AbortSignal.timeout(10_000);

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** How many connections wait for `nodeId`'s lock now (seen by `db`). */
async function waiters(db: Database, nodeId: string, space = 'hosted-node'): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_locks
    where locktype = 'advisory' and not granted and objsubid = 2
      and classid::bigint = (hashtext(${space})::bigint & 4294967295)
      and objid::bigint = (hashtext(${nodeId})::bigint & 4294967295)`.execute(db.db);
  return rows[0]?.n ?? 0;
}

describe('node locks on Postgres', () => {
  let a: Database;
  let b: Database;
  before(async () => {
    a = await openDatabase({ kind: 'postgres', url: postgresUrl, schema });
    b = await openDatabase({ kind: 'postgres', url: postgresUrl, schema });
  });
  after(async () => {
    await sql.raw(`drop schema if exists ${schema} cascade`).execute(a.db);
    await a?.close();
    await b?.close();
  });

  test("two replicas take one node's lock in turns; another node does not wait", async () => {
    const node = randomUUID();
    const other = randomUUID();
    const steps: string[] = [];
    const holding = gate();
    const release = gate();
    const first = a.nodeLocks.withLock(node, soon(), async () => {
      steps.push('a begun');
      holding.open();
      await release.opened;
      steps.push('a ended');
    });
    await holding.opened;
    const second = b.nodeLocks.withLock(node, soon(), async () => {
      steps.push('b ran');
    });
    await waitFor(async () => (await waiters(a, node)) === 1, { what: "b waiting for the node's lock" });
    // The other node's lock is free while the first is held.
    assert.equal(await b.nodeLocks.withLock(other, soon(), async () => 'free'), 'free');
    assert.deepEqual(steps, ['a begun'], 'b waits while a holds the lock');
    release.open();
    await Promise.all([first, second]);
    assert.deepEqual(steps, ['a begun', 'a ended', 'b ran']);
  });

  test("a node's deletion lock takes turns across replicas, apart from its lifecycle lock", async () => {
    const node = randomUUID();
    const steps: string[] = [];
    const holding = gate();
    const release = gate();
    const first = a.nodeLocks.withLock(
      node,
      soon(),
      async () => {
        steps.push('a step begun');
        holding.open();
        await release.opened;
        steps.push('a step ended');
      },
      'deletion',
    );
    await holding.opened;
    const second = b.nodeLocks.withLock(node, soon(), async () => steps.push('b step ran'), 'deletion');
    await waitFor(async () => (await waiters(a, node, 'hosted-node-deletion')) === 1, {
      what: "b waiting for the node's deletion lock",
    });
    // The step holds the deletion lock while it starts or removes the node (its lifecycle lock).
    assert.equal(await b.nodeLocks.withLock(node, soon(), async () => 'started'), 'started');
    assert.deepEqual(steps, ['a step begun']);
    release.open();
    await Promise.all([first, second]);
    assert.deepEqual(steps, ['a step begun', 'a step ended', 'b step ran']);
  });

  test('a call that throws lets go of the lock', async () => {
    const node = randomUUID();
    await assert.rejects(
      a.nodeLocks.withLock(node, soon(), async () => {
        throw new Error('start failed');
      }),
      /start failed/,
    );
    // Waiting at most 1 s: the lock must be free, not held by the failed call's connection.
    const quick = new PostgresNodeLocks({ connectionString: postgresUrl }, { maxWaitMs: 1_000 });
    try {
      assert.equal(await quick.withLock(node, soon(), async () => 'had'), 'had');
    } finally {
      await quick.close();
    }
  });

  test('a lock not had within its bound is a conflict naming the node, and the call does not run', async () => {
    const node = randomUUID();
    const holding = gate();
    const release = gate();
    const held = a.nodeLocks.withLock(node, soon(), async () => {
      holding.open();
      await release.opened;
    });
    await holding.opened;
    const quick = new PostgresNodeLocks({ connectionString: postgresUrl }, { maxWaitMs: 300 });
    let ran = false;
    try {
      await assert.rejects(
        quick.withLock(node, soon(), async () => {
          ran = true;
        }),
        (err) => isLspError(err) && err.code === 'conflict' && err.message.includes(node),
      );
      // A caller that gives up (its signal) leaves the queue at once, refused the same way.
      const giveUp = new AbortController();
      const waiting = b.nodeLocks.withLock(node, giveUp.signal, async () => {
        ran = true;
      });
      await waitFor(async () => (await waiters(a, node)) === 1, { what: "b waiting for the node's lock" });
      giveUp.abort();
      await assert.rejects(
        waiting,
        (err) => isLspError(err) && err.code === 'conflict' && err.message.includes(node),
      );
      await waitFor(async () => (await waiters(a, node)) === 0, { what: 'the abandoned wait to leave' });
    } finally {
      release.open();
      await held;
      await quick.close();
    }
    assert.equal(ran, false);
    // Released: the next caller has it.
    assert.equal(await b.nodeLocks.withLock(node, soon(), async () => 'next'), 'next');
  });

  test('more calls at once than lock connections wait for one, within the bound', async () => {
    const quick = new PostgresNodeLocks({ connectionString: postgresUrl }, { maxWaitMs: 300 });
    const release = gate();
    const begun: string[] = [];
    // Ten nodes' calls hold every lock connection of this replica.
    const nodes = Array.from({ length: 10 }, () => randomUUID());
    const holding = nodes.map((n) =>
      quick.withLock(n, soon(), async () => {
        begun.push(n);
        await release.opened;
      }),
    );
    try {
      await waitFor(() => begun.length === 10, { what: 'ten locks held' });
      const eleventh = randomUUID();
      await assert.rejects(
        quick.withLock(eleventh, soon(), async () => {}),
        (err) => isLspError(err) && err.code === 'conflict' && err.message.includes(eleventh),
      );
    } finally {
      release.open();
      await Promise.all(holding);
      await quick.close();
    }
  });

  test("ten deletion steps at once, each taking its node's lifecycle lock inside, all get both", async () => {
    // With one pool for both kinds, the ten deletion locks held every connection and each step
    // waited, until the bound, for a connection for its lifecycle lock.
    const quick = new PostgresNodeLocks({ connectionString: postgresUrl }, { maxWaitMs: 2_000 });
    try {
      const nodes = Array.from({ length: 10 }, () => randomUUID());
      const allHeld = gate();
      let deletionsHeld = 0;
      const steps = nodes.map((n) =>
        quick.withLock(
          n,
          soon(),
          async () => {
            if (++deletionsHeld === nodes.length) allHeld.open();
            await allHeld.opened;
            return quick.withLock(n, soon(), async () => n);
          },
          'deletion',
        ),
      );
      assert.deepEqual(await Promise.all(steps), nodes);
    } finally {
      await quick.close();
    }
  });
});

test('on PGlite (one process) the lock runs the call at once', async () => {
  const db = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  try {
    assert.equal(db.nodeLocks, oneProcessNodeLocks);
    assert.equal(await db.nodeLocks.withLock('n1', soon(), async () => 'ran'), 'ran');
  } finally {
    await db.close();
  }
});
