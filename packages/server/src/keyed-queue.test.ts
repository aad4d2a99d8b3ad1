import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedQueue } from './keyed-queue.ts';

test('work under one key takes turns, a failure included; another key does not wait; keys are forgotten', async () => {
  const queue = new KeyedQueue();
  const steps: string[] = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const first = queue.run('a', async () => {
    steps.push('a1 begun');
    await held;
    steps.push('a1 ended');
    throw new Error('a1 failed');
  });
  const second = queue.run('a', async () => {
    steps.push('a2 ran');
    return 2;
  });
  assert.equal(await queue.run('b', async () => 'b ran'), 'b ran');
  assert.deepEqual(steps, ['a1 begun']);
  release();
  await assert.rejects(first, /a1 failed/);
  assert.equal(await second, 2);
  assert.deepEqual(steps, ['a1 begun', 'a1 ended', 'a2 ran']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(queue.size, 0);
});
