import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Hex32 } from '../ids.ts';
import { type Msat, msat } from '../money.ts';
import { decideJitPayment, type HeldPart, type JitTerms, splitFee } from './jit-payment.ts';

const hash = 'aa'.repeat(32) as Hex32;
const now = new Date('2026-11-25T12:00:00Z');
const terms = (over: Partial<JitTerms> = {}): JitTerms => ({
  minFeeMsat: msat(1_000_000),
  proportional: 1000n,
  paymentSize: msat(300_000_000),
  minPaymentSize: msat(10_000_000),
  maxPaymentSize: msat(1_000_000_000),
  validUntil: new Date(now.getTime() + 60_000),
  ...over,
});
const part = (id: number, amount: number, paymentHash = hash): HeldPart<number> => ({
  id,
  paymentHash,
  amount: msat(amount),
});

test('fixed size: parts are held until they cover the payment, then the fee is split over them', () => {
  assert.deepEqual(decideJitPayment(terms(), [part(1, 100_000_000)], now), { kind: 'wait' });
  const d = decideJitPayment(terms(), [part(1, 100_000_000), part(2, 200_000_000)], now);
  assert.equal(d.kind, 'open');
  if (d.kind !== 'open') return;
  assert.equal(d.fee, 1_000_000n);
  assert.deepEqual(
    d.forwards.map((f) => [f.id, f.amount, f.extraFee]),
    [
      [1, 99_666_666n, 333_334n],
      [2, 199_333_334n, 666_666n],
    ],
  );
});

test('variable size: the single part is the payment and pays the fee', () => {
  const d = decideJitPayment(terms({ paymentSize: undefined }), [part(1, 50_000_000)], now);
  assert.equal(d.kind, 'open');
  if (d.kind === 'open') assert.deepEqual(d.forwards, [{ id: 1, amount: 49_000_000n, extraFee: 1_000_000n }]);
});

test('refusals', () => {
  const variable = terms({ paymentSize: undefined });
  assert.deepEqual(decideJitPayment(variable, [part(1, 9_999_999)], now), {
    kind: 'fail',
    reason: 'payment_too_small',
  });
  assert.deepEqual(decideJitPayment(variable, [part(1, 1_000_000_001)], now), {
    kind: 'fail',
    reason: 'payment_too_large',
  });
  const later = new Date(now.getTime() + 61_000);
  assert.deepEqual(decideJitPayment(terms(), [part(1, 300_000_000)], later), {
    kind: 'fail',
    reason: 'params_expired',
  });
  assert.deepEqual(decideJitPayment(terms(), [part(1, 1), part(2, 1, 'bb'.repeat(32) as Hex32)], now), {
    kind: 'fail',
    reason: 'mixed_payment_hashes',
  });
  const costly = terms({ paymentSize: undefined, minFeeMsat: msat(20_000_000) });
  assert.deepEqual(decideJitPayment(costly, [part(1, 15_000_000)], now), {
    kind: 'fail',
    reason: 'fee_exceeds_payment',
  });
});

test('the split always deducts exactly the fee and leaves every part something', () => {
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 1, maxLength: 20 }),
      fc.bigInt({ min: 0n, max: 10n ** 13n }),
      (amounts, feeSeed) => {
        const total = amounts.reduce((a, b) => a + b, 0n);
        const fee = (feeSeed % (total - BigInt(amounts.length) + 1n)) as Msat;
        const parts = amounts.map((a, i) => ({ id: i, paymentHash: hash, amount: a as Msat }));
        const out = splitFee(parts, total as Msat, fee);
        assert.equal(
          out.reduce((s, f) => s + f.extraFee, 0n),
          fee,
        );
        for (const [i, f] of out.entries()) {
          assert.ok(f.amount >= 1n);
          assert.equal(f.amount + f.extraFee, amounts[i]);
        }
      },
    ),
  );
});
