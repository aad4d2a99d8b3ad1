/**
 * Story: the running totals `/metrics` reads (revenue by source, channels sold, JIT channels
 * opened, rebalances, forwards by channel pair, payments by status) and the reservations'
 * (what each tenant's active reservations hold, read by every allocation) always equal a full re-sum
 * of the history they count: after a mix of writes through the repositories, after a back-fill
 * of rows written before the totals existed, on PGlite and on Postgres, and on Postgres with the
 * writes that depend on each other (a sale and its push, a JIT channel and its forwards) racing.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { msat, parseHex32, parsePubkey, sat } from '@blgv/core';
import {
  BusinessFiguresRepository,
  BusinessTotalsRepository,
  ChannelFundingsRepository,
  ChannelRequestsRepository,
  type Database,
  type DatabaseConfig,
  type Kysely,
  type LedgerKind,
  LedgerRepository,
  Lsps1OrdersRepository,
  Lsps2JitChannelsRepository,
  listMigrations,
  migrate,
  NodeMonitoringRepository,
  NodeSeriesRepository,
  openDatabase,
  PaymentPurposesRepository,
  RebalancesRepository,
  ReservationsRepository,
  runningTotalsMismatches,
  type Schema,
  sql,
  sumBySource,
  TenantsRepository,
  UnpaidChannelsRepository,
} from '@blgv/store';

const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
/** Log positions of forwards and payments, unique across every writer of a run. */
let forwardIdx = 0n;
let paymentIdx = 0n;

after(async () => {
  const admin = await openDatabase({ kind: 'postgres', url: postgresUrl });
  for (const s of schemas) await sql.raw(`drop schema if exists ${s} cascade`).execute(admin.db);
  await admin.close();
});

function config(kind: 'pglite' | 'postgres'): DatabaseConfig {
  if (kind === 'pglite') return { kind, dataDir: 'memory' };
  const schema = `totals_test_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  return { kind, url: postgresUrl, schema };
}

/** What the totals say, in the shape of the re-sum. */
async function fromTotals(db: Kysely<Schema>) {
  const nodes = (
    await sql<{ node_id: string }>`select distinct node_id from node_forwards
    union select distinct node_id from node_payments`.execute(db)
  ).rows.map((r) => r.node_id);
  const series = new NodeSeriesRepository(db);
  const ledger = await sql<{ tenant_id: string; kind: string; entries: string; amount: string }>`
    select tenant_id, kind, entries::text, amount_sat::text as amount from ledger_totals
    where entries <> 0 order by 1, 2`.execute(db);
  return {
    business: await new BusinessTotalsRepository(db).read(),
    forwards: await series.forwardsByChannelPair(nodes),
    payments: await series.paymentsByStatus(nodes),
    ledger: ledger.rows,
  };
}

/** The same figures summed over the whole history, as the scrape used to. */
async function resum(db: Kysely<Schema>): Promise<Awaited<ReturnType<typeof fromTotals>>> {
  const figures = new BusinessFiguresRepository(db);
  const costs = await new RebalancesRepository(db).costs();
  const forwards = await sql<{
    node_id: string;
    chan_in: string;
    chan_out: string;
    n: string;
    v: string;
    f: string;
  }>`
    select node_id, chan_in, chan_out, count(*)::text as n, sum(amt_out_msat)::text as v, sum(fee_msat)::text as f
    from node_forwards group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  const payments = await sql<{ node_id: string; purpose: string; status: string; n: string }>`
    select node_id, purpose, status, count(*)::text as n from node_payments
    where status in ('succeeded', 'failed') group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  const ledger = await sql<{ tenant_id: string; kind: string; entries: string; amount: string }>`
    select tenant_id, kind, count(*)::text as entries, sum(amount_sat)::text as amount from ledger_entries
    group by 1, 2 order by 1, 2`.execute(db);
  return {
    business: {
      revenue: sumBySource(await figures.revenuePerDay(new Date(0), 'lsp')),
      channels: await figures.channelCounts(new Date(0)),
      rebalancing: { count: costs.count, feeMsat: costs.feeMsat },
      unpaidChannels: await new UnpaidChannelsRepository(db).costs(),
    },
    forwards: forwards.rows.map((r) => ({
      nodeId: r.node_id,
      chanIn: r.chan_in,
      chanOut: r.chan_out,
      count: Number(r.n),
      amountOut: BigInt(r.v),
      fees: BigInt(r.f),
    })),
    payments: payments.rows.map((r) => ({
      nodeId: r.node_id,
      purpose: r.purpose as 'tenant',
      status: r.status as 'succeeded',
      count: Number(r.n),
    })),
    ledger: ledger.rows,
  };
}

async function assertTotalsMatch(db: Kysely<Schema>, what: string) {
  const [totals, history] = [await fromTotals(db), await resum(db)];
  assert.deepEqual(totals, history, `${what}: the running totals equal a full re-sum`);
  assert.deepEqual(await runningTotalsMismatches(db), [], `${what}: the audit's check agrees`);
  return totals;
}

/** Writes through the repositories, as the services do. */
function writers(db: Kysely<Schema>) {
  const ledger = new LedgerRepository(db);
  const requests = new ChannelRequestsRepository(db);
  const jit = new Lsps2JitChannelsRepository(db);
  const monitoring = new NodeMonitoringRepository(db);
  return {
    tenant: async () => (await new TenantsRepository(db).create(`t-${randomUUID()}`)).id,
    entry: (tenantId: string, kind: LedgerKind, amount: bigint, reference: string = randomUUID()) =>
      ledger.append({ tenantId, kind, amount, reference, description: 'totals test' }),
    request: async (tenantId: string, push: bigint, fee: bigint) =>
      (
        await requests.insert({
          id: randomUUID(),
          tenantId,
          idempotencyKey: null,
          idempotencyFingerprint: null,
          clientPubkey: `02${'ab'.repeat(32)}`,
          capacity: sat(1_000_000n),
          push: sat(push),
          feeRateSatPerVbyte: 2n,
          private: false,
          fee: sat(fee),
          networkFee: sat(300n),
          estimatedBlocks: 6,
        })
      ).id,
    move: (
      id: string,
      from: 'queued' | 'pending' | 'open',
      state: 'pending' | 'open' | 'closed' | 'failed',
    ) => requests.transition(id, [from], { state }),
    order: async (fee: bigint, funded: boolean) => {
      const orders = new Lsps1OrdersRepository(db);
      const o = await orders.insert({
        id: randomUUID(),
        ownerKind: 'node',
        owner: `03${randomBytes(32).toString('hex')}`,
        clientPubkey: `03${randomBytes(32).toString('hex')}`,
        clientHost: null,
        lspBalanceSat: sat(500_000n),
        clientBalanceSat: sat(0n),
        requiredChannelConfirmations: 0,
        fundingConfirmsWithinBlocks: 6,
        channelExpiryBlocks: 1000,
        token: '',
        refundOnchainAddress: null,
        announceChannel: false,
        feeTotalSat: sat(fee),
        networkFeeSat: sat(400n),
        orderTotalSat: sat(fee),
        paymentHash: randomBytes(32).toString('hex'),
        invoice: 'lnbcrt1',
        preimageCiphertext: 'x',
        invoiceExpiresAt: new Date(Date.now() + 60_000),
        onchainAddress: null,
        onchainStartHeight: null,
        onchainConfirmations: null,
        onchainExpiresAt: null,
      });
      if (funded)
        await orders.transition(o.id, 'awaiting_payment', { state: 'completed', fundedAt: new Date() });
      return o.id;
    },
    /** A JIT channel that opened channel `scid` (`forwarding`). */
    jitOpened: async (scid: string) => {
      const c = await jit.insert({
        id: randomUUID(),
        ownerKind: 'node',
        owner: `02${randomBytes(32).toString('hex')}`,
        clientPubkey: `02${randomBytes(32).toString('hex')}`,
        jitScid: `${BigInt(`0x${randomBytes(7).toString('hex')}`)}`,
        minFeeMsat: msat(1_000n),
        proportional: 1_000n,
        clientTrustsLsp: false,
        validUntil: new Date(Date.now() + 60_000),
        minLifetime: 144,
        maxClientToSelfDelay: 2016,
        minPaymentSizeMsat: msat(1_000n),
        maxPaymentSizeMsat: msat(100_000_000n),
        paymentSizeMsat: null,
      });
      await jit.transition(c.id, 'awaiting_payment', {
        state: 'opening',
        paymentHash: randomBytes(32).toString('hex'),
      });
      await jit.transition(c.id, 'opening', { state: 'forwarding', channelScid: scid });
      return c.id;
    },
    jitCompleted: (id: string, feeMsat: bigint) =>
      jit.transition(id, 'forwarding', { state: 'completed', feeMsat }),
    forwards: (
      nodeId: string,
      list: readonly { chanIn: string; chanOut: string; fee: bigint }[],
      again = 0,
    ) => {
      const rows = list.map((f) => ({
        idx: forwardIdx++,
        at: new Date(),
        chanIn: f.chanIn,
        chanOut: f.chanOut,
        amountIn: 10_000n + f.fee,
        amountOut: 10_000n,
        fee: f.fee,
      }));
      // `again` of them stored a second time: kept as they were, counted once.
      return monitoring.addForwards(nodeId, [...rows, ...rows.slice(0, again)]);
    },
    payments: (
      nodeId: string,
      status: 'in_flight' | 'succeeded' | 'failed',
      n: number,
      hashes: string[] = [],
    ) => {
      const list = Array.from({ length: n }, (_, i) => ({
        paymentIndex: ++paymentIdx,
        status,
        createdAt: new Date(),
        amount: 1_000n,
        fee: 1n,
        paymentHash: hashes[i] ?? randomBytes(32).toString('hex'),
        purpose: 'tenant' as const,
      }));
      return monitoring.savePayments(nodeId, list).then(() => list);
    },
    end: (nodeId: string, list: readonly { paymentIndex: bigint }[], status: 'succeeded' | 'failed') =>
      monitoring.savePayments(
        nodeId,
        list.map((p) => ({
          paymentIndex: p.paymentIndex,
          status,
          createdAt: new Date(),
          amount: 1_000n,
          fee: 2n,
          purpose: 'tenant' as const,
        })),
      ),
    forget: (nodeId: string, after: bigint) => monitoring.forgetInFlight(nodeId, after, []),
    reclassify: (nodeId: string, hashes: string[]) =>
      new PaymentPurposesRepository(db).recordSent(nodeId, hashes, 'probe'),
    /** Reservations of both tenants in one statement, then used, exhausted, released, expired. */
    reservations: async (a: string, b: string) => {
      const reservations = new ReservationsRepository(db);
      const one = (tenantId: string, amount: bigint, expiresInMs: number) => ({
        id: randomUUID(),
        tenantId,
        amount: sat(amount),
        reservationFee: sat(10n),
        utilizationFeePpm: 100n,
        feeRatePpm: 0n,
        maxFeeRatePpm: 0n,
        durationMs: 60_000n,
        expiresAt: new Date(Date.now() + expiresInMs),
        externalReference: null,
        externalFee: null,
      });
      const [used, exhausted, released, expired, kept] = await reservations.insertMany([
        one(a, 100_000n, 60_000),
        one(b, 50_000n, 60_000),
        one(a, 30_000n, 60_000),
        one(b, 20_000n, -1_000), // past its time, not yet marked: the totals still hold it
        one(b, 7_000n, 60_000),
      ]);
      if (!used || !exhausted || !released || !expired || !kept) throw new Error('five reservations');
      assert.ok(await reservations.transition(used.id, 'active', { state: 'active', used: sat(40_000n) }));
      assert.ok(
        await reservations.transition(exhausted.id, 'active', { state: 'exhausted', used: sat(50_000n) }),
      );
      assert.ok(await reservations.transition(released.id, 'active', { state: 'released', used: sat(0n) }));
      return { expired };
    },
    /** A funding of `channels` channels whose fee was `fee`; the first one recorded unpaid (twice). */
    unpaid: async (channels: number, fee: bigint) => {
      const fundings = new ChannelFundingsRepository(db);
      const id = randomUUID();
      const owners = Array.from({ length: channels }, () => `jit:${randomUUID()}`);
      await fundings.insert({
        id,
        feeRate: 2n,
        lockId: parseHex32(randomBytes(32).toString('hex')),
        channels: owners.map((owner) => ({
          owner,
          pendingChanId: parseHex32(randomBytes(32).toString('hex')),
          remotePubkey: parsePubkey(`02${randomBytes(32).toString('hex')}`),
          amountSat: '100000',
        })),
      });
      await fundings.recordFunded(id, {
        txid: parseHex32(randomBytes(32).toString('hex')),
        psbt: 'cHNidP8=',
        lockedInputs: [],
        fee: sat(fee),
        vsize: 300,
      });
      const unpaid = new UnpaidChannelsRepository(db);
      const c = { owner: owners[0] as string, clientPubkey: 'c', fundingId: id, channelPoint: 'x:0' };
      await unpaid.record({ ...c, closingTxid: 'ef'.repeat(32) });
      await unpaid.record({ ...c, closingTxid: null }); // again: nothing
      await unpaid.recordCloseFee(c.owner, sat(250n)); // its close resolved
      await unpaid.recordCloseFee(c.owner, sat(999n)); // again: nothing
    },
    rebalance: async (state: 'succeeded' | 'failed' | 'refused', fee: bigint) => {
      const rebalances = new RebalancesRepository(db);
      const attempt = {
        sourceChannelPoint: 'a:0',
        sourceScid: '1',
        targetChannelPoint: 'b:0',
        targetScid: '2',
        targetPeer: `02${'cd'.repeat(32)}`,
        amountSat: 50_000n,
        maxFeeMsat: 9_000n,
      };
      if (state === 'refused') return rebalances.record(attempt, 'refused', 'no route');
      const id = await rebalances.record(attempt, 'sending', 'test', randomBytes(32).toString('hex'));
      await rebalances.finish(id, {
        state,
        feeMsat: state === 'succeeded' ? fee : undefined,
        reason: 'done',
      });
      return id;
    },
  };
}

/** A bit of every kind of write the totals count, in an order that exercises each rule. */
async function writeMix(
  db: Kysely<Schema>,
  options: { unpaid?: boolean } = {},
): Promise<{ a: string; b: string; expired: string }> {
  const w = writers(db);
  const [a, b] = [await w.tenant(), await w.tenant()];
  await w.entry(a, 'topup', 10_000_000n);
  await w.entry(b, 'topup', 10_000_000n);
  for (const [kind, amount] of [
    ['reservation_fee', -1_234n],
    ['reservation_purchase_fee', -777n],
    ['reservation_refund', 200n],
    ['utilization_fee', -55n],
    ['hosting_monthly_fee', -10_000n],
    ['hosting_transaction_fee', -3n],
    ['hosting_fee_refund', 5_000n],
    ['payment', -40_000n],
    ['routing_fee', -12n],
  ] as const) {
    await w.entry(a, kind, amount);
    await w.entry(b, kind, amount * 2n);
  }
  // Channel sales: a push charged before the sale; one charged after it; one never sold.
  const sold = await w.request(a, 20_000n, 3_000n);
  await w.entry(a, 'channel_push', -21_000n, sold); // 1,000 sat of margin
  await w.move(sold, 'queued', 'pending');
  await w.move(sold, 'pending', 'open');
  await w.move(sold, 'open', 'closed');
  const late = await w.request(b, 5_000n, 2_000n);
  await w.move(late, 'queued', 'pending');
  await w.entry(b, 'channel_push', -5_500n, late);
  const failed = await w.request(a, 7_000n, 1_000n);
  await w.entry(a, 'channel_push', -7_000n, failed);
  await w.move(failed, 'queued', 'failed');
  await w.order(9_000n, true);
  await w.order(4_000n, false);
  // JIT channels: forwards over the new channel before its completion, after it, and beyond its fee.
  const [j1, j2, j3] = [await w.jitOpened('700'), await w.jitOpened('701'), await w.jitOpened('702')];
  await w.forwards('lsp', [{ chanIn: '1', chanOut: '700', fee: 400n }]);
  await w.jitCompleted(j1, 1_000n); // 400 of it taken out of routing so far
  await w.forwards('lsp', [{ chanIn: '1', chanOut: '700', fee: 300n }], 1); // 700
  await w.forwards('lsp', [{ chanIn: '2', chanOut: '700', fee: 500n }]); // capped at 1,000
  await w.jitCompleted(j2, 2_000n);
  await w.forwards('lsp', [{ chanIn: '1', chanOut: '701', fee: 2_500n }]);
  void j3; // opened, never completed: counted opened, no fee
  await w.forwards('lsp', [
    { chanIn: '1', chanOut: '2', fee: 11n },
    { chanIn: '2', chanOut: '1', fee: 13n },
    { chanIn: '1', chanOut: '2', fee: 17n },
  ]);
  await w.forwards('hosted-1', [{ chanIn: '5', chanOut: '6', fee: 1n }], 1);
  // Payments: stored in flight, then ended, reclassified, forgotten.
  const lspPaid = await w.payments('lsp', 'in_flight', 4);
  await w.end('lsp', lspPaid.slice(0, 3), 'succeeded');
  await w.end('lsp', lspPaid.slice(3), 'failed');
  await w.end('lsp', lspPaid.slice(0, 1), 'failed'); // ended stays ended
  await w.reclassify(
    'lsp',
    lspPaid.slice(1, 2).map((p) => p.paymentHash),
  );
  await w.payments('hosted-1', 'succeeded', 2);
  const stuck = await w.payments('hosted-1', 'in_flight', 2);
  await w.forget('hosted-1', (stuck[0]?.paymentIndex ?? 1n) - 1n);
  // Reservations: used, exhausted, released, and one past its time not yet marked expired.
  const { expired } = await w.reservations(a, b);
  await w.rebalance('succeeded', 1_500n);
  await w.rebalance('succeeded', 700n);
  await w.rebalance('failed', 0n);
  await w.rebalance('refused', 0n);
  if (options.unpaid ?? true) {
    await w.unpaid(3, 331n);
    await w.unpaid(1, 200n);
  }
  return { a, b, expired: expired.id };
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`running totals on ${kind}`, () => {
    let database: Database;
    before(async () => {
      database = await openDatabase(config(kind));
    });
    after(() => database?.close());

    test('history written before the totals existed is back-filled; every write after moves them as a re-sum would', async () => {
      // Everything but the totals (and what builds on them).
      const older = listMigrations().filter(
        (m) =>
          ![
            'running_totals',
            'wrapped_fee_totals',
            'reservation_totals',
            'unpaid_channels',
            'unpaid_channel_close_fees',
            // It redraws running_totals' index of revenue entries.
            'utilization_refunds',
          ].includes(m.name),
      );
      await migrate(database.db, older);
      await writeMix(database.db, { unpaid: false }); // their table came with their total

      await migrate(database.db);
      const filled = await assertTotalsMatch(database.db, 'after the back-fill');
      assert.ok(
        filled.business.revenue.routing > 0n && filled.forwards.length > 0 && filled.payments.length > 0,
      );
      const mix = await writeMix(database.db);
      // What every allocation reads: each mix's reservations still hold 60,000 sat of tenant a's
      // and 7,000 of b's; b's reservation past its time (the first mix's is never marked) holds
      // nothing, though its total counts it until the expiry job marks it.
      const reservations = new ReservationsRepository(database.db);
      const committed = await reservations.committed([mix.a, mix.b]);
      assert.equal(committed.reservedRemaining, 2n * (60_000n + 7_000n));
      assert.deepEqual(
        [committed.positions.get(mix.a)?.reserved, committed.positions.get(mix.b)?.reserved],
        [60_000n, 7_000n],
      );
      assert.ok(await reservations.transition(mix.expired, 'active', { state: 'expired', used: sat(0n) }));
      const totals = await assertTotalsMatch(database.db, 'after more writes');
      // Spot checks of the rules, beyond agreeing with the re-sum: twice the mix above.
      assert.equal(
        totals.business.channels.sold,
        6,
        'two channel requests sold and one LSPS1 order funded, twice',
      );
      assert.equal(totals.business.channels.jitOpened, 6);
      assert.equal(totals.business.revenue.push_margin, 2n * (1_000n + 500n) * 1000n);
      assert.equal(totals.business.revenue.jit_opening_fees, 2n * 3_000n);
      assert.deepEqual(totals.business.rebalancing, { count: 4, feeMsat: 4_400n });
      assert.deepEqual(
        totals.business.unpaidChannels,
        { count: 2, fundingShareSat: 111n + 200n, closeFeeSat: 250n + 250n },
        'one mix: a third of 331 sat rounded up, and 200 sat of a funding of its own, each recorded once, and their closes once each',
      );
      assert.equal(
        totals.business.revenue.routing,
        2n * (400n + 300n + 500n + 2_500n + 41n - 1_000n - 2_000n),
      );
      // A total moved behind the triggers' back is what the audit reports.
      await sql`update business_totals set amount_msat = amount_msat + 1 where name = 'routing'`.execute(
        database.db,
      );
      await sql`update forward_totals set forwards = forwards + 1 where node_id = 'hosted-1'`.execute(
        database.db,
      );
      const tenant = (
        await sql<{ tenant_id: string }>`select tenant_id from reservation_totals limit 1`.execute(
          database.db,
        )
      ).rows[0]?.tenant_id;
      await sql`update reservation_totals set reserved_sat = reserved_sat - 1 where tenant_id = ${tenant}`.execute(
        database.db,
      );
      assert.deepEqual(
        (await runningTotalsMismatches(database.db)).map((m) => m.total).sort(),
        ['forwards:hosted-1/5/6', `reserved:${tenant}`, 'revenue:routing'].sort(),
      );
    });
  });
}

describe('running totals on Postgres under concurrent writes', () => {
  let database: Database;
  before(async () => {
    database = await openDatabase(config('postgres'));
    await migrate(database.db);
  });
  after(() => database?.close());

  /** Runs `first` in a transaction held open until `second` (started meanwhile) waits for it. */
  async function race(first: (trx: Kysely<Schema>) => Promise<unknown>, second: () => Promise<unknown>) {
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let wrote = (_pid: number) => {};
    const written = new Promise<number>((r) => {
      wrote = r;
    });
    const one = database.db.transaction().execute(async (trx) => {
      const me = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      await first(trx);
      wrote(me.rows[0]?.pid ?? 0);
      await held;
    });
    const pid = await written;
    const two = second();
    // Until the second waits for a lock the first holds (or, were nothing locked, has ended: the
    // totals then tell whether it missed the first's rows).
    let ended = false;
    const done = two.finally(() => {
      ended = true;
    });
    const deadline = Date.now() + 10_000;
    while (!ended && Date.now() < deadline) {
      const waiting = await sql<{ n: string }>`select count(*)::text as n from pg_locks
        where not granted and ${pid}::int = any(pg_blocking_pids(pid))`.execute(database.db);
      if (Number(waiting.rows[0]?.n) > 0) break;
      await new Promise((r) => setImmediate(r));
    }
    release();
    await Promise.all([one, done]);
  }

  test("a JIT channel completing while its forwards are stored, and a sale while its push is charged: each sees the other's rows", async () => {
    const w = writers(database.db);
    const tenant = await w.tenant();
    await w.entry(tenant, 'topup', 1_000_000n);
    // Forwards first (held open), the completion waits for them.
    const j1 = await w.jitOpened('900');
    await race(
      (trx) => writers(trx).forwards('lsp', [{ chanIn: '1', chanOut: '900', fee: 600n }]),
      () => w.jitCompleted(j1, 1_000n),
    );
    // The completion first (held open), the forwards wait for it.
    const j2 = await w.jitOpened('901');
    await race(
      (trx) => writers(trx).jitCompleted(j2, 1_000n),
      () => w.forwards('lsp', [{ chanIn: '1', chanOut: '901', fee: 800n }]),
    );
    // A push charged (held open) while its request is sold, and the other way round.
    const r1 = await w.request(tenant, 1_000n, 100n);
    await race(
      (trx) => writers(trx).entry(tenant, 'channel_push', -1_300n, r1),
      () => w.move(r1, 'queued', 'pending'),
    );
    const r2 = await w.request(tenant, 1_000n, 100n);
    await race(
      (trx) => writers(trx).move(r2, 'queued', 'pending'),
      () => w.entry(tenant, 'channel_push', -1_100n, r2),
    );
    const totals = await assertTotalsMatch(database.db, 'after the races');
    assert.equal(totals.business.revenue.routing, 0n, 'each JIT fee took its forwards out of routing');
    assert.equal(totals.business.revenue.push_margin, 400n * 1000n);
  });

  test('many writers at once, across tenants, nodes and channels: the totals still equal a re-sum', async () => {
    const w = writers(database.db);
    const tenants = await Promise.all(Array.from({ length: 4 }, () => w.tenant()));
    await Promise.all(tenants.map((t) => w.entry(t, 'topup', 100_000_000n)));
    const jits = await Promise.all(Array.from({ length: 6 }, (_, i) => w.jitOpened(`95${i}`)));
    const kinds: LedgerKind[] = ['reservation_fee', 'utilization_fee', 'hosting_monthly_fee', 'payment'];
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 120; i++) {
      const tenant = tenants[i % tenants.length] ?? '';
      switch (i % 6) {
        case 0:
          work.push(w.entry(tenant, kinds[i % kinds.length] ?? 'payment', -BigInt(1 + i)));
          break;
        case 1:
          work.push(
            w.forwards(i % 4 === 1 ? 'lsp' : `hosted-${i % 3}`, [
              { chanIn: '1', chanOut: `95${Math.floor(i / 6) % 6}`, fee: 90n },
            ]),
          );
          break;
        case 2: {
          const jit = jits[Math.floor(i / 6) % jits.length];
          if (jit) work.push(w.jitCompleted(jit, 250n));
          break;
        }
        case 3:
          work.push(
            (async () => {
              const r = await w.request(tenant, 2_000n, 50n);
              await Promise.all([
                w.entry(tenant, 'channel_push', -2_100n, r),
                w.move(r, 'queued', 'pending'),
              ]);
            })(),
          );
          break;
        case 4:
          work.push(w.payments(`hosted-${i % 3}`, i % 2 === 0 ? 'succeeded' : 'failed', 2));
          break;
        default:
          work.push(w.rebalance('succeeded', BigInt(i)));
      }
    }
    await Promise.all(work);
    await assertTotalsMatch(database.db, 'after 120 concurrent writes');
  });
});
