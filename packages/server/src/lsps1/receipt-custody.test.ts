import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OnchainTransaction, type OrderState, parseHex32, sat } from '@blgv/core';
import { p2wpkh, TEST_NETWORK, Transaction } from '@scure/btc-signer';
import {
  holdsClientCoins,
  inUseElsewhere,
  overpaidBy,
  paidReceipts,
  type ReceiptOutput,
  refundingOutpoints,
  sortReceipts,
  spentForGood,
} from './receipt-custody.ts';
import { refundPsbt } from './refund-transaction.ts';

const txid = (b: string) => parseHex32(b.repeat(32));
const point = (b: string, outputIndex = 0) => ({ txid: txid(b), outputIndex });
const REGTEST = { ...TEST_NETWORK, bech32: 'bcrt' };
const ORDER_ADDRESS = p2wpkh(
  Buffer.from('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex'),
  REGTEST,
).address as string;
/** A refund (unsigned) spending `bb:1`. */
const REFUND_RAW_TX = Buffer.from(
  Transaction.fromPSBT(
    Buffer.from(
      refundPsbt(
        [{ outpoint: point('bb', 1), amount: sat(50_000n), address: ORDER_ADDRESS }],
        ORDER_ADDRESS,
        2n,
      ).psbt,
      'base64',
    ),
  ).unsignedTx,
).toString('hex');
const REFUND_INPUT = `${txid('bb')}:1`;
/** A receipt of `amount` sat at `b:0` whose transaction has `confirmations`. */
const receipt = (b: string, amount: bigint, confirmations: number): ReceiptOutput => ({
  outpoint: point(b),
  amount: sat(amount),
  address: 'bcrt1qorder',
  confirmations,
});
const keys = (rs: readonly { outpoint: { txid: string; outputIndex: number } }[]) =>
  rs.map((r) => `${r.outpoint.txid.slice(0, 2)}:${r.outpoint.outputIndex}`);
const order = (state: OrderState, paymentMethod: 'bolt11' | 'onchain' | null, total = 100_000n) => ({
  state,
  paymentMethod,
  orderTotalSat: sat(total),
});
const none = new Set<string>();
const sorted = (o: ReturnType<typeof order>, receipts: ReceiptOutput[], spent = none, refunding = none) => {
  const r = sortReceipts(o, receipts, spent, refunding);
  return {
    paid: keys(r.paid),
    refunding: keys(r.refunding),
    unrefunded: keys(r.unrefunded),
    unconfirmed: keys(r.unconfirmed),
  };
};

test("while the order runs nothing is paid: every receipt is the client's until it pays for a channel", () => {
  for (const state of ['awaiting_payment', 'payment_held', 'opening', 'publishing', 'refunding'] as const)
    assert.deepEqual(
      sorted(order(state, 'onchain'), [receipt('aa', 100_000n, 3)]),
      { paid: [], refunding: [], unrefunded: ['aa:0'], unconfirmed: [] },
      state,
    );
});

test('an unconfirmed receipt is held apart, refunded only once it confirms (its payer may still replace it)', () => {
  const receipts = [receipt('aa', 60_000n, 3), receipt('bb', 20_000n, 0)];
  assert.deepEqual(sorted(order('failed', 'onchain'), receipts), {
    paid: [],
    refunding: [],
    unrefunded: ['aa:0'],
    unconfirmed: ['bb:0'],
  });
  assert.deepEqual(
    sorted(order('failed', 'onchain'), [receipt('aa', 60_000n, 3), receipt('bb', 20_000n, 1)]),
    {
      paid: [],
      refunding: [],
      unrefunded: ['aa:0', 'bb:0'],
      unconfirmed: [],
    },
  );
});

test('receipts that paid for a published channel are the LSP’s; what arrived after the order was paid is not', () => {
  const receipts = [receipt('cc', 30_000n, 0), receipt('aa', 60_000n, 5), receipt('bb', 50_000n, 4)];
  for (const state of ['settling', 'completed'] as const)
    assert.deepEqual(sorted(order(state, 'onchain'), receipts), {
      paid: ['aa:0', 'bb:0'],
      refunding: [],
      unrefunded: [],
      unconfirmed: ['cc:0'],
    });
  // The earliest confirmed until the total: one more confirmed later is the client's too.
  assert.deepEqual(keys(paidReceipts([...receipts, receipt('dd', 10_000n, 1)], 100_000n)), ['aa:0', 'bb:0']);
  // One output paying more than the total paid.
  assert.deepEqual(keys(paidReceipts([receipt('ee', 150_000n, 2)], 100_000n)), ['ee:0']);
});

test('what the receipt that paid an order paid over its total is the client’s when worth its refund', () => {
  const completed = order('completed', 'onchain');
  const receipts = [receipt('aa', 60_000n, 5), receipt('bb', 50_000n, 4), receipt('cc', 30_000n, 0)];
  assert.equal(overpaidBy(completed, receipts), 10_000n, 'aa and bb paid 110,000 for 100,000');
  assert.equal(overpaidBy(order('publishing', 'onchain'), receipts), 0n, 'not funded yet: nothing paid');
  assert.equal(overpaidBy(order('completed', 'bolt11'), receipts), 0n);
  const split = sortReceipts(completed, receipts, none, none, 5_000n);
  assert.deepEqual(keys(split.paid), ['aa:0']);
  assert.deepEqual(keys(split.unconfirmed), ['cc:0']);
  assert.deepEqual(
    split.overpaid && keys([split.overpaid.receipt]),
    ['bb:0'],
    'the receipt that crossed the total',
  );
  assert.equal(split.overpaid?.kept, 40_000n, 'of its 50,000, 40,000 paid for the channel');
  const small = sortReceipts(completed, receipts, none, none, 10_001n);
  assert.equal(small.overpaid, undefined, 'worth less than its refund: it paid');
  assert.deepEqual(keys(small.paid), ['aa:0', 'bb:0']);
  assert.equal(sortReceipts(completed, receipts, none, none).overpaid, undefined, 'no floor known: it paid');
  const inRefund = sortReceipts(completed, receipts, none, new Set([`${txid('bb')}:0`]), 5_000n);
  assert.equal(inRefund.overpaid, undefined);
  assert.deepEqual(keys(inRefund.refunding), ['bb:0'], 'held while its refund is unconfirmed');
  const gone = sortReceipts(completed, receipts, new Set([`${txid('bb')}:0`]), none, 5_000n);
  assert.equal(gone.overpaid, undefined, 'its refund confirmed');
  assert.deepEqual(keys(gone.paid), ['aa:0']);
  // 99,900 then 50,000 for 100,000: the second paid 100 sat of the total, under the dust limit.
  const dust = sortReceipts(
    completed,
    [receipt('aa', 99_900n, 5), receipt('bb', 50_000n, 4)],
    none,
    none,
    5_000n,
  );
  assert.equal(dust.overpaid?.kept, 0n, 'the LSP forgoes a part that small: no dust output');
  assert.equal(overpaidBy(completed, [receipt('aa', 99_900n, 5), receipt('bb', 50_000n, 4)]), 49_900n);
});

test('a crossing receipt the wallet has put to another use stays paid: it is never taken back for a refund', () => {
  const completed = order('completed', 'onchain');
  const receipts = [receipt('aa', 60_000n, 5), receipt('bb', 50_000n, 4)];
  const inFunding = sortReceipts(completed, receipts, none, none, 5_000n, new Set([`${txid('bb')}:0`]));
  assert.equal(inFunding.overpaid, undefined, 'released as paid earlier, now in a funding: not the refund’s');
  assert.deepEqual(keys(inFunding.paid), ['aa:0', 'bb:0']);
  const otherInUse = sortReceipts(completed, receipts, none, none, 5_000n, new Set([`${txid('aa')}:0`]));
  assert.deepEqual(
    otherInUse.overpaid && keys([otherInUse.overpaid.receipt]),
    ['bb:0'],
    'only the crossing one counts',
  );
});

test('what the wallet put to another use: spent unconfirmed by no refund of the order, or leased under another lock', () => {
  const orderLock = 'ab'.repeat(32);
  const tx = (b: string, confirmations: number, inputs: ReturnType<typeof point>[]) =>
    ({ txid: txid(b), confirmations, inputs, outputs: [] }) as unknown as OnchainTransaction;
  const txs = [
    tx('d1', 0, [point('aa')]), // a funding not confirmed yet
    tx('d2', 0, [point('bb')]), // the order's own refund
    tx('d3', 2, [point('cc')]), // confirmed: spent for good, not "in use"
  ];
  const leases = [
    { lockId: parseHex32('cd'.repeat(32)), outpoint: point('ee'), expiresAt: new Date() },
    { lockId: parseHex32(orderLock), outpoint: point('ff'), expiresAt: new Date() },
  ];
  const inUse = inUseElsewhere(txs, new Set([`${txid('bb')}:0`]), leases as never, orderLock);
  assert.deepEqual([...inUse].map((k) => k.slice(0, 2)).sort(), ['aa', 'ee']);
});

test('a receipt a live refund spends is held; one spent for good is gone; the rest are refunded', () => {
  const receipts = [receipt('aa', 5_000n, 9), receipt('bb', 7_000n, 2), receipt('cc', 8_000n, 1)];
  const spent = new Set([`${txid('aa')}:0`]);
  const refunding = new Set([`${txid('bb')}:0`]);
  assert.deepEqual(sorted(order('expired', null), receipts, spent, refunding), {
    paid: [],
    refunding: ['bb:0'],
    unrefunded: ['cc:0'],
    unconfirmed: [],
  });
  assert.deepEqual(
    sorted(order('completed', 'bolt11'), [receipt('dd', 100_000n, 3)]),
    { paid: [], refunding: [], unrefunded: ['dd:0'], unconfirmed: [] },
    'an order paid by its invoice: its address was paid for nothing',
  );
  assert.deepEqual(
    sorted(order('failed', 'onchain'), [receipt('dd', 100_000n, 3)]),
    { paid: [], refunding: [], unrefunded: ['dd:0'], unconfirmed: [] },
    'paid on chain, failed: nothing paid for',
  );
});

test('the outpoints in a refund: its live refunds on record and unconfirmed transactions labelled as its refund', () => {
  const label = 'lsps1-refund:order';
  const labelled = { ...tx('ee', 0, [point('cc')]), label };
  const refunding = refundingOutpoints(
    [{ rawTx: REFUND_RAW_TX, replacedBy: null, confirmedAt: null }],
    [labelled, { ...tx('ff', 1, [point('dd')]), label }, tx('99', 0, [point('bb')])],
    label,
  );
  assert.deepEqual(
    [...refunding].sort(),
    [REFUND_INPUT, `${txid('cc')}:0`].sort(),
    "the live refund's input and the unconfirmed labelled transaction's; not a confirmed one's, nor another's",
  );
  const retired = refundingOutpoints(
    [{ rawTx: REFUND_RAW_TX, replacedBy: txid('ab'), confirmedAt: null }],
    [],
    label,
  );
  assert.equal(retired.size, 0, 'a replaced refund spends nothing any more');
});

function tx(
  id: string,
  confirmations: number,
  inputs: { txid: string; outputIndex: number }[],
): OnchainTransaction {
  return {
    txid: txid(id),
    confirmations,
    blockHeight: confirmations ? 100 : 0,
    fee: sat(0n),
    label: '',
    outputs: [],
    inputs: inputs.map((i) => ({ txid: parseHex32(i.txid), outputIndex: i.outputIndex })),
  };
}

test('an output is spent for good once a confirmed transaction spends it', () => {
  const a = { txid: txid('aa'), outputIndex: 0 };
  const b = { txid: txid('bb'), outputIndex: 1 };
  const spent = spentForGood([tx('cc', 1, [a]), tx('dd', 0, [b])]);
  assert.deepEqual([...spent], [`${a.txid}:0`], 'a mempool spend may still be replaced or dropped');
});

test('an ended order holds its client’s coins while a receipt awaits confirmation or is worth its refund at the lowest rate', () => {
  const at = (b: string, amount: bigint, confirmations: number): ReceiptOutput => ({
    ...receipt(b, amount, confirmations),
    address: ORDER_ADDRESS,
  });
  const failed = order('failed', 'onchain');
  const holds = (receipts: ReceiptOutput[], refundOnchainAddress: string | null = ORDER_ADDRESS) =>
    holdsClientCoins({ refundOnchainAddress }, sortReceipts(failed, receipts, none, none), 1);
  assert.equal(holds([at('aa', 1_000n, 3)]), true, 'worth its refund at 1 sat/vB');
  assert.equal(
    holds([at('aa', 400n, 3)]),
    false,
    'less than its refund fee and the dust limit: worth nothing',
  );
  assert.equal(holds([at('aa', 400n, 3), at('bb', 400n, 2)]), true, 'two small ones together are worth it');
  assert.equal(holds([at('aa', 1_000n, 0)]), false, 'not confirmed yet: found again once it confirms');
  assert.equal(holds([]), false);
  assert.equal(holds([at('aa', 1_000n, 3)], null), false, 'no refund address to send it to');
  const spent = new Set([`${txid('aa')}:0`]);
  assert.equal(
    holdsClientCoins(
      { refundOnchainAddress: ORDER_ADDRESS },
      sortReceipts(failed, [at('aa', 1_000n, 3)], spent, none),
      1,
    ),
    false,
    'refunded for good',
  );
});
