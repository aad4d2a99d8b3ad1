import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { type Channel, type Hex32, msat, type PaymentResult, type SendPaymentRequest, sat } from '@blgv/core';
import { type Database, openMigratedMemoryDatabase, RebalancesRepository } from '@blgv/store';
import pino from 'pino';
import { loadConfig } from '../config/config.ts';
import { type RebalanceLightning, type RoutingRebalanceConfig, rebalanceOnce } from './rebalance-job.ts';

const SELF = `02${'11'.repeat(32)}`;
const DAVE = `02${'dd'.repeat(32)}`;
const CAROL = `02${'cc'.repeat(32)}`;
const HASH = 'ab'.repeat(32) as Hex32;

let database: Database;
const defaults = loadConfig({ BLGV_SECRETS_KEY: '00'.repeat(32) }, () => '{}').routing.rebalance;
const settings: RoutingRebalanceConfig = { ...defaults, enabled: true, minAmountSat: 10_000 };

before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database.close());
beforeEach(async () => {
  await database.db.deleteFrom('rebalances').execute();
});

const channel = (
  peer: string,
  scid: bigint,
  local: number,
  remote: number,
  extra: Partial<Channel> = {},
): Channel =>
  ({
    channelPoint: { txid: scid.toString(16).padStart(64, '0'), outputIndex: 0 },
    scid,
    remotePubkey: peer,
    localBalance: sat(local),
    remoteBalance: sat(remote),
    localReserve: sat(0),
    remoteReserve: sat(0),
    active: true,
    private: false,
    pendingHtlcs: 0,
    memo: '',
    ...extra,
  }) as unknown as Channel;

/** A node with a channel to dave 10 % ours and one to carol all ours; pays with `pay`. */
function node(pay: (r: SendPaymentRequest) => PaymentResult, channels?: Channel[]) {
  const sent: SendPaymentRequest[] = [];
  const lightning = {
    listChannels: async () =>
      channels ?? [channel(DAVE, 1n, 100_000, 900_000), channel(CAROL, 2n, 2_000_000, 0)],
    getInfo: async () => ({ pubkey: SELF }),
    channelEdge: async (scid: bigint) => ({
      scid,
      node1: SELF,
      node2: DAVE,
      node1Policy: { baseFee: msat(1000n), feeRatePpm: 100n },
      node2Policy: undefined,
    }),
    addInvoice: async () => ({ paymentRequest: 'lnbcrt-self', paymentHash: HASH, addIndex: 1n }),
    cancelInvoice: async () => {},
    sendPayment: async (r: SendPaymentRequest) => {
      sent.push(r);
      return pay(r);
    },
    trackPayment: async () => undefined,
  } as unknown as RebalanceLightning;
  return { lightning, sent };
}

const deps = (lightning: RebalanceLightning, s = settings) => ({
  database,
  lightning,
  settings: s,
  log: pino({ level: 'silent' }),
});
const rows = () => new RebalancesRepository(database.db).list(100);

test('refills the depleted channel from the full one, out over the source, in from the target peer, within the bound', async () => {
  const { lightning, sent } = node(() => ({
    status: 'succeeded',
    paymentHash: HASH,
    preimage: HASH,
    amount: msat(200_000_000n),
    fee: msat(3_200n),
    htlcCount: 1,
  }));
  assert.equal(await rebalanceOnce(deps(lightning), AbortSignal.timeout(5_000)), 1);
  const [r] = sent;
  assert.equal(r?.outgoingScid, 2n);
  assert.equal(r?.lastHopPubkey, DAVE);
  assert.equal(r?.allowSelfPayment, true);
  assert.equal(r?.maxParts, 1);
  // 200,000 sat (to 30 %) at 100 ppm earns 20,000 msat; x 0.5.
  assert.equal(r?.feeLimit, 10_000n);
  const [row] = await rows();
  assert.equal(row?.state, 'succeeded');
  assert.equal(row?.amountSat, 200_000n);
  assert.equal(row?.feeMsat, 3_200n);
  assert.deepEqual(await new RebalancesRepository(database.db).costs(), {
    count: 1,
    movedSat: 200_000n,
    feeMsat: 3_200n,
  });
  const own = await database.db.selectFrom('lsp_own_payments').selectAll().execute();
  assert.deepEqual(
    own.map((o) => [o.payment_hash, o.purpose]),
    [[HASH, 'rebalance']],
  );
});

test('no route within the bound: refused, nothing spent; other failures: failed', async () => {
  const noRoute = node(() => ({
    status: 'failed',
    paymentHash: HASH,
    reason: 'no_route',
    htlcCount: 0,
    attemptFailures: [],
  }));
  assert.equal(await rebalanceOnce(deps(noRoute.lightning), AbortSignal.timeout(5_000)), 0);
  const [refused] = await rows();
  assert.equal(refused?.state, 'refused');
  assert.match(refused?.reason ?? '', /no route within the fee limit of 10000 msat/);
  assert.equal((await new RebalancesRepository(database.db).costs()).feeMsat, 0n);
  const failing = node(() => ({
    status: 'failed',
    paymentHash: HASH,
    reason: 'error',
    htlcCount: 1,
    attemptFailures: [{ code: 'temporary_channel_failure', sourceIndex: 1 }],
  }));
  await rebalanceOnce(deps(failing.lightning), AbortSignal.timeout(5_000));
  const [failed] = await rows();
  assert.equal(failed?.state, 'failed');
  assert.match(failed?.reason ?? '', /failed: error \(temporary_channel_failure\); nothing spent/);
});

test('the daily budget caps the fee limit and, once spent, refuses', async () => {
  const { lightning, sent } = node(() => ({
    status: 'succeeded',
    paymentHash: HASH,
    preimage: HASH,
    amount: msat(200_000_000n),
    fee: msat(4_000n),
    htlcCount: 1,
  }));
  const tight = { ...settings, dailyBudgetSat: 4 };
  await rebalanceOnce(deps(lightning, tight), AbortSignal.timeout(5_000));
  assert.equal(sent[0]?.feeLimit, 4_000n, 'capped at the budget');
  await rebalanceOnce(deps(lightning, tight), AbortSignal.timeout(5_000));
  assert.equal(sent.length, 1, 'nothing sent once the budget is spent');
  const [last] = await rows();
  assert.equal(last?.state, 'refused');
  assert.match(last?.reason ?? '', /daily budget of 4 sat is spent/);
});

test('private, JIT, inactive channels and ones with HTLCs in flight are left alone', async () => {
  for (const extra of [{ private: true }, { memo: 'lsps2:x' }, { active: false }, { pendingHtlcs: 1 }]) {
    const { lightning, sent } = node(
      () => assert.fail('nothing is sent'),
      [channel(DAVE, 1n, 100_000, 900_000, extra), channel(CAROL, 2n, 2_000_000, 0)],
    );
    assert.equal(await rebalanceOnce(deps(lightning), AbortSignal.timeout(5_000)), 0);
    assert.equal(sent.length, 0);
  }
  assert.equal((await rows()).length, 0);
});

test('a rebalance left sending that LND never saw is failed only once its invoice is cancelled; one whose invoice was paid meanwhile stays unknown', async () => {
  const unknown = node(() => {
    throw new Error('deadline exceeded');
  });
  // The first pass sends, and does not learn the outcome: the attempt stays sending.
  assert.equal(await rebalanceOnce(deps(unknown.lightning), AbortSignal.timeout(5_000)), 0);
  assert.equal((await rows())[0]?.state, 'sending');
  // Next pass: LND has no payment for it, but the invoice was paid meanwhile (a late send): the
  // cancel is refused, and nothing is recorded.
  const cancels: string[] = [];
  const quiet = [channel(DAVE, 1n, 500_000, 500_000), channel(CAROL, 2n, 500_000, 500_000)];
  const paidMeanwhile = {
    ...node(() => assert.fail('nothing is sent'), quiet).lightning,
    cancelInvoice: async (hash: Hex32) => {
      cancels.push(hash);
      throw new Error('invoice already settled');
    },
  } as RebalanceLightning;
  await rebalanceOnce(deps(paidMeanwhile), AbortSignal.timeout(5_000));
  assert.deepEqual(cancels, [HASH]);
  assert.equal((await rows())[0]?.state, 'sending', 'unknown is not failed');
  // Cancelled: no late send can be paid any more; failed, nothing spent.
  const cancelled = {
    ...node(() => assert.fail('nothing is sent'), quiet).lightning,
    cancelInvoice: async (hash: Hex32) => {
      cancels.push(hash);
    },
  } as RebalanceLightning;
  await rebalanceOnce(deps(cancelled), AbortSignal.timeout(5_000));
  assert.deepEqual(cancels, [HASH, HASH]);
  const [row] = await rows();
  assert.equal(row?.state, 'failed');
  assert.match(row?.reason ?? '', /never sent; nothing spent/);
});
