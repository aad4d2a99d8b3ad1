import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncQueue } from './async-queue.ts';

test('items pushed before and during iteration arrive in order, then the queue ends', async () => {
  const q = new AsyncQueue<number>();
  q.push(1);
  const seen: number[] = [];
  const done = (async () => {
    for await (const n of q) seen.push(n);
  })();
  q.push(2);
  q.push(3);
  q.end();
  await done;
  assert.deepEqual(seen, [1, 2, 3]);
});

test('an error ends the iteration with that error', async () => {
  const q = new AsyncQueue<number>();
  const it = q[Symbol.asyncIterator]();
  const pending = it.next();
  q.end(new Error('boom'));
  await assert.rejects(pending, /boom/);
});

test('breaking out of the loop tells the producer', async () => {
  let stopped = false;
  const q = new AsyncQueue<number>(() => {
    stopped = true;
  });
  q.push(1);
  for await (const _ of q) break;
  assert.equal(stopped, true);
  assert.equal(q.ended, true);
});
