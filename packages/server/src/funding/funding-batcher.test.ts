/**
 * The batcher's decisions against a small fake of the funder's `fund` (the real flow, on LND,
 * is `test/jit-burst.test.ts`): opens asked for within the window go to one `fund` call, each
 * caller's commit sees only its channel and its answer names only its channel, the members'
 * effects run side by side, a refused member fails alone, and withheld fundings or a window of
 * 0 go alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHex32, parsePubkey, type Sat, sat } from '@blgv/core';
import type { Kysely, Schema, Transaction } from '@blgv/store';
import pino from 'pino';
import { AfterCommit } from '../machines/apply-step.ts';
import { FundingBatcher } from './funding-batcher.ts';
import type { FundingChannel, FundingCommit, FundingResult, FundOptions } from './funding-request.ts';

const log = pino({ level: 'silent' });
const TXID = parseHex32('ab'.repeat(32));
const trx = {} as Transaction<Schema>;

const channel = (owner: string): FundingChannel => ({
  owner,
  open: {
    remotePubkey: parsePubkey(`02${Buffer.from(owner).toString('hex').padStart(64, '0')}`),
    localAmount: sat(100_000n),
    private: true,
    zeroConf: true,
    scidAlias: true,
    memo: owner,
  },
});

/**
 * A funder that records each call and commits every channel but those in `refuses` (failed,
 * refused), running the commit as the real one does: the caller's steps in one transaction,
 * their effects after it.
 */
function fakeFunder(refuses: ReadonlySet<string> = new Set()) {
  const calls: { owners: string[]; options: FundOptions }[] = [];
  return {
    calls,
    async fund(channels: readonly FundingChannel[], options: FundOptions): Promise<FundingResult> {
      calls.push({ owners: channels.map((c) => c.owner), options });
      const kept = channels.filter((c) => !refuses.has(c.owner));
      const failed = new Map(
        channels
          .filter((c) => refuses.has(c.owner))
          .map((c) => [c.owner, 'the client node refused'] as const),
      );
      const refused = new Set(failed.keys());
      if (kept.length === 0) return { failed, refused };
      const commit: FundingCommit = {
        fundingId: `f${calls.length}`,
        txid: TXID,
        fee: sat(500n) as Sat,
        vsize: 100 + 43 * kept.length,
        channels: kept.map((c, outputIndex) => ({ owner: c.owner, outputIndex })),
      };
      const after = new AfterCommit({} as Kysely<Schema>);
      await options.commit(trx, commit, after);
      await after.perform();
      return { committed: commit, failed, refused };
    },
  };
}

/** Fund options whose commit records what it saw and queues `effect` after the commit. */
function options(
  seen: FundingCommit[],
  effect: () => Promise<void> = async () => {},
  more: Partial<FundOptions> = {},
) {
  return {
    feeRate: 2n,
    deadlineMs: 30_000,
    commit: async (_trx: Transaction<Schema>, c: FundingCommit, after: AfterCommit) => {
      seen.push(c);
      after.add(effect);
    },
    ...more,
  } satisfies FundOptions;
}

test('opens asked for within the window are funded by one call; each sees and gets only its own channel', async () => {
  const funder = fakeFunder();
  const batcher = new FundingBatcher({
    funder,
    limits: { windowMs: 30, maxChannels: 10, maxWaitMs: 2_000, withheld: false },
    log,
  });
  const seen: FundingCommit[][] = [[], [], []];
  const results = await Promise.all(
    ['a', 'b', 'c'].map((o, i) =>
      batcher.fund(channel(o), options(seen[i] ?? [], undefined, { feeRate: BigInt(i + 1) })),
    ),
  );
  assert.equal(funder.calls.length, 1);
  assert.deepEqual(funder.calls[0]?.owners, ['a', 'b', 'c']);
  assert.equal(funder.calls[0]?.options.feeRate, 3n, 'the highest fee rate asked for');
  for (const [i, owner] of ['a', 'b', 'c'].entries()) {
    assert.deepEqual(
      seen[i]?.map((c) => c.channels),
      [[{ owner, outputIndex: i }]],
    );
    assert.equal(results[i]?.committed?.fundingId, 'f1');
    assert.deepEqual(results[i]?.committed?.channels, [{ owner, outputIndex: i }]);
    assert.equal(results[i]?.failed.size, 0);
  }
});

test("the members' effects run side by side: one waiting on another's does not hold it up", async () => {
  const funder = fakeFunder();
  const batcher = new FundingBatcher({
    funder,
    limits: { windowMs: 20, maxChannels: 10, maxWaitMs: 2_000, withheld: false },
    log,
  });
  const second = Promise.withResolvers<void>();
  const order: string[] = [];
  await Promise.all([
    batcher.fund(
      channel('first'),
      options([], async () => {
        // Run after the other's effect would, were they one after another: it would never end.
        await second.promise;
        order.push('first');
      }),
    ),
    batcher.fund(
      channel('second'),
      options([], async () => {
        order.push('second');
        second.resolve();
      }),
    ),
  ]);
  assert.deepEqual(order, ['second', 'first']);
});

test('a member its client refuses fails alone: the others are committed', async () => {
  const funder = fakeFunder(new Set(['b']));
  const batcher = new FundingBatcher({
    funder,
    limits: { windowMs: 20, maxChannels: 10, maxWaitMs: 2_000, withheld: false },
    log,
  });
  const seenB: FundingCommit[] = [];
  const [a, b, c] = await Promise.all([
    batcher.fund(channel('a'), options([])),
    batcher.fund(channel('b'), options(seenB)),
    batcher.fund(channel('c'), options([])),
  ]);
  assert.equal(funder.calls.length, 1);
  assert.ok(a?.committed && c?.committed);
  assert.equal(b?.committed, undefined);
  assert.deepEqual([...(b?.failed ?? [])], [['b', 'the client node refused']]);
  assert.deepEqual([...(b?.refused ?? [])], ['b']);
  assert.equal(seenB.length, 0, 'a refused member writes no step');
  assert.deepEqual([...(a?.refused ?? [])], [], "another's refusal is not the member's");
});

test('a full batch is funded at once; the next opens start another', async () => {
  const funder = fakeFunder();
  const batcher = new FundingBatcher({
    funder,
    limits: { windowMs: 60_000, maxChannels: 2, maxWaitMs: 2_000, withheld: false },
    log,
  });
  const first = Promise.all([
    batcher.fund(channel('a'), options([])),
    batcher.fund(channel('b'), options([])),
  ]);
  await first; // would wait a minute were the batch not funded when full
  assert.deepEqual(
    funder.calls.map((c) => c.owners),
    [['a', 'b']],
  );
});

test('withheld fundings (unless batched too) and a window of 0 go alone, at once', async () => {
  const funder = fakeFunder();
  const gathering = new FundingBatcher({
    funder,
    limits: { windowMs: 60_000, maxChannels: 10, maxWaitMs: 2_000, withheld: false },
    log,
  });
  await Promise.all([
    gathering.fund(channel('w1'), options([], undefined, { withhold: true })),
    gathering.fund(channel('w2'), options([], undefined, { withhold: true })),
  ]);
  const off = new FundingBatcher({
    funder,
    limits: { windowMs: 0, maxChannels: 10, maxWaitMs: 2_000, withheld: false },
    log,
  });
  await Promise.all([off.fund(channel('x'), options([])), off.fund(channel('y'), options([]))]);
  assert.deepEqual(
    funder.calls.map((c) => c.owners),
    [['w1'], ['w2'], ['x'], ['y']],
  );
});

test('withheld opens batched too go in batches of their own, withheld; published ones are never mixed in', async () => {
  const funder = fakeFunder();
  const batcher = new FundingBatcher({
    funder,
    limits: { windowMs: 30, maxChannels: 10, maxWaitMs: 2_000, withheld: true },
    log,
  });
  await Promise.all([
    batcher.fund(channel('w1'), options([], undefined, { withhold: true })),
    batcher.fund(channel('p1'), options([])),
    batcher.fund(channel('w2'), options([], undefined, { withhold: true })),
    batcher.fund(channel('p2'), options([])),
  ]);
  const calls = funder.calls.map((c) => ({ owners: c.owners, withhold: c.options.withhold }));
  assert.equal(calls.length, 2, JSON.stringify(calls));
  assert.deepEqual(
    calls.sort((a, b) => (a.owners[0] ?? '').localeCompare(b.owners[0] ?? '')),
    [
      { owners: ['p1', 'p2'], withhold: false },
      { owners: ['w1', 'w2'], withhold: true },
    ],
  );
});

test("a funding that throws rejects every member's call", async () => {
  const batcher = new FundingBatcher({
    funder: {
      fund: async () => {
        throw new Error('the database went away');
      },
    },
    limits: { windowMs: 10, maxChannels: 10, maxWaitMs: 2_000, withheld: false },
    log,
  });
  const outcomes = await Promise.allSettled([
    batcher.fund(channel('a'), options([])),
    batcher.fund(channel('b'), options([])),
  ]);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected'],
  );
});

/**
 * A funder whose first call stays before its inputs are leased until `leaseFirst` is called,
 * then before its commit point until `commitFirst` is (both at once when only `commitFirst` is).
 */
function heldFunder() {
  const inner = fakeFunder();
  const leased = Promise.withResolvers<void>();
  const committed = Promise.withResolvers<void>();
  let calls = 0;
  return {
    calls: inner.calls,
    leaseFirst: () => leased.resolve(),
    commitFirst: () => {
      leased.resolve();
      committed.resolve();
    },
    async fund(channels: readonly FundingChannel[], options: FundOptions): Promise<FundingResult> {
      if (calls++ === 0)
        return inner.fund(channels, {
          ...options,
          commit: async (trx, c, after) => {
            await leased.promise;
            options.onInputsLeased?.();
            await committed.promise;
            return options.commit(trx, c, after);
          },
        });
      options.onInputsLeased?.();
      return inner.fund(channels, options);
    },
  };
}

test('opens arriving while a batch is negotiated gather until its inputs are leased, then go as one', async () => {
  const funder = heldFunder();
  const batcher = new FundingBatcher({
    funder,
    limits: { windowMs: 10, maxChannels: 10, maxWaitMs: 60_000, withheld: false },
    log,
  });
  const first = batcher.fund(channel('a'), options([]));
  // The first batch is under way (its window over, its commit held back); three more arrive,
  // spread over more than one window.
  const later: Promise<FundingResult>[] = [];
  for (const o of ['b', 'c', 'd']) {
    await new Promise((r) => setTimeout(r, 15));
    later.push(batcher.fund(channel(o), options([])));
  }
  assert.deepEqual(
    funder.calls.map((c) => c.owners),
    [['a']],
    'nothing else goes while the first batch has not leased its inputs',
  );
  funder.leaseFirst();
  await Promise.all(later);
  assert.deepEqual(
    funder.calls.map((c) => c.owners),
    [['a'], ['b', 'c', 'd']],
    'the next batch went once the first had its coins, before the first passed its commit point',
  );
  funder.commitFirst();
  await first;
});

test('a batch does not wait longer than maxWaitMs for one stuck before leasing its inputs', async () => {
  const funder = heldFunder();
  const batcher = new FundingBatcher({
    funder,
    limits: { windowMs: 10, maxChannels: 10, maxWaitMs: 30, withheld: false },
    log,
  });
  const first = batcher.fund(channel('a'), options([]));
  await new Promise((r) => setTimeout(r, 15));
  const second = await batcher.fund(channel('b'), options([]));
  assert.ok(second.committed, 'the second went on its own while the first was stuck');
  assert.deepEqual(
    funder.calls.map((c) => c.owners),
    [['a'], ['b']],
  );
  funder.commitFirst();
  await first;
});
