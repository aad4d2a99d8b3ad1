import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Hex32, msat, type OnchainTransaction, type OrderState, sat, scid } from '@blgv/core';
import type { JitChannelRecord, Lsps1OrderRecord, Lsps1Refund } from '@blgv/store';
import { p2wpkh, TEST_NETWORK, Transaction } from '@scure/btc-signer';
import { type AuditSink, auditJitFees, auditLsps1Receipts } from './custody-checks.ts';
import type { SeenChannel } from './lnd-snapshot.ts';

const REGTEST = { ...TEST_NETWORK, bech32: 'bcrt' };
const address = (prefix: string) =>
  p2wpkh(
    Buffer.from(`${prefix}79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798`, 'hex'),
    REGTEST,
  ).address as string;
const ORDER_ADDRESS = address('02');
const REFUND_ADDRESS = address('03');
/** Somewhere else (2G's key). */
const ELSEWHERE = p2wpkh(
  Buffer.from('02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5', 'hex'),
  REGTEST,
).address as string;
const txid = (c: string) => c.repeat(64) as Hex32;
const PAYMENT = txid('a');

function sink() {
  const flags: string[] = [];
  const inFlight: string[] = [];
  const s: AuditSink = {
    flag: (check) => flags.push(check),
    checked: () => {},
    inFlight: (what) => inFlight.push(what),
  };
  return { s, flags, inFlight };
}

function order(state: OrderState, paymentMethod: 'bolt11' | 'onchain' | null): Lsps1OrderRecord {
  return {
    id: '6f0c3f39-5a42-4b8e-9d55-1f2a3b4c5d6e',
    state,
    paymentMethod,
    onchainAddress: ORDER_ADDRESS,
    onchainStartHeight: 100,
    refundOnchainAddress: REFUND_ADDRESS,
    orderTotalSat: sat(50_000n),
  } as Lsps1OrderRecord;
}

/** The client's payment: `amount` sat to the order's address. */
function payment(amount: bigint): OnchainTransaction {
  return {
    txid: PAYMENT,
    confirmations: 3,
    blockHeight: 101,
    fee: sat(0n),
    label: '',
    outputs: [{ outputIndex: 1, address: ORDER_ADDRESS, amount: sat(amount), ours: true }],
    inputs: [],
  };
}

/** A wallet transaction spending the payment, paying `to`. */
function spend(id: Hex32, to: string, confirmations: number): OnchainTransaction {
  return {
    txid: id,
    confirmations,
    blockHeight: confirmations ? 104 : 0,
    fee: sat(200n),
    label: '',
    outputs: [{ outputIndex: 0, address: to, amount: sat(1000n), ours: false }],
    inputs: [{ txid: PAYMENT, outputIndex: 1 }],
  };
}

function refundRow(id: Hex32, confirmed: boolean): Lsps1Refund {
  const tx = new Transaction();
  tx.addInput({ txid: PAYMENT, index: 1 });
  tx.addOutputAddress(REFUND_ADDRESS, 1000n, REGTEST);
  return {
    txid: id,
    orderId: order('failed', 'onchain').id,
    rawTx: Buffer.from(tx.toBytes(true, false)).toString('hex'),
    feeRate: 2n,
    fee: sat(220n),
    amount: sat(1000n),
    refundAddress: REFUND_ADDRESS,
    replacedBy: null,
    confirmedAt: confirmed ? new Date() : null,
    createdAt: new Date(),
  };
}

const wallet = (txs: OnchainTransaction[]) => ({ onchain: async () => txs });

test("a failed order's receipt refunded and confirmed is clean; in the mempool it is in flight", async () => {
  const refund = txid('b');
  const clean = sink();
  await auditLsps1Receipts(
    [order('failed', 'onchain')],
    [refundRow(refund, true)],
    wallet([payment(50_000n), spend(refund, REFUND_ADDRESS, 1)]),
    clean.s,
  );
  assert.deepEqual(clean.flags, []);
  const pending = sink();
  await auditLsps1Receipts(
    [order('failed', 'onchain')],
    [refundRow(refund, false)],
    wallet([payment(50_000n), spend(refund, REFUND_ADDRESS, 0)]),
    pending.s,
  );
  assert.deepEqual(pending.flags, []);
  assert.deepEqual(pending.inFlight, ['lsps1_receipts']);
});

test('a receipt spent by anything but its refund is flagged, whatever the order', async () => {
  for (const o of [
    order('failed', 'onchain'),
    order('payment_held', 'onchain'),
    order('completed', 'bolt11'),
  ]) {
    const r = sink();
    await auditLsps1Receipts([o], [], wallet([payment(50_000n), spend(txid('c'), ELSEWHERE, 1)]), r.s);
    assert.deepEqual(r.flags, ['lsps1_receipt_spent'], o.state);
  }
});

test('a receipt that paid for a funded channel is the LSP’s to spend', async () => {
  const r = sink();
  await auditLsps1Receipts(
    [order('completed', 'onchain')],
    [],
    wallet([payment(50_000n), spend(txid('c'), ELSEWHERE, 1)]),
    r.s,
  );
  assert.deepEqual(r.flags, []);
});

test('an overpayment worth its refund even at the highest rate goes back; the LSP spending it is flagged', async () => {
  const refund = { ...refundRow(txid('b'), true), orderId: order('completed', 'onchain').id };
  const maxRate = 100;
  const kept = sink();
  await auditLsps1Receipts(
    [order('completed', 'onchain')],
    [],
    wallet([payment(90_000n), spend(txid('c'), ELSEWHERE, 1)]),
    kept.s,
    maxRate,
  );
  assert.deepEqual(
    kept.flags,
    ['lsps1_overpayment_kept'],
    '40,000 sat over a 50,000 sat total, spent by the LSP',
  );
  const sent = sink();
  await auditLsps1Receipts(
    [order('completed', 'onchain')],
    [refund],
    wallet([payment(90_000n), spend(refund.txid, REFUND_ADDRESS, 1)]),
    sent.s,
    maxRate,
  );
  assert.deepEqual(sent.flags, [], 'spent by its refund');
  const small = sink();
  await auditLsps1Receipts(
    [order('completed', 'onchain')],
    [],
    wallet([payment(60_000n), spend(txid('c'), ELSEWHERE, 1)]),
    small.s,
    maxRate,
  );
  assert.deepEqual(
    small.flags,
    [],
    '10,000 sat over: at 100 sat/vB its refund could cost more, so not judged',
  );
  const waiting = sink();
  await auditLsps1Receipts(
    [order('completed', 'onchain')],
    [],
    wallet([payment(90_000n)]),
    waiting.s,
    maxRate,
  );
  assert.deepEqual(waiting.flags, []);
  assert.deepEqual(waiting.inFlight, ['lsps1_receipts'], 'not spent yet: the next pass refunds it');
});

test('what reached a funded order’s address after it was paid is the client’s: refunded, never the LSP’s to spend', async () => {
  const late: OnchainTransaction = {
    ...payment(30_000n),
    txid: txid('d'),
    confirmations: 1,
    blockHeight: 103,
  };
  const kept = sink();
  await auditLsps1Receipts([order('completed', 'onchain')], [], wallet([payment(50_000n), late]), kept.s);
  assert.deepEqual(kept.flags, ['lsps1_receipt_not_refunded']);
  const spent = sink();
  const spendLate = { ...spend(txid('e'), ELSEWHERE, 1), inputs: [{ txid: txid('d'), outputIndex: 1 }] };
  await auditLsps1Receipts(
    [order('completed', 'onchain')],
    [],
    wallet([payment(50_000n), late, spendLate]),
    spent.s,
  );
  assert.deepEqual(spent.flags, ['lsps1_receipt_spent']);
});

test('an ended order whose receipt was never refunded is flagged, unless too little to pay for a refund', async () => {
  for (const o of [order('failed', 'onchain'), order('completed', 'bolt11'), order('expired', null)]) {
    const r = sink();
    await auditLsps1Receipts([o], [], wallet([payment(50_000n)]), r.s);
    assert.deepEqual(r.flags, ['lsps1_receipt_not_refunded'], o.state);
  }
  const dust = sink();
  await auditLsps1Receipts([order('failed', 'onchain')], [], wallet([payment(400n)]), dust.s);
  assert.deepEqual(dust.flags, [], '400 sat cannot pay 110 vB and leave 330');
  const running = sink();
  await auditLsps1Receipts([order('payment_held', 'onchain')], [], wallet([payment(50_000n)]), running.s);
  assert.deepEqual(running.flags, []);
  assert.deepEqual(running.inFlight, ['lsps1_receipts']);
});

test('a confirmed refund paying elsewhere than the refund address is flagged', async () => {
  const refund = txid('b');
  const r = sink();
  await auditLsps1Receipts(
    [order('failed', 'onchain')],
    [refundRow(refund, true)],
    wallet([payment(50_000n), spend(refund, ELSEWHERE, 1)]),
    r.s,
  );
  assert.deepEqual(r.flags, ['lsps1_refund_elsewhere']);
});

const JIT_SCID = scid(900n);
const CHANNEL_SCID = scid(800n);
const created = new Date('2026-01-01T00:00:00Z');

function jit(fee: bigint, updatedAt = new Date(created.getTime() + 10_000)): JitChannelRecord {
  const record: Partial<JitChannelRecord> = {
    id: 'j1',
    state: 'completed',
    feeMsat: msat(fee),
    jitScid: String(JIT_SCID),
    channelScid: null,
    fundingTxid: txid('d'),
    fundingOutputIndex: 0,
    createdAt: created,
    updatedAt,
  };
  return record as JitChannelRecord;
}

function forwards(fees: bigint[], seen: Partial<SeenChannel> = {}) {
  return {
    forwards: async () =>
      fees.map((fee) => ({
        timestamp: new Date(created.getTime() + 5_000),
        incomingScid: scid(1n),
        outgoingScid: CHANNEL_SCID,
        amountIn: (100_000n + fee) as never,
        amountOut: 100_000n as never,
        fee: fee as never,
      })),
    channel: () =>
      ({
        where: 'open',
        capacity: 1n,
        push: 0n,
        memo: '',
        scids: [CHANNEL_SCID],
        pendingHtlcs: 0,
        ...seen,
      }) as SeenChannel,
  };
}

test("a completed JIT channel's opening fee must be in the fees of settled forwards on its channel", async () => {
  const paid = sink();
  await auditJitFees([jit(3_000n)], forwards([1_800n, 1_300n]), paid.s);
  assert.deepEqual(paid.flags, [], 'two parts, each with its share (and a little routing fee)');
  const short = sink();
  await auditJitFees([jit(3_000n)], forwards([1_000n]), short.s);
  assert.deepEqual(short.flags, ['jit_fee_not_collected']);
  const none = sink();
  await auditJitFees([jit(3_000n)], forwards([]), none.s);
  assert.deepEqual(none.flags, ['jit_fee_not_collected']);
  const settling = sink();
  await auditJitFees([jit(3_000n)], forwards([], { pendingHtlcs: 1 }), settling.s);
  assert.deepEqual(settling.flags, [], 'its payment still on the channel: in flight');
  assert.deepEqual(settling.inFlight, ['jit_fees']);
  const justNow = sink();
  await auditJitFees([jit(3_000n, new Date())], forwards([]), justNow.s);
  assert.deepEqual(justNow.flags, [], "completed a moment ago: LND's forwarding log may lag");
  assert.deepEqual(justNow.inFlight, ['jit_fees']);
});
