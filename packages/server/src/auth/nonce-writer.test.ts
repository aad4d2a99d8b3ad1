import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NonceWriter } from './nonce-writer.ts';

const later = new Date(Date.now() + 600_000);

/**
 * A fake of the one repository method the writer uses, with a primary key like the table's.
 * Two fakes given the same `seen` are two ways into one table.
 */
function fakeRepo(seen = new Set<string>()) {
  const calls: number[] = [];
  return {
    calls,
    async rememberNonces(pairs: readonly { keyId: string; nonce: string }[]) {
      calls.push(pairs.length);
      const inserted = new Set<string>();
      for (const p of pairs) {
        const k = `${p.keyId} ${p.nonce}`;
        if (!seen.has(k)) {
          seen.add(k);
          inserted.add(k);
        }
      }
      return inserted;
    },
  };
}

test('concurrent nonces share one statement; each learns whether it was new', async () => {
  const repo = fakeRepo();
  const w = new NonceWriter(repo);
  const results = await Promise.all([
    w.remember('k', 'a', later),
    w.remember('k', 'b', later),
    w.remember('j', 'a', later),
    w.remember('k', 'a', later),
  ]);
  assert.deepEqual(results, [true, true, true, false], 'a repeat within the batch is a replay');
  assert.deepEqual(repo.calls, [3]);
  assert.equal(await w.remember('k', 'b', later), false, 'a repeat in a later batch is a replay');
});

test('a database failure fails every request of the batch', async () => {
  const w = new NonceWriter({ rememberNonces: () => Promise.reject(new Error('db down')) });
  await assert.rejects(w.remember('k', 'a', later), /db down/);
});

test("read-only requests' nonces go to their own store, one statement a turn; both are one table", async () => {
  const table = new Set<string>();
  const durable = fakeRepo(table);
  const relaxed = fakeRepo(table);
  const w = new NonceWriter(durable, relaxed);
  const results = await Promise.all([
    w.remember('k', 'a', later, true),
    w.remember('k', 'b', later, true),
    w.remember('k', 'c', later),
    w.remember('k', 'b', later, true),
  ]);
  assert.deepEqual(results, [true, true, true, false]);
  assert.deepEqual(relaxed.calls, [2], 'the two new read-only nonces in one statement');
  assert.deepEqual(durable.calls, [1]);
  assert.equal(await w.remember('k', 'a', later), false, 'a read-only nonce replayed on a write is refused');
  assert.equal(await w.remember('k', 'c', later, true), false, 'and the other way round');
});
