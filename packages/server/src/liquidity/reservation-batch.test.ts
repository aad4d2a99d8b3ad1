import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEE_SCHEDULE, quoteReservation, type Sat, sat } from '@blgv/core';
import type { TenantPosition } from '@blgv/store';
import type { AllocationRequest } from './reservation-allocator.ts';
import { decideBatch } from './reservation-batch.ts';

const NOW = Date.parse('2026-12-06T00:00:00Z');
let n = 0;

/** A request of `amount` sat for `tenant`, priced by the default schedule. */
function request(tenant: string, amount: number, extra: Partial<AllocationRequest> = {}): AllocationRequest {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    tenantId: tenant,
    amount: sat(amount),
    durationMs: 60_000,
    maxFeeRatePpm: 1_000_000n,
    quote: quoteReservation(DEFAULT_FEE_SCHEDULE, sat(amount)),
    tenantLimit: sat(1_000_000),
    ...extra,
  };
}

const positions = (entries: Record<string, [reserved: number, balance: number]>) =>
  new Map<string, TenantPosition>(
    Object.entries(entries).map(([t, [reserved, balance]]) => [
      t,
      { reserved: sat(reserved), balance: sat(balance) },
    ]),
  );

const fee = (amount: number): Sat => quoteReservation(DEFAULT_FEE_SCHEDULE, sat(amount)).reservationFee;

test('grants in arrival order while the balance covers each fee; the next is refused, exactly', () => {
  const f = fee(1_000);
  const rs = [request('a', 1_000), request('a', 1_000), request('a', 1_000)];
  const d = decideBatch(rs, sat(1_000_000), positions({ a: [0, Number(f) * 2] }), NOW);
  assert.deepEqual(
    d.map((x) => x.ok),
    [true, true, false],
  );
  assert.deepEqual(d[2], { ok: false, reason: 'balance', balance: sat(0) });
  const charges = d.flatMap((x) => (x.ok && x.charge ? [x.charge.amount] : []));
  assert.deepEqual(charges, [-f, -f], 'each grant charges its own fee, as bigint');
});

test('liquidity is taken by earlier grants; a refusal leaves it for later, smaller requests', () => {
  const rs = [request('a', 600), request('b', 600), request('a', 300)];
  const d = decideBatch(rs, sat(1_000), positions({ a: [0, 1_000], b: [0, 1_000] }), NOW);
  assert.deepEqual(
    d.map((x) => x.ok),
    [true, false, true],
  );
  assert.deepEqual(d[1], { ok: false, reason: 'liquidity', available: sat(400) });
});

test("a tenant's limit counts what it held before and what the batch granted it", () => {
  const limit = { tenantLimit: sat(2_000) };
  const rs = [request('a', 1_000, limit), request('a', 1_000, limit), request('b', 1_000, limit)];
  const d = decideBatch(rs, sat(1_000_000), positions({ a: [500, 10_000], b: [0, 10_000] }), NOW);
  assert.deepEqual(
    d.map((x) => x.ok),
    [true, false, true],
  );
  assert.deepEqual(d[1], { ok: false, reason: 'tenant_limit', reserved: sat(1_500) });
});

test('a tenant missing from the positions has nothing to spend', () => {
  const d = decideBatch([request('ghost', 1_000)], sat(1_000_000), new Map(), NOW);
  assert.deepEqual(d[0], { ok: false, reason: 'balance', balance: sat(0) });
});

test('bought liquidity: the fee less the purchase is charged, the unneeded hold given back', () => {
  const r = request('a', 1_000);
  const external = { reference: 'order-1', fee: sat(3), held: sat(10) };
  const quote = { ...r.quote, reservationFee: sat(r.quote.reservationFee + 3n) };
  const [d] = decideBatch([{ ...r, quote, external }], sat(1_000_000), positions({ a: [0, 1_000] }), NOW);
  assert.ok(d?.ok);
  assert.equal(d.charge?.amount, -(quote.reservationFee - 3n));
  assert.equal(d.refund?.amount, 7n);
  assert.equal(d.reservation.externalFee, 3n);
  assert.equal(d.reservation.expiresAt.getTime(), NOW + 60_000);
});
