import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lsps2OpeningFee, lsps2RouteHint, scidToBigInt } from './lsps2.ts';

test('the route hint names the LSP and the JIT scid, with zero fees and the LSP cltv delta', () => {
  const hint = lsps2RouteHint('02'.padEnd(66, 'a'), {
    jit_channel_scid: '16200000x5x1',
    lsp_cltv_expiry_delta: 80,
    client_trusts_lsp: false,
  });
  assert.equal(hint.chanId, (16_200_000n << 40n) | (5n << 16n) | 1n);
  assert.deepEqual([hint.feeBaseMsat, hint.feeProportionalMillionths, hint.cltvExpiryDelta], [0, 0, 80]);
  assert.throws(() => scidToBigInt('16777216x0x0'), RangeError);
  assert.throws(() => scidToBigInt('12345'), RangeError);
});

test('the client computes the same opening fee as the LSP promises', () => {
  const params = {
    min_fee_msat: '1000000',
    proportional: 1000,
    valid_until: '',
    min_lifetime: 0,
    max_client_to_self_delay: 0,
    min_payment_size_msat: '0',
    max_payment_size_msat: '0',
    promise: '',
  };
  assert.equal(lsps2OpeningFee(params, 100_000_000n), 1_000_000n);
  assert.equal(lsps2OpeningFee(params, 2_000_000_001n), 2_000_001n);
  assert.equal(lsps2OpeningFee({ ...params, proportional: 1_000_000 }, 1n << 63n), undefined);
});
