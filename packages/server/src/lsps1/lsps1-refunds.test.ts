import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Hex32, sat } from '@blgv/core';
import type { Lsps1Refund } from '@blgv/store';
import { nextRefundStep, refundChains } from './lsps1-refunds.ts';

const HOUR = 3_600_000;
const SIX_HOURS = 6 * HOUR;
const NOW = new Date('2026-11-29T12:00:00Z');

function refund(txid: string, sentHoursAgo: number, replacedBy: string | null = null): Lsps1Refund {
  return {
    txid: txid.repeat(64).slice(0, 64) as Hex32,
    orderId: 'order',
    rawTx: '',
    feeRate: 2n,
    fee: sat(220n),
    amount: sat(10_000n),
    refundAddress: 'bcrt1q',
    replacedBy: replacedBy === null ? null : (replacedBy.repeat(64).slice(0, 64) as Hex32),
    confirmedAt: null,
    createdAt: new Date(NOW.getTime() - sentHoursAgo * HOUR),
  };
}

const unconfirmed = () => 0;

test('a refund younger than six hours is published again, not bumped', () => {
  const step = nextRefundStep([refund('a', 5.9)], unconfirmed, NOW, SIX_HOURS);
  assert.equal(step.kind, 'publish');
});

test('a refund unconfirmed for six hours is bumped (bLIP-51 51-58)', () => {
  const step = nextRefundStep([refund('a', 6)], unconfirmed, NOW, SIX_HOURS);
  assert.equal(step.kind, 'bump');
  assert.equal(step.kind === 'bump' && step.live.txid, refund('a', 0).txid);
});

test('after a bump, the replacement gets its own six hours', () => {
  const refunds = [refund('a', 7, 'b'), refund('b', 1)];
  const step = nextRefundStep(refunds, unconfirmed, NOW, SIX_HOURS);
  assert.equal(step.kind, 'publish');
  assert.equal(step.kind === 'publish' && step.live.txid, refunds[1]?.txid);
});

test('whichever refund confirmed is the refund, even one a bump replaced', () => {
  const refunds = [refund('a', 7, 'b'), refund('b', 1)];
  const first = refunds[0]?.txid;
  const step = nextRefundStep(refunds, (txid) => (txid === first ? 1 : 0), NOW, SIX_HOURS);
  assert.deepEqual(step, { kind: 'confirmed', txid: first });
});

test('an order without a live refund needs nothing', () => {
  assert.equal(nextRefundStep([], unconfirmed, NOW, SIX_HOURS).kind, 'none');
});

test("an order's refunds in chains: a refund with its bumps, and a later refund of what arrived later", () => {
  const refunds = [refund('a', 9, 'b'), refund('b', 7, 'c'), refund('d', 3), refund('c', 1)];
  const chains = refundChains(refunds).map((c) => c.map((r) => r.txid[0]));
  assert.deepEqual(chains, [['a', 'b', 'c'], ['d']]);
  // Each chain is stepped on its own: the first is bumped, the second only published again.
  const steps = refundChains(refunds).map((c) => nextRefundStep(c, unconfirmed, NOW, SIX_HOURS).kind);
  assert.deepEqual(steps, ['publish', 'publish']);
  const old = [refund('a', 9, 'b'), refund('b', 7), refund('d', 6.5)];
  assert.deepEqual(
    refundChains(old).map((c) => nextRefundStep(c, unconfirmed, NOW, SIX_HOURS).kind),
    ['bump', 'bump'],
  );
  assert.deepEqual(refundChains([]), []);
});
