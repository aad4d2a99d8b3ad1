import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { DELIVERY_PAGE, LEDGER_PAGE, LIST_PAGE, nextCursor, PageQuery, pageRequest } from './paging.ts';

test("a query asks for the list's default page from the newest, or below its cursor", () => {
  assert.deepEqual(pageRequest({}, LIST_PAGE), { limit: 50 });
  assert.deepEqual(pageRequest({}, LEDGER_PAGE), { limit: 100 });
  assert.deepEqual(pageRequest({}, DELIVERY_PAGE), { limit: 100 }, "a webhook's deliveries: 100, as before");
  assert.deepEqual(pageRequest({ limit: 1, cursor: '42' }, LIST_PAGE), { limit: 1, before: 42n });
  assert.deepEqual(pageRequest({ cursor: '999999999999999999' }, LIST_PAGE), {
    limit: 50,
    before: 999_999_999_999_999_999n,
  });
});

test('nextCursor is the decimal key, or null on the last page', () => {
  assert.equal(nextCursor(7n), '7');
  assert.equal(nextCursor(undefined), null);
});

test('only 1-18 digits are a cursor, and limit stays within the size', () => {
  const q = PageQuery(LIST_PAGE, 'records');
  for (const ok of [{}, { cursor: '0' }, { cursor: '123456789012345678', limit: 500 }, { limit: 1 }]) {
    assert.ok(Value.Check(q, ok), JSON.stringify(ok));
  }
  for (const bad of [
    { cursor: '' },
    { cursor: '1234567890123456789' },
    { cursor: '-1' },
    { cursor: '1.5' },
    { cursor: 'abc' },
    { limit: 0 },
    { limit: 501 },
    { offset: 10 },
  ]) {
    assert.ok(!Value.Check(q, bad), JSON.stringify(bad));
  }
  assert.ok(Value.Check(PageQuery(LEDGER_PAGE, 'entries'), { limit: 1000 }));
  assert.ok(!Value.Check(PageQuery(DELIVERY_PAGE, 'deliveries'), { limit: 501 }));
});
