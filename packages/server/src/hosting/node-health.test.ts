import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeInfo } from '@blgv/core';
import { readNodeHealth, SyncBlips } from './node-health.ts';

/** A node whose `GetInfo` says what it is given, or fails with it. */
const fakeNode = (answer: Partial<NodeInfo> | Error) => ({
  getInfo: async () => {
    if (answer instanceof Error) throw answer;
    return { syncedToChain: false, syncedToGraph: false, ...answer } as NodeInfo;
  },
});

test('a hosted node is up only when it answers synced to chain and to graph', async () => {
  const signal = AbortSignal.timeout(1_000);
  const cases: [Partial<NodeInfo>, boolean][] = [
    [{ syncedToChain: true, syncedToGraph: true }, true],
    [{ syncedToChain: true, syncedToGraph: false }, false],
    [{ syncedToChain: false, syncedToGraph: true }, false],
    [{ syncedToChain: false, syncedToGraph: false }, false],
  ];
  for (const [info, up] of cases) {
    const health = await readNodeHealth(fakeNode(info), signal);
    assert.deepEqual(health, {
      answers: true,
      up,
      syncedToChain: info.syncedToChain,
      syncedToGraph: info.syncedToGraph,
    });
  }
});

test('a node that does not answer is not up, and the error is kept', async () => {
  const error = new Error('wallet locked');
  assert.deepEqual(await readNodeHealth(fakeNode(error), AbortSignal.timeout(1_000)), {
    answers: false,
    error,
  });
});

test('a node synced at its last look stays up while it catches up with a block, not longer', () => {
  const blips = new SyncBlips(10_000);
  const synced = { answers: true, up: true, syncedToChain: true, syncedToGraph: true } as const;
  const behind = { answers: true, up: false, syncedToChain: false, syncedToGraph: true } as const;
  // Never synced since it came up: down from the first look.
  assert.equal(blips.up('a', behind, 0), false);
  assert.equal(blips.up('a', synced, 1_000), true);
  // Behind the chain for a moment after a block: still up.
  assert.equal(blips.up('a', behind, 2_000), true);
  assert.equal(blips.up('a', behind, 12_000), true);
  // Behind for longer than the grace: down, and down until it is synced again.
  assert.equal(blips.up('a', behind, 12_001), false);
  assert.equal(blips.up('a', behind, 12_500), false);
  assert.equal(blips.up('a', synced, 13_000), true);
  // A node that stopped answering starts over.
  assert.equal(blips.up('a', { answers: false, error: new Error('gone') }, 14_000), false);
  assert.equal(blips.up('a', behind, 15_000), false);
  blips.up('b', synced, 0);
  blips.keepOnly(new Set(['a']));
  assert.equal(blips.up('b', behind, 1), false, 'a deleted node is forgotten');
});
