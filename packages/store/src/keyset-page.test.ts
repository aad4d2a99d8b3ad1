import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toPage } from './keyset-page.ts';

const rows = (...keys: number[]) => keys.map((k) => ({ k: BigInt(k) }));
const page = (r: { k: bigint }[], limit: number) =>
  toPage(
    r,
    limit,
    (x) => x.k,
    (x) => Number(x.k),
  );

test('a row read beyond the limit means a next page, starting below the last record shown', () => {
  assert.deepEqual(page(rows(9, 7, 4), 2), { items: [9, 7], next: 7n });
});

test('without a row beyond the limit it is the last page, even when exactly full', () => {
  assert.deepEqual(page(rows(9, 7), 2), { items: [9, 7], next: undefined });
  assert.deepEqual(page(rows(3), 2), { items: [3], next: undefined });
  assert.deepEqual(page([], 2), { items: [], next: undefined });
});
