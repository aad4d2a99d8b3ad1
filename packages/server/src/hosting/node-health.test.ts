import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeInfo } from '@blgv/core';
import { readNodeHealth } from './node-health.ts';

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
