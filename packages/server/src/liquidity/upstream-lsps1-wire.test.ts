import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isLspError } from '@blgv/core';
import { parseUpstreamInfo, parseUpstreamOrder } from './upstream-lsps1-wire.ts';
import { findPurchasePayment, purchasePaymentLabel } from './upstream-payment.ts';

const TXID = 'ab'.repeat(32);
const ORDER = {
  order_id: '5d0d2b39-0c47-4a8b-9f6c-2f3c1b2a9e10',
  lsp_balance_sat: '20000',
  client_balance_sat: '101860',
  order_state: 'CREATED',
  payment: {
    bolt11: { fee_total_sat: '1122', order_total_sat: '102982', invoice: 'lnbcrt1...' },
    onchain: { fee_total_sat: '1122', order_total_sat: '102982', address: 'bcrt1qxyz', extra: 1 },
  },
  channel: null,
};

test('an order with an on-chain option parses into sats; unknown fields are ignored', () => {
  const o = parseUpstreamOrder(ORDER);
  assert.equal(o.clientBalance, 101_860n);
  assert.equal(o.feeTotal, 1_122n);
  assert.deepEqual(o.onchain, { address: 'bcrt1qxyz', feeTotal: 1_122n, orderTotal: 102_982n });
  assert.equal(o.fundingOutpoint, undefined);
});

test('a funded order carries its funding outpoint', () => {
  const o = parseUpstreamOrder({
    ...ORDER,
    order_state: 'COMPLETED',
    channel: { funding_outpoint: `${TXID}:1` },
  });
  assert.deepEqual(o.fundingOutpoint, { txid: TXID, outputIndex: 1 });
});

test('malformed answers are lightning_rejected, naming the field', () => {
  assert.throws(
    () => parseUpstreamOrder({ ...ORDER, client_balance_sat: -5 }),
    (err: unknown) => isLspError(err, ErrorCode.LightningRejected) && /client_balance_sat/.test(err.message),
  );
  assert.throws(
    () => parseUpstreamInfo({}),
    (err: unknown) => isLspError(err, ErrorCode.LightningRejected),
  );
});

test('our payment of a purchase is found by its label or by its address', () => {
  const tx = (label: string, address: string) => ({
    txid: TXID as never,
    confirmations: 0,
    blockHeight: 0,
    fee: 141n as never,
    label,
    outputs: [{ outputIndex: 0, address, amount: 5n as never, ours: false }],
    inputs: [],
  });
  const purchase = { id: 'p1', payAddress: 'bcrt1qpay' };
  assert.deepEqual(findPurchasePayment([tx(purchasePaymentLabel('p1'), 'bcrt1qother')], purchase), {
    txid: TXID,
    fee: 141n,
  });
  assert.equal(findPurchasePayment([tx('', 'bcrt1qpay')], purchase)?.fee, 141n);
  assert.equal(findPurchasePayment([tx('liquidity-purchase:p2', 'bcrt1qother')], purchase), undefined);
});
