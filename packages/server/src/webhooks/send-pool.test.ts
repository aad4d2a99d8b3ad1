import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendPool } from './send-pool.ts';

interface Item {
  readonly id: string;
  readonly key: string;
}

/** A pool over a list of due items; sends to `slow` keys wait until released. */
function pool(due: Item[], slow: ReadonlySet<string>, concurrency = 4, perKey = 1) {
  const sent: string[] = [];
  const started: string[] = [];
  const held: (() => void)[] = [];
  const p = new SendPool<Item>({
    read: async (limit) => due.filter((i) => !sent.includes(i.id)).slice(0, limit),
    id: (i) => i.id,
    key: (i) => i.key,
    send: (i) =>
      new Promise<void>((done) => {
        started.push(i.id);
        const finish = () => {
          sent.push(i.id);
          done();
        };
        if (slow.has(i.key)) held.push(finish);
        else setImmediate(finish);
      }),
    failed: (err) => {
      throw err;
    },
    concurrency,
    perKey,
    signal: new AbortController().signal,
  });
  return { p, sent, started, held };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 1_000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond());
};

test("a receiver that never answers holds its own slot, never the others' sends", async () => {
  const due = [
    { id: 'a1', key: 'a' },
    { id: 'a2', key: 'a' },
    ...Array.from({ length: 6 }, (_, i) => ({ id: `b${i}`, key: 'b' })),
  ];
  const { p, sent, started, held } = pool(due, new Set(['a']));
  await p.fill();
  await until(() => sent.length === 6);
  assert.deepEqual(sent, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'], "b's all went, one at a time, in order");
  assert.deepEqual(
    started.filter((s) => s.startsWith('a')),
    ['a1'],
    'a gets one slot (its bound), the second waits for it',
  );
  assert.equal(p.inFlight, 1);
  held.shift()?.();
  await until(() => started.includes('a2'));
  held.shift()?.();
  await until(() => sent.includes('a2'));
  await p.stop();
});

test('never more than `concurrency` at once; stop waits for the sends in flight', async () => {
  const due = Array.from({ length: 6 }, (_, i) => ({ id: `k${i}`, key: `k${i}` }));
  const { p, sent, started, held } = pool(due, new Set(due.map((d) => d.key)), 3);
  await p.fill();
  assert.equal(p.inFlight, 3);
  assert.deepEqual(started, ['k0', 'k1', 'k2']);
  const stopped = p.stop();
  let done = false;
  void stopped.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'stop waits for the sends in flight');
  for (const finish of held.splice(0)) finish();
  await stopped;
  assert.deepEqual(sent.sort(), ['k0', 'k1', 'k2']);
  assert.deepEqual(started, ['k0', 'k1', 'k2'], 'nothing started after stop');
});

test('an item whose send ends while a read runs is not sent again from what that read saw', async () => {
  const item = { id: 'd1', key: 'a' };
  const sent: string[] = [];
  let finishSend: () => void = () => {};
  let answerRead: (items: Item[]) => void = () => {};
  let reads = 0;
  const p = new SendPool<Item>({
    read: () => {
      reads++;
      // The first read answers at once; the second is held, and answers with the item still
      // due: it read the item before its attempt was recorded.
      if (reads === 1) return Promise.resolve([item]);
      return new Promise<Item[]>((answer) => {
        answerRead = answer;
      });
    },
    id: (i) => i.id,
    key: (i) => i.key,
    send: (i) =>
      new Promise<void>((done) => {
        sent.push(i.id);
        finishSend = done;
      }),
    failed: (err) => {
      throw err;
    },
    concurrency: 2,
    perKey: 1,
    signal: new AbortController().signal,
  });
  await p.fill();
  assert.deepEqual(sent, ['d1']);
  const second = p.fill(); // a tick while d1 is in flight
  finishSend(); // d1's send ends while that read runs
  await new Promise((r) => setImmediate(r));
  answerRead([item]);
  await second;
  assert.deepEqual(sent, ['d1'], 'not sent twice');
  await p.stop();
});

test('a send that fails without recording anything waits for the next tick, not a read at once', async () => {
  let reads = 0;
  const p = new SendPool<Item>({
    read: async () => {
      reads++;
      return [{ id: 'x', key: 'a' }];
    },
    id: (i) => i.id,
    key: (i) => i.key,
    send: () => Promise.reject(new Error('cannot sign')),
    failed: () => {},
    concurrency: 2,
    perKey: 1,
    signal: new AbortController().signal,
  });
  await p.fill();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(reads, 1, 'no read after the failure: the next tick reads');
  await p.stop();
});

test('once the job’s signal aborts (its lease lost), nothing more is started, not even what was read', async () => {
  const job = new AbortController();
  const sent: string[] = [];
  let finish: () => void = () => {};
  const p = new SendPool<Item>({
    read: async () => [
      { id: 'a1', key: 'a' },
      { id: 'a2', key: 'a' },
    ],
    id: (i) => i.id,
    key: (i) => i.key,
    send: (i) =>
      new Promise<void>((done) => {
        sent.push(i.id);
        finish = done;
      }),
    failed: () => {},
    concurrency: 4,
    perKey: 1,
    signal: job.signal,
  });
  await p.fill();
  assert.deepEqual(sent, ['a1'], 'a2 waits for its endpoint’s slot');
  job.abort();
  finish();
  await p.stop();
  assert.deepEqual(sent, ['a1'], 'a2 is not sent once the lease is lost: another replica may have');
});

/** A pool whose reads answer from `due` as it is at each read; every send waits until released. */
function heldPool(due: { items: Item[] }, exclusive?: (i: Item) => string) {
  const started: string[] = [];
  const held = new Map<string, () => void>();
  const p = new SendPool<Item>({
    read: async () => [...due.items],
    id: (i) => i.id,
    key: (i) => i.key,
    ...(exclusive ? { exclusive } : {}),
    send: (i) =>
      new Promise<void>((done) => {
        started.push(i.id);
        held.set(i.id, () => {
          due.items = due.items.filter((d) => d.id !== i.id);
          done();
        });
      }),
    failed: (err) => {
      throw err;
    },
    concurrency: 4,
    perKey: 2,
    signal: new AbortController().signal,
  });
  return { p, started, held };
}

test('items sharing an exclusive key (a subject redelivered while its next event is in flight) never go together', async () => {
  const subject = (i: Item) => i.id.slice(0, 1);
  const due = { items: [{ id: 's2', key: 'e' }] };
  const { p, started, held } = heldPool(due, subject);
  await p.fill();
  assert.deepEqual(started, ['s2']);
  // s1 (an earlier event of the same subject) is redelivered: due again while s2 is in flight.
  due.items = [{ id: 's1', key: 'e' }, ...due.items];
  await p.fill();
  assert.deepEqual(started, ['s2'], 'its key has a free slot, but its subject is in flight');
  held.get('s2')?.();
  await until(() => started.includes('s1'));
  held.get('s1')?.();
  await p.stop();
});

test("what waited for its key's slot is read again once that key's send ends, not sent as it was read", async () => {
  const due = {
    items: [
      { id: 'a1', key: 'a' },
      { id: 'a2', key: 'a' },
      { id: 'a3', key: 'a' },
    ],
  };
  const { p, started, held } = heldPool(due);
  await p.fill();
  assert.deepEqual(started, ['a1', 'a2'], 'two slots for a, a3 waits');
  // a1's outcome gives the webhook up (disabled): nothing of it is due any more.
  due.items = [];
  held.get('a1')?.();
  held.get('a2')?.();
  await until(() => p.inFlight === 0);
  await p.fill(); // the next tick reads what is due now: nothing
  assert.deepEqual(started, ['a1', 'a2'], 'a3 was not sent from the stale read');
  await p.stop();
});
