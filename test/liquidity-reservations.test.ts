/**
 * Story: tenants reserve the LSP node's outbound liquidity. Hundreds of concurrent requests
 * never together get more than the node can spend; each refusal says why; reservations can be
 * read, released early, and expire on their own. Every new endpoint answers bad input with a
 * 4xx and a code.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sat, spendableOutbound } from '@blgv/core';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import { signRequest } from '@blgv/protocol';
import { ReservationsRepository } from '@blgv/store';
import { type Network, startNetwork, startTestLsp, type TestLsp, topUp, within } from '@blgv/testkit';
import fc from 'fast-check';
import { assertCleanAudit } from './support/audit.ts';

let net: Network;
let lsp: TestLsp;
/** Two paying tenants and one with an empty account. */
let tenants: { client: LSPClient; tenantId: string; keyId: string; secret: string }[];
let broke: LSPClient;

const RESERVATION_FEE = 10;
const UTILIZATION_PPM = 1_000;

before(async () => {
  net = await startNetwork();
  const { h, alice, lsp: node, bob } = net;
  // alice pays the top-ups; the LSP's outbound is its channel to bob.
  await h.openChannel(alice, node, sat(2_000_000));
  await h.openChannel(node, bob, sat(1_000_000), { push: sat(0) });
  lsp = await startTestLsp(net, {
    postgres: true,
    file: {
      fees: { liquidity: { reservationFee: RESERVATION_FEE, utilizationFeePpm: UTILIZATION_PPM } },
      reservations: { minDurationMs: 100 },
    },
  });
  tenants = [await lsp.newTenant('exchange-a'), await lsp.newTenant('exchange-b')];
  broke = (await lsp.newTenant('broke')).client;
  for (const t of tenants) await topUp(h, alice, t.client, 5_000);
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** The error code of a refused call (fails the test if the call succeeded). */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof LspApiError, String(err));
    assert.ok(err.status >= 400 && err.status < 500, `status ${err.status}`);
    return err.code;
  }
  assert.fail('the call was expected to be refused');
}

/** What the LSP node can spend now, as LND reports it. */
async function spendable(): Promise<bigint> {
  return spendableOutbound(await net.lsp.lnd.listChannels(within()));
}

test('300 concurrent requests never get more than the node can spend; each refusal carries its code', async () => {
  const known = await spendable();
  assert.ok(known > 900_000n, `the LSP can spend ${known} sat`);
  const balances = await Promise.all(tenants.map(async (t) => (await t.client.getBalance()).balance));

  // Amounts between 5,000 and 20,000 sat: about 3.8M asked of ~990k available.
  type Ask = { who: number; amount: number; maxFeeRate: number; expect: 'liquidity' | 'fee' | 'balance' };
  const asks: Ask[] = Array.from({ length: 300 }, (_, i) => {
    const amount = 5_000 + ((i * 7919) % 15_001);
    if (i % 10 === 3) return { who: 0, amount, maxFeeRate: 1_000, expect: 'fee' }; // ≥ 1,500 ppm needed
    if (i % 10 === 7) return { who: 2, amount, maxFeeRate: 100_000, expect: 'balance' };
    return { who: i % 2, amount, maxFeeRate: 100_000, expect: 'liquidity' };
  });
  const clients = [tenants[0]?.client, tenants[1]?.client, broke];
  const outcomes = await Promise.all(
    asks.map(async (a) => {
      const client = clients[a.who] as LSPClient;
      try {
        return {
          a,
          granted: await client.requestLiquidity({
            amount: a.amount,
            duration: 600_000,
            maxFeeRate: a.maxFeeRate,
          }),
        };
      } catch (err) {
        assert.ok(err instanceof LspApiError, String(err));
        return { a, code: err.code, status: err.status };
      }
    }),
  );

  const granted = outcomes.filter((o) => o.granted);
  const sum = granted.reduce((s, o) => s + BigInt(o.granted?.allocated ?? 0), 0n);
  assert.ok(sum <= known, `granted ${sum} sat of ${known}`);
  assert.ok(granted.length > 40, `only ${granted.length} granted`);
  for (const o of granted) {
    assert.equal(o.a.expect, 'liquidity', 'only requests that could be met were granted');
    assert.equal(o.granted?.allocated, o.a.amount);
    assert.equal(o.granted?.state, 'active');
    assert.equal(o.granted?.reservationFee, RESERVATION_FEE);
    // ceil((10 + ceil(amount * 1000 / 1e6)) * 1e6 / amount)
    const fee = RESERVATION_FEE + Math.ceil((o.a.amount * UTILIZATION_PPM) / 1e6);
    assert.equal(o.granted?.feeRate, Math.ceil((fee * 1e6) / o.a.amount));
  }
  const codes = {
    fee: 'fee_rate_exceeded',
    balance: 'payment_required',
    liquidity: 'lsp_insufficient_funds',
  };
  const refusedForLiquidity: number[] = [];
  for (const o of outcomes.filter((x) => !x.granted)) {
    assert.equal(o.code, codes[o.a.expect], `request ${JSON.stringify(o.a)} refused with ${o.code}`);
    if (o.a.expect === 'liquidity') refusedForLiquidity.push(o.a.amount);
  }
  assert.ok(refusedForLiquidity.length > 0, 'the asks exceed the liquidity, so some are refused');
  // Each was refused because it exceeded what was left, which only shrank: what is left now is
  // less than the smallest of them (the allocator refuses nothing it could grant).
  assert.ok(known - sum < BigInt(Math.min(...refusedForLiquidity)), `${known - sum} sat left unallocated`);

  // Exactly one reservation fee per grant, nothing for refusals.
  for (const [i, t] of tenants.entries()) {
    const n = granted.filter((o) => o.a.who === i).length;
    assert.equal((await t.client.getBalance()).balance, (balances[i] ?? 0) - n * RESERVATION_FEE);
  }
  assert.equal((await broke.getBalance()).balance, 0);

  // Released reservations return their liquidity at once.
  for (const o of granted) await clients[o.a.who]?.releaseReservation(o.granted?.reservationId ?? '');
  const again = await tenants[0]?.client.requestLiquidity({
    amount: Number(known - 1_000n),
    duration: 60_000,
    maxFeeRate: 100_000,
  });
  assert.equal(again?.allocated, Number(known - 1_000n));
  await tenants[0]?.client.releaseReservation(again?.reservationId ?? '');
  await assertCleanAudit(lsp);
});

test('a reservation is read, released early (twice harmlessly), and another tenant cannot see it', async () => {
  const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
  const r = await a.client.requestLiquidity({ amount: 50_000, duration: 60_000, maxFeeRate: 10_000 });
  assert.equal(r.remaining, 50_000);
  assert.equal(r.externalLiquidity, false);
  assert.ok(Date.parse(r.expiresAt) > Date.now() + 50_000);
  assert.deepEqual(await a.client.getReservation(r.reservationId), r);
  assert.equal(await refusal(b.client.getReservation(r.reservationId)), 'not_found');
  assert.equal(await refusal(b.client.releaseReservation(r.reservationId)), 'not_found');

  const released = await a.client.releaseReservation(r.reservationId);
  assert.equal(released.state, 'released');
  assert.equal(released.remaining, 0);
  assert.equal((await a.client.releaseReservation(r.reservationId)).state, 'released');
  await assertCleanAudit(lsp);
});

test('a tenant cannot hold more than its limit reserved at once; what it releases counts again', async () => {
  // A second server on the same node, with a small limit per tenant (its own database).
  const limited = await startTestLsp(net, {
    file: { reservations: { maxPerTenant: 100_000 }, lsps2: { enabled: false } },
  });
  try {
    const { client } = await limited.newTenant('greedy');
    await topUp(net.h, net.alice, client, 2_000);
    const first = await client.requestLiquidity({ amount: 60_000, duration: 60_000, maxFeeRate: 100_000 });
    const balance = (await client.getBalance()).balance;
    assert.equal(
      await refusal(client.requestLiquidity({ amount: 50_000, duration: 60_000, maxFeeRate: 100_000 })),
      'tenant_limit_exceeded',
    );
    assert.equal((await client.getBalance()).balance, balance, 'the refusal cost nothing');
    await client.releaseReservation(first.reservationId);
    const second = await client.requestLiquidity({ amount: 50_000, duration: 60_000, maxFeeRate: 100_000 });
    assert.equal(second.state, 'active');
    await client.releaseReservation(second.reservationId);
    await assertCleanAudit(limited);
  } finally {
    await limited.stop();
  }
  await assertCleanAudit(lsp);
});

test('a reservation whose time is up is expired by the job, without anyone reading it', async () => {
  const t = tenants[0] as (typeof tenants)[0];
  const r = await t.client.requestLiquidity({ amount: 20_000, duration: 300, maxFeeRate: 10_000 });
  const repo = new ReservationsRepository(lsp.database.db);
  const expired = await net.h.waitFor(
    async () => {
      const row = await repo.get(r.reservationId);
      return row?.state === 'expired' ? row : undefined;
    },
    { what: 'the expiry job to expire the reservation' },
  );
  assert.ok(expired.updatedAt.getTime() >= Date.parse(r.expiresAt));
  assert.equal((await t.client.getReservation(r.reservationId)).state, 'expired');
  assert.equal(await refusal(t.client.releaseReservation(r.reservationId)), 'reservation_inactive');
  await assertCleanAudit(lsp);
});

test('bad reservation and payment requests get 4xx codes naming the problem, and charge nothing', async () => {
  const t = tenants[0] as (typeof tenants)[0];
  const before = await t.client.getLedger();
  const cases: [() => Promise<unknown>, string, RegExp][] = [
    [
      () => t.client.requestLiquidity({ amount: 0, duration: 60_000, maxFeeRate: 10_000 }),
      'invalid_input',
      /amount/,
    ],
    [
      () => t.client.requestLiquidity({ amount: 500, duration: 60_000, maxFeeRate: 10_000 }),
      'invalid_input',
      /amount/,
    ],
    [
      () => t.client.requestLiquidity({ amount: 10_000, duration: 10, maxFeeRate: 10_000 }),
      'invalid_input',
      /duration/,
    ],
    [
      () => t.client.requestLiquidity({ amount: 10_000, duration: 60_000, maxFeeRate: -1 }),
      'invalid_input',
      /maxFeeRate/,
    ],
    [
      () => t.client.requestLiquidity({ amount: 1.5, duration: 60_000, maxFeeRate: 10_000 } as never),
      'invalid_input',
      /amount/,
    ],
    [() => t.client.getReservation('not-a-uuid'), 'not_found', /not-a-uuid/],
    [() => t.client.getReservation('00000000-0000-4000-8000-000000000000'), 'not_found', /reservation/],
    [() => t.client.sendPayment({ invoice: 'lnbcrt1nonsense' }), 'invalid_input', /invoice/],
    [() => t.client.getPayment('zz'), 'invalid_input', /paymentHash/],
    [() => t.client.getPayment('ab'.repeat(32)), 'not_found', /payment/],
  ];
  for (const [call, code, names] of cases) {
    try {
      await call();
      assert.fail(`expected ${code}`);
    } catch (err) {
      assert.ok(err instanceof LspApiError, String(err));
      assert.equal(err.code, code, err.message);
      assert.ok(err.status >= 400 && err.status < 500, `${err.status} ${err.message}`);
      assert.match(err.message, names);
    }
  }
  assert.deepEqual(await t.client.getLedger(), before);
  await assertCleanAudit(lsp);
});

test('generated bodies and ids on the reservation and payment endpoints never produce a 5xx', async () => {
  const t = tenants[1] as (typeof tenants)[0];
  const amount = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.bigInt().map(String),
    fc.constant(null),
    fc.string(),
    fc.constant(2 ** 63),
  );
  const invoice = fc.oneof(
    fc.string(),
    fc.constant('lnbcrt1'),
    fc.stringMatching(/^lnbcrt[0-9a-z]{0,300}$/),
    fc.integer(),
  );
  const field = {
    amount,
    duration: amount,
    maxFeeRate: amount,
    invoice,
    reservationId: fc.oneof(fc.uuid(), fc.string(), fc.integer()),
  };
  const body = fc.oneof(
    fc.record(field, { requiredKeys: [] }),
    fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 })),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const id = fc.oneof(fc.uuid(), fc.string({ maxLength: 120 }), fc.stringMatching(/^[0-9a-f]{64}$/));
  const request = fc.oneof(
    fc.record({
      method: fc.constant('POST'),
      path: fc.constantFrom('/v1/liquidity/reservations', '/v1/payments'),
      body,
    }),
    fc.record({
      method: fc.constant('GET'),
      path: id.map((i) => `/v1/liquidity/reservations/${encodeURIComponent(i)}`),
      body: fc.constant(undefined),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: id.map((i) => `/v1/liquidity/reservations/${encodeURIComponent(i)}/release`),
      body: fc.constant(undefined),
    }),
    fc.record({
      method: fc.constant('GET'),
      path: id.map((i) => `/v1/payments/${encodeURIComponent(i)}`),
      body: fc.constant(undefined),
    }),
  );
  let count = 0;
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const text = r.body === undefined ? undefined : (JSON.stringify(r.body) ?? 'null');
      const headers = signRequest({
        keyId: t.keyId,
        secret: t.secret,
        method: r.method,
        path: r.path,
        body: text ?? '',
      });
      const res = await fetch(`${lsp.url}${r.path}`, {
        method: r.method,
        headers: { ...headers, ...(text !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(text !== undefined ? { body: text } : {}),
      });
      await res.arrayBuffer();
      count++;
      return res.status < 500;
    }),
    { numRuns: 600 },
  );
  assert.equal(count, 600);
  await assertCleanAudit(lsp);
});
