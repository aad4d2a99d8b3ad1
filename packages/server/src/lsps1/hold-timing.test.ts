import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InvoiceHtlcRecord, type InvoiceStatus, msat, parseHex32, scid } from '@blgv/core';
import { blocksIn, COMMIT_MARGIN_BLOCKS, heldHtlcCheck, holdCltvProblem } from './hold-timing.ts';

const DEFAULTS = {
  holdInvoiceCltv: 144,
  lndHoldExpiryDelta: 18,
  openDeadlineSeconds: 3600,
  openTimeoutSeconds: 60,
};

test('blocks are counted at twice the target rate: 5 minutes a block, rounded up', () => {
  assert.equal(blocksIn(300), 1);
  assert.equal(blocksIn(301), 2);
  assert.equal(blocksIn(3600), 12);
});

test('the defaults leave the open far more room than it needs', () => {
  assert.equal(holdCltvProblem(DEFAULTS), undefined);
});

test('a deadline the CLTV cannot cover is named with both settings and what would do', () => {
  // 144 - 18 - 6 = 120 usable blocks = 36,000 s; accept and sign take 2 x 60 s of it.
  assert.equal(holdCltvProblem({ ...DEFAULTS, openDeadlineSeconds: 35_880 }), undefined);
  const problem = holdCltvProblem({ ...DEFAULTS, openDeadlineSeconds: 86_400 });
  assert.match(problem ?? '', /lsps1\.openDeadlineSeconds 86400/);
  assert.match(problem ?? '', /lsps1\.holdInvoiceCltv 144/);
  assert.match(problem ?? '', /at least 313 or lower lsps1\.openDeadlineSeconds to at most 35880/);
  // With a CLTV too small for any deadline, only the CLTV is worth changing.
  // (3,720 s may see 13 blocks: 13 + 18 + 6.)
  const tiny = holdCltvProblem({ ...DEFAULTS, holdInvoiceCltv: 24 });
  assert.match(tiny ?? '', /raise lsps1\.holdInvoiceCltv to at least 37$/);
});

const held = (expiryHeight: number, state: InvoiceHtlcRecord['state'] = 'accepted'): InvoiceHtlcRecord => ({
  incomingScid: scid(1n),
  incomingHtlcId: 0n,
  amount: msat(1000n),
  state,
  expiryHeight,
  customRecords: new Map(),
});

function invoice(state: InvoiceStatus['state'], htlcs: InvoiceHtlcRecord[]): InvoiceStatus {
  return {
    paymentHash: parseHex32('ab'.repeat(32)),
    paymentRequest: 'lnbcrt1',
    state,
    amount: msat(1000n),
    amountPaid: msat(1000n),
    preimage: undefined,
    settleIndex: 0n,
    addIndex: 1n,
    memo: '',
    htlcs,
  };
}

test('an HTLC still held with room above LND’s delta and the margin passes', () => {
  const needed = 18 + COMMIT_MARGIN_BLOCKS;
  assert.deepEqual(heldHtlcCheck(invoice('accepted', [held(1000 + needed + 1)]), 1000, 18), {
    ok: true,
    blocksLeft: needed + 1,
  });
});

test('an HTLC too close to expiring, or no longer held, stops the commit', () => {
  const needed = 18 + COMMIT_MARGIN_BLOCKS;
  const close = heldHtlcCheck(invoice('accepted', [held(1000 + needed)]), 1000, 18);
  assert.equal(close.ok, false);
  assert.match(close.ok ? '' : close.reason, /expires at height 1024, 24 blocks away/);
  // The earliest of several parts counts; cancelled parts do not.
  const parts = heldHtlcCheck(invoice('accepted', [held(2000), held(1010), held(900, 'canceled')]), 1000, 18);
  assert.match(parts.ok ? '' : parts.reason, /height 1010/);
  const cancelled = heldHtlcCheck(invoice('canceled', [held(2000, 'canceled')]), 1000, 18);
  assert.match(cancelled.ok ? '' : cancelled.reason, /no longer held \(invoice canceled\)/);
  const empty = heldHtlcCheck(invoice('accepted', []), 1000, 18);
  assert.equal(empty.ok, false);
});
