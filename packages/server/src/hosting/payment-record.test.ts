import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex32, msat, type SentPayment, type SentPaymentsQuery, type StreamOptions } from '@blgv/core';
import {
  type Database,
  HostedNodePaymentsRepository,
  type HostedNodeRecord,
  HostedNodesRepository,
  openMigratedMemoryDatabase,
  TenantsRepository,
} from '@blgv/store';
import pino from 'pino';
import { catchUpPayments, PaymentRecorder, type PaymentSource } from './payment-record.ts';

let database: Database;
before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

function payment(index: number, status: SentPayment['status']): SentPayment {
  return {
    paymentIndex: BigInt(index),
    paymentHash: index.toString(16).padStart(64, '0') as Hex32,
    status,
    amount: msat(1_000_000n),
    fee: msat(status === 'succeeded' ? 1_000n : 0n),
    createdAt: new Date(),
  };
}

/**
 * A node's payments as its LND has them (a fake of our port): `listPayments` answers from
 * `payments` (which a test edits, as `DeleteAllPayments` would), `trackPayments` streams what
 * `push` sends while it is open.
 */
class FakeNode implements PaymentSource {
  payments: SentPayment[] = [];
  listed: bigint[] = [];
  #push?: (p: SentPayment) => void;
  #connected?: () => void;

  async listPayments(query: SentPaymentsQuery): Promise<SentPayment[]> {
    this.listed.push(query.afterIndex);
    return this.payments.filter((p) => p.paymentIndex > query.afterIndex).slice(0, query.max);
  }

  trackPayments(options: StreamOptions): AsyncIterable<SentPayment> {
    const queue: SentPayment[] = [];
    let wake: (() => void) | undefined;
    this.#push = (p) => {
      queue.push(p);
      wake?.();
    };
    this.#connected = options.onConnected;
    queueMicrotask(() => options.onConnected?.());
    const signal = options.signal;
    return {
      async *[Symbol.asyncIterator]() {
        while (!signal.aborted) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
        }
      },
    };
  }

  /** The node sends or finishes a payment: LND lists it and streams the update. */
  push(p: SentPayment): void {
    const at = this.payments.findIndex((x) => x.paymentIndex === p.paymentIndex);
    if (at >= 0) this.payments[at] = p;
    else this.payments.push(p);
    this.#push?.(p);
  }

  /** The stream reconnects (after the LSP or the node was away). */
  reconnect(): void {
    this.#connected?.();
  }
}

let n = 0;
async function node(): Promise<HostedNodeRecord> {
  n += 1;
  const tenant = await new TenantsRepository(database.db).create(`payer-${n}`);
  const repo = new HostedNodesRepository(database.db);
  await repo.insert({ id: `npay${n}`, tenantId: tenant.id, alias: 'a', color: '#000000', config: {} });
  const record = await repo.get(`npay${n}`);
  assert.ok(record);
  return { ...record, state: 'running' };
}

async function recorded(nodeId: string): Promise<string[]> {
  return (await new HostedNodePaymentsRepository(database.db).all())
    .filter((p) => p.nodeId === nodeId)
    .map((p) => `${p.paymentIndex}:${p.status}`);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a catch-up records every payment the node lists, page by page, from below the oldest one in flight', async () => {
  const n1 = await node();
  const lnd = new FakeNode();
  lnd.payments = Array.from({ length: 230 }, (_, i) => payment(i + 1, i === 4 ? 'in_flight' : 'succeeded'));
  const signal = AbortSignal.timeout(10_000);
  assert.equal((await catchUpPayments(database, n1.id, lnd, { full: true, signal })).recorded, 230);
  assert.deepEqual(lnd.listed, [0n, 100n, 200n], 'three pages');
  assert.equal((await recorded(n1.id)).length, 230);

  // Payment 5 ends; the node deletes everything (the customer's DeleteAllPayments) except new ones.
  lnd.payments = [payment(5, 'succeeded'), payment(231, 'failed')];
  lnd.listed = [];
  await catchUpPayments(database, n1.id, lnd, { full: true, signal });
  assert.deepEqual(lnd.listed, [4n], 'resumed below the payment in flight');
  const after = await recorded(n1.id);
  assert.equal(after.length, 231, 'the record forgets nothing the node deleted');
  assert.ok(after.includes('5:succeeded') && after.includes('231:failed'));

  // A light catch-up only reads after the newest.
  lnd.listed = [];
  await catchUpPayments(database, n1.id, lnd, { full: false, signal });
  assert.deepEqual(lnd.listed, [231n]);
});

test('a payment recorded in flight that a full catch-up no longer finds is marked vanished, and not billed', async () => {
  const n2 = await node();
  const lnd = new FakeNode();
  lnd.payments = [payment(1, 'succeeded'), payment(2, 'in_flight'), payment(3, 'in_flight')];
  const signal = AbortSignal.timeout(10_000);
  await catchUpPayments(database, n2.id, lnd, { full: true, signal });
  // While the LSP was away, 2 ended and was deleted; 3 ended.
  lnd.payments = [payment(1, 'succeeded'), payment(3, 'succeeded')];
  const { vanished } = await catchUpPayments(database, n2.id, lnd, { full: true, signal });
  assert.deepEqual(vanished, [2n]);
  assert.deepEqual(await recorded(n2.id), ['1:succeeded', '2:vanished', '3:succeeded']);
  const unbilled = (await new HostedNodePaymentsRepository(database.db).unbilled(1_000)).filter(
    (p) => p.nodeId === n2.id,
  );
  assert.deepEqual(
    unbilled.map((p) => p.paymentIndex),
    [1n, 3n],
  );
});

test('the recorder follows the stream: a payment is recorded as it starts and ends, and a final status never goes back', async () => {
  const n3 = await node();
  const lnd = new FakeNode();
  const recorder = new PaymentRecorder({
    database,
    sourceOf: () => lnd,
    log: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
  });
  const stop = new AbortController();
  recorder.follow([n3], stop.signal);
  lnd.push(payment(1, 'in_flight'));
  await until('payment 1 in flight', async () => (await recorded(n3.id)).includes('1:in_flight'));
  lnd.push(payment(1, 'succeeded'));
  await until('payment 1 succeeded', async () => (await recorded(n3.id)).includes('1:succeeded'));
  // A late, out-of-order update: the record keeps the final status.
  lnd.push(payment(1, 'in_flight'));
  lnd.push(payment(1, 'succeeded'));
  lnd.push(payment(2, 'failed'));
  await until('payment 2', async () => (await recorded(n3.id)).includes('2:failed'));
  assert.deepEqual(await recorded(n3.id), ['1:succeeded', '2:failed']);

  // The stream was away while payment 3 was made; the node's list is all that has it. The
  // reconnection's catch-up records it, even though the customer deleted payments 1 and 2.
  lnd.payments = [payment(3, 'succeeded')];
  assert.deepEqual(await recorded(n3.id), ['1:succeeded', '2:failed']);
  lnd.reconnect();
  await until('payment 3 caught up', async () => (await recorded(n3.id)).includes('3:succeeded'));

  // A node no longer followed has its stream stopped.
  recorder.follow([], stop.signal);
  lnd.push(payment(4, 'succeeded'));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!(await recorded(n3.id)).includes('4:succeeded'), 'not followed any more');
  recorder.stop();
  stop.abort();
});
