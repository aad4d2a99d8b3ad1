/**
 * The top-up watcher against a small fake of the invoices port and an embedded database: a
 * top-up paid before the settlement stream was up, with no stored position (LND replays nothing
 * from settle index 0), is credited once the stream is up, not at the next minute's sweep.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type InvoiceStatus, msat, parseHex32, type StreamOptions, sat } from '@blgv/core';
import { type Database, LedgerRepository, openMigratedMemoryDatabase, TenantsRepository } from '@blgv/store';
import pino from 'pino';
import { Accounts } from './accounts.ts';
import { watchTopups } from './topup-watcher.ts';

let database: Database;
before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database.close());

const unpaid = parseHex32('aa'.repeat(32));
const hash = parseHex32('ab'.repeat(32));
const settled: InvoiceStatus = {
  paymentHash: hash,
  paymentRequest: 'lnbcrt1...',
  state: 'settled',
  amount: msat(25_000_000n),
  amountPaid: msat(25_000_000n),
  preimage: parseHex32('cd'.repeat(32)),
  settleIndex: 1n,
  addIndex: 1n,
  memo: 'top-up',
  htlcs: [],
};

test('a top-up paid before the settlement stream was up is credited once the stream is', async () => {
  const log = pino({ level: 'silent' });
  const tenant = await new TenantsRepository(database.db).create('t');
  const issued = [unpaid, hash];
  const accounts = new Accounts({
    database,
    lightning: {
      addInvoice: async () => ({ paymentHash: issued.shift(), paymentRequest: 'lnbcrt1...' }) as never,
    },
    limits: { minAmount: 1, maxAmount: 1_000_000, expirySeconds: 3_600 },
    log,
  });
  // An unpaid top-up first: the watcher's first sweep looking it up says that sweep has read
  // the open top-ups (the paid one, made after, is not among them).
  await accounts.createTopup(tenant.id, sat(10_000n));
  const firstSweep = Promise.withResolvers<void>();
  const lookups: string[] = [];
  const connect = Promise.withResolvers<() => void>();
  const stop = new AbortController();
  const watching = watchTopups(
    {
      accounts,
      database,
      log,
      lightning: {
        // Paid before the stream was up: LND answers the lookup settled, the stream sends nothing.
        lookupInvoice: async (h) => {
          lookups.push(h);
          if (h !== unpaid) return settled;
          firstSweep.resolve();
          return { ...settled, paymentHash: unpaid, state: 'open', amountPaid: msat(0n), settleIndex: 0n };
        },
        cancelInvoice: async () => {},
        subscribeInvoices: (_from, options: StreamOptions) => ({
          async *[Symbol.asyncIterator]() {
            connect.resolve(() => options.onConnected?.());
            await new Promise((resolve) => options.signal.addEventListener('abort', resolve));
          },
        }),
      },
    },
    stop.signal,
  );
  try {
    const connected = await connect.promise;
    await firstSweep.promise;
    await accounts.createTopup(tenant.id, sat(25_000n));
    connected(); // the stream is up now; the top-up was paid before
    const ledger = new LedgerRepository(database.db);
    const deadline = Date.now() + 10_000;
    while ((await ledger.getTopup(hash))?.state !== 'settled') {
      assert.ok(Date.now() < deadline, 'credited within 10 s, not at the next minute');
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(lookups, [unpaid, unpaid, hash], 'the second sweep, when the stream came up');
    assert.equal(await accounts.balance(tenant.id), sat(25_000n));
  } finally {
    stop.abort();
    await watching;
  }
});
