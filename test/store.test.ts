/**
 * Story: the store behaves the same on embedded PGlite and on real Postgres: migrations run
 * once, records round-trip, conflicts are codes, failed transactions leave nothing behind.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Hex32, type HtlcAttempt, isLspError, msat, parsePubkey, sat, scid } from '@blgv/core';
import {
  ApiKeysRepository,
  type Database,
  type DatabaseConfig,
  EventsRepository,
  HostedNodesRepository,
  LedgerRepository,
  Lsps1OrdersRepository,
  Lsps1RefundsRepository,
  listMigrations,
  MACHINE_TABLES,
  migrate,
  NodeSeriesRepository,
  openDatabase,
  PaymentsRepository,
  ReservationsRepository,
  sql,
  stateCheckName,
  statesOfCheck,
  TenantDebtsRepository,
  TenantsRepository,
} from '@blgv/store';

const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `store_test_${randomBytes(4).toString('hex')}`;

const dialects: Record<string, DatabaseConfig> = {
  pglite: { kind: 'pglite', dataDir: 'memory' },
  postgres: { kind: 'postgres', url: postgresUrl, schema },
};

/** An LSPS1 order that may be paid on chain to `onchainAddress`, refunded to `bcrt1qrefund`. */
function insertOnchainOrder(database: Database, onchainAddress = 'bcrt1qorder') {
  return new Lsps1OrdersRepository(database.db).insert({
    id: crypto.randomUUID(),
    ownerKind: 'node',
    owner: 'n',
    clientPubkey: `02${'11'.repeat(32)}`,
    clientHost: null,
    lspBalanceSat: sat(100_000n),
    clientBalanceSat: sat(0n),
    requiredChannelConfirmations: 1,
    fundingConfirmsWithinBlocks: 6,
    channelExpiryBlocks: 1000,
    token: '',
    refundOnchainAddress: 'bcrt1qrefund',
    announceChannel: false,
    feeTotalSat: sat(1_000n),
    networkFeeSat: sat(330n),
    orderTotalSat: sat(1_000n),
    paymentHash: randomBytes(32).toString('hex'),
    invoice: 'lnbcrt1',
    preimageCiphertext: 'x',
    invoiceExpiresAt: new Date(),
    onchainAddress,
    onchainStartHeight: 1,
    onchainConfirmations: 1,
    onchainExpiresAt: new Date(),
  });
}

after(async () => {
  // Drop the throwaway schema the Postgres run used.
  const admin = await openDatabase({ kind: 'postgres', url: postgresUrl });
  await sql.raw(`drop schema if exists ${schema} cascade`).execute(admin.db);
  await admin.close();
});

for (const [name, config] of Object.entries(dialects)) {
  describe(`store on ${name}`, () => {
    let database: Database;
    before(async () => {
      database = await openDatabase(config);
    });
    after(() => database?.close());

    test('migrations run once, in order, and a second run does nothing', async () => {
      const ran = await migrate(database.db);
      assert.deepEqual(ran, [
        '0001_tenants',
        '0002_channel_sales',
        '0003_lsps1_orders',
        '0004_liquidity',
        '0005_lsps2',
        '0006_liquidity_purchases',
        '0007_money_safety',
        '0008_lsps1_refunds',
        '0009_events',
        '0010_replicas',
        '0011_hosted_nodes',
        '0012_webhooks',
        '0013_lsps5',
        '0014_monitoring',
        '0015_list_paging',
        '0016_hosted_nodes_paging',
        '0017_hosted_node_custody',
        '0018_hosting_custody_billing',
        '0019_payment_routes',
        '0020_routing_fees',
        '0021_payment_purposes',
        '0022_rebalances',
        '0023_wrapped_invoices',
        '0024_payment_send_tries',
        '0025_running_totals',
        '0026_wrapped_fee_totals',
        '0027_lsps2_client_trusts_lsp',
        '0028_lease_tokens',
        '0029_wrapped_payment_purpose',
        '0030_reservation_totals',
        '0031_statement_events',
        '0032_unpaid_channels',
        '0033_nonce_digests',
        '0034_utilization_refunds',
        '0035_jit_awaiting_preimage_channels',
        '0036_lsps1_late_receipts',
        '0037_lsps1_holds_client_coins',
        '0038_unpaid_channel_close_fees',
        '0039_hosted_node_watchtower',
      ]);
      assert.deepEqual(await migrate(database.db), []);
      const rows = await database.db.selectFrom('schema_migrations').select(['version', 'name']).execute();
      assert.deepEqual(
        rows.map((r) => r.version),
        [
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
          28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
        ],
      );
    });

    test("each machine's table admits exactly the machine's states, and a check changed by hand is put back", async () => {
      const checkOf = async (t: (typeof MACHINE_TABLES)[number]) => {
        const r = await sql<{ def: string }>`
          select pg_get_constraintdef(c.oid) as def from pg_constraint c
          where c.conname = ${stateCheckName(t)} and c.conrelid = ${t.table}::regclass`.execute(database.db);
        return statesOfCheck(r.rows[0]?.def ?? '');
      };
      for (const t of MACHINE_TABLES) assert.deepEqual(await checkOf(t), [...t.states].sort(), t.table);
      const payments = MACHINE_TABLES.find((t) => t.table === 'payments');
      assert.ok(payments);
      await sql`alter table payments drop constraint payments_status_check`.execute(database.db);
      await sql`alter table payments add constraint payments_status_check check (status in ('pending'))`.execute(
        database.db,
      );
      assert.deepEqual(await checkOf(payments), ['pending']);
      assert.deepEqual(await migrate(database.db), [], 'no migration runs');
      assert.deepEqual(await checkOf(payments), [...payments.states].sort());
    });

    test('tenants round-trip and names are unique', async () => {
      const tenants = new TenantsRepository(database.db);
      const acme = await tenants.create('acme');
      assert.match(acme.id, /^[0-9a-f-]{36}$/);
      assert.ok(acme.createdAt instanceof Date);
      assert.deepEqual(await tenants.get(acme.id), acme);
      assert.equal(await tenants.get('not-a-uuid'), undefined);
      await assert.rejects(tenants.create('acme'), (e) => isLspError(e, 'conflict'));
      assert.deepEqual(
        (await tenants.list()).map((t) => t.name),
        ['acme'],
      );
    });

    test("a payment's HTLC attempts (routes, failures) are stored with its outcome and come back exactly", async () => {
      const tenant = await new TenantsRepository(database.db).create('payer');
      const payments = new PaymentsRepository(database.db);
      const hash = randomBytes(32).toString('hex');
      const p = await payments.insert(newPayment(hash, tenant.id, 100_000n));
      assert.equal(p.htlcAttempts, null, 'none until it ends');
      const carol = parsePubkey(`02${'cc'.repeat(32)}`);
      const attempts: HtlcAttempt[] = [
        {
          status: 'failed',
          hops: [{ pubkey: carol, scid: scid(2n ** 62n + 3n), fee: msat(0n) }],
          fee: msat(0n),
          amount: msat(100_000_000n),
          failure: { code: 'temporary_channel_failure', sourceIndex: 1, pubkey: carol },
        },
        {
          status: 'succeeded',
          hops: [{ pubkey: carol, scid: scid(7n), fee: msat(2_000n) }],
          fee: msat(2_000n),
          amount: msat(100_000_000n),
        },
      ];
      const done = await payments.finish(hash, 1, {
        status: 'succeeded',
        networkFeeMsat: msat(2_000n),
        htlcCount: 1,
        preimage: '00'.repeat(32),
        htlcAttempts: attempts,
      });
      assert.deepEqual(done?.htlcAttempts, attempts);
      assert.deepEqual((await payments.get(hash))?.htlcAttempts, attempts);
    });

    test('a payment try is claimed before it is sent, and an outcome is recorded only for the try it was read for', async () => {
      const tenant = await new TenantsRepository(database.db).create('splitter');
      const payments = new PaymentsRepository(database.db);
      const hash = randomBytes(32).toString('hex');
      const p = await payments.insert(newPayment(hash, tenant.id, 1_000n));
      assert.equal(p.sendTry, 1);
      const failed = { status: 'failed', failure: 'no_route', htlcCount: 0 } as const;
      // The split try is claimed: a resolver that read the first try records nothing.
      assert.equal(await payments.claimNextTry(hash, 1, 1), true);
      assert.equal(await payments.claimNextTry(hash, 1, 1), false, 'a try is claimed once');
      assert.equal(await payments.finish(hash, 1, failed, 1), undefined, 'the first try is over');
      const done = await payments.finish(hash, 1, failed, 2);
      assert.equal(done?.status, 'failed');
      // Recorded: nothing more is claimed.
      assert.equal(await payments.claimNextTry(hash, 1, 2), false);
    });

    test('int8 values come back as exact bigints', async () => {
      const big = 2n ** 62n + 1n;
      const r = await sql<{ v: bigint }>`select ${big.toString()}::int8 as v`.execute(database.db);
      assert.equal(r.rows[0]?.v, big);
    });

    test('a failed transaction leaves no half-written record', async () => {
      const tenants = new TenantsRepository(database.db);
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await new TenantsRepository(trx).create('half');
          throw new Error('abort after the first write');
        }),
        /abort after/,
      );
      assert.equal(
        (await tenants.list()).some((t) => t.name === 'half'),
        false,
      );
    });

    test('the ledger keeps a running balance with each entry, never records one twice, never overdraws', async () => {
      const tenant = await new TenantsRepository(database.db).create('ledger-tenant');
      const ledger = new LedgerRepository(database.db);
      assert.equal(await ledger.balance(tenant.id), 0n);
      assert.equal(
        await ledger.append({
          tenantId: tenant.id,
          kind: 'topup',
          amount: 50_000n,
          reference: 'hash1',
          description: 'top-up',
        }),
        true,
      );
      assert.equal(
        await ledger.append({
          tenantId: tenant.id,
          kind: 'topup',
          amount: 50_000n,
          reference: 'hash1',
          description: 'again',
        }),
        false,
      );
      await ledger.append({
        tenantId: tenant.id,
        kind: 'channel_fee',
        amount: -2_000n,
        reference: 'req1',
        description: 'fee',
      });
      assert.equal(await ledger.balance(tenant.id), 48_000n);
      assert.equal(await ledger.ledgerSum(tenant.id), 48_000n, 'the running balance is the ledger sum');
      assert.deepEqual(
        (await ledger.entries(tenant.id, { limit: 100 })).items.map((e) => [e.kind, e.amount]),
        [
          ['channel_fee', -2_000n],
          ['topup', 50_000n],
        ],
      );
      // A charge beyond the balance fails whole: no entry, the balance unchanged.
      await assert.rejects(
        ledger.append({
          tenantId: tenant.id,
          kind: 'channel_fee',
          amount: -48_001n,
          reference: 'req2',
          description: 'too much',
        }),
      );
      assert.equal(await ledger.balance(tenant.id), 48_000n);
      assert.equal((await ledger.entries(tenant.id, { limit: 100 })).items.length, 2);
    });

    test('a nonce is accepted once per key', async () => {
      const tenant = await new TenantsRepository(database.db).create('nonce-tenant');
      const keys = new ApiKeysRepository(database.db);
      await keys.insert({
        id: 'key_a',
        tenantId: tenant.id,
        scope: 'tenant',
        secretCiphertext: 'x',
        label: '',
      });
      const remember = async (keyId: string, nonce: string, expiresAt: Date) =>
        (await keys.rememberNonces([{ keyId, nonce, expiresAt }])).size === 1;
      const soon = new Date(Date.now() + 1000);
      assert.equal(await remember('key_a', 'nonce-1', soon), true);
      assert.equal(await remember('key_a', 'nonce-1', soon), false);
      assert.equal(await remember('key_b', 'nonce-1', soon), true, 'nonces are per key');
      assert.equal(await remember('key_b', 'nonce-2', new Date(Date.now() + 600_000)), true);
      assert.equal(await keys.pruneNonces(new Date(Date.now() + 2000)), 2n, 'only expired nonces go');
      assert.equal(await keys.revoke('key_a'), true);
      assert.equal(await keys.revoke('key_a'), false);
      assert.ok((await keys.get('key_a'))?.revokedAt instanceof Date);
    });

    test('nonces seen before they were stored as digests (0033) are still refused after it', async () => {
      const upgrade = await openDatabase(
        config.kind === 'postgres'
          ? { ...config, schema: `${schema}_digests` }
          : { kind: 'pglite', dataDir: 'memory' },
      );
      try {
        await migrate(
          upgrade.db,
          listMigrations().filter((m) => m.version < 33),
        );
        const soon = new Date(Date.now() + 60_000);
        await sql`insert into api_nonces (key_id, nonce, expires_at)
          values ('key_old', 'seen-before', ${soon}), ('key_old', 'nonce-é', ${soon})`.execute(upgrade.db);
        assert.deepEqual(
          await migrate(
            upgrade.db,
            listMigrations().filter((m) => m.version <= 33),
          ),
          ['0033_nonce_digests'],
        );
        const keys = new ApiKeysRepository(upgrade.db);
        const fresh = await keys.rememberNonces([
          { keyId: 'key_old', nonce: 'seen-before', expiresAt: soon },
          { keyId: 'key_old', nonce: 'nonce-é', expiresAt: soon },
          { keyId: 'key_old', nonce: 'never-seen', expiresAt: soon },
        ]);
        assert.deepEqual([...fresh], ['key_old never-seen'], 'only the pair never seen is new');
        // A replica of the version before, still running during the upgrade: its insert as it
        // wrote it, through the digests both ways.
        const oldInsert = async (nonce: string) =>
          (
            await sql<{ nonce: string }>`insert into api_nonces (key_id, nonce, expires_at)
              values ('key_old', ${nonce}, ${soon}) on conflict (key_id, nonce) do nothing
              returning key_id, nonce`.execute(upgrade.db)
          ).rows.length === 1;
        assert.equal(
          await oldInsert('never-seen'),
          false,
          'an older replica refuses a nonce a newer one saw',
        );
        assert.equal(await oldInsert('old-replica-first'), true);
        assert.equal(
          (await keys.rememberNonces([{ keyId: 'key_old', nonce: 'old-replica-first', expiresAt: soon }]))
            .size,
          0,
          'a newer replica refuses a nonce an older one saw',
        );
        assert.equal(await keys.pruneNonces(new Date(soon.getTime() + 1)), 4n, 'every digest pruned');
        const left = await sql<{ n: string }>`select count(*)::text as n from api_nonces`.execute(upgrade.db);
        assert.equal(left.rows[0]?.n, '0', "and the older replica's rows with them");
      } finally {
        if (config.kind === 'postgres')
          await sql.raw(`drop schema if exists ${schema}_digests cascade`).execute(upgrade.db);
        await upgrade.close();
      }
    });

    test('concurrent writes queue up instead of interleaving', async () => {
      const tenants = new TenantsRepository(database.db);
      await Promise.all(Array.from({ length: 20 }, (_, i) => tenants.create(`t${i}`)));
      assert.equal((await tenants.list()).filter((t) => /^t\d+$/.test(t.name)).length, 20);
    });

    test('a refund chain has one live refund: a bump replaces it once, the one that confirms is kept, another chain of the order is left alone', async () => {
      const order = await insertOnchainOrder(database);
      const refunds = new Lsps1RefundsRepository(database.db);
      const refund = (txid: string, feeRate: bigint) => ({
        txid: txid.repeat(64) as Hex32,
        orderId: order.id,
        rawTx: '00',
        feeRate,
        fee: sat(110n * feeRate),
        amount: sat(900n - 110n * feeRate),
        refundAddress: 'bcrt1qrefund',
      });
      await refunds.insert(refund('a', 2n));
      assert.deepEqual(await refunds.unconfirmedOrders(), [order.id]);
      assert.equal(await refunds.replace(refund('a', 2n).txid, refund('b', 3n)), true);
      assert.equal(
        await refunds.replace(refund('a', 2n).txid, refund('c', 4n)),
        false,
        'a replaced refund cannot be replaced again',
      );
      assert.deepEqual(
        (await refunds.forOrder(order.id)).map((r) => [r.txid[0], r.replacedBy?.[0] ?? null]),
        [
          ['a', 'b'],
          ['b', null],
        ],
        'the refused bump left nothing behind',
      );
      // A later payment to the order's address got a refund of its own: a second chain.
      await refunds.insert(refund('d', 2n));
      assert.deepEqual(await refunds.unconfirmedOrders(), [order.id], 'each order once');
      // The first one confirmed after all (the bump came too late): it is its chain's refund.
      await refunds.confirm(refund('a', 2n).txid, [refund('a', 2n).txid, refund('b', 3n).txid]);
      const after = await refunds.forOrder(order.id);
      assert.ok(after[0]?.confirmedAt);
      assert.equal(after[0]?.replacedBy, null);
      assert.equal(after[1]?.replacedBy, refund('a', 2n).txid);
      assert.equal(after[2]?.replacedBy, null, 'the other chain is left alone');
      assert.equal(after[2]?.confirmedAt, null);
      assert.deepEqual(await refunds.unconfirmedOrders(), [order.id]);
      await refunds.confirm(refund('d', 2n).txid, [refund('d', 2n).txid]);
      assert.deepEqual(await refunds.unconfirmedOrders(), []);
    });

    test('an ended order holding its client’s coins stays in custody past its watch, until it no longer holds them', async () => {
      const orders = new Lsps1OrdersRepository(database.db);
      const order = await insertOnchainOrder(database, 'bcrt1qkept');
      await sql`update lsps1_orders set state = 'failed', updated_at = now() - interval '10 days'
        where id = ${order.id}`.execute(database.db);
      const watched = async () =>
        (await orders.onchainInCustody(new Date(Date.now() - 7 * 86_400_000))).some((o) => o.id === order.id);
      assert.equal(await watched(), false, 'ended 10 days ago: out of a 7-day watch');
      await orders.markHoldsClientCoins([order.id], []);
      assert.equal(await watched(), true, 'holding its client’s coins: in custody whatever its watch says');
      await orders.markHoldsClientCoins([], [order.id]);
      assert.equal(await watched(), false, 'refunded: its watch says again');
    });

    test('every transition appends its event in its own transaction, and a rolled-back one leaves neither', async () => {
      const tenant = await new TenantsRepository(database.db).create('events-tenant');
      const ledger = new LedgerRepository(database.db);
      const events = new EventsRepository(database.db);
      const hash = randomBytes(32).toString('hex');
      await ledger.createTopup({
        paymentHash: hash,
        tenantId: tenant.id,
        amount: sat(2n ** 60n),
        paymentRequest: 'lnbcrt1',
        expiresAt: new Date(Date.now() + 60_000),
      });
      await ledger.finishTopup(hash, 'settled');
      await ledger.finishTopup(hash, 'settled'); // no transition: no event
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await new LedgerRepository(trx).append({
            tenantId: tenant.id,
            kind: 'topup',
            amount: 5n,
            reference: 'rolled-back',
            description: '',
          });
          throw new Error('abort after the entry');
        }),
        /abort after/,
      );
      // Committed: positioned by the next pass, whatever else runs on the server.
      await events.sequence();
      const mine = await events.list({ tenantId: tenant.id, limit: 100 });
      assert.deepEqual(
        mine.map((e) => [e.subjectKind, e.subjectId, e.state]),
        [
          ['topup', hash, 'open'],
          ['topup', hash, 'settled'],
        ],
      );
      assert.deepEqual(mine[1]?.facts, { amount_sat: (2n ** 60n).toString() }, 'amounts are exact strings');
      assert.ok((mine[0]?.position ?? 0n) < (mine[1]?.position ?? 0n));
      assert.deepEqual(await events.list({ tenantId: tenant.id, after: mine[1]?.position, limit: 100 }), []);
    });

    test('rows inserted together get one event each, in their order, with the facts a row alone gets', async () => {
      const tenant = await new TenantsRepository(database.db).create('batch-events');
      const ledger = new LedgerRepository(database.db);
      await ledger.append({
        tenantId: tenant.id,
        kind: 'topup',
        amount: sat(50_000n),
        reference: 'batch',
        description: '',
      });
      const reservation = (amount: bigint) => ({
        id: randomUUID(),
        tenantId: tenant.id,
        amount: sat(amount),
        reservationFee: sat(7n),
        utilizationFeePpm: 100n,
        feeRatePpm: 250n,
        maxFeeRatePpm: 500n,
        durationMs: 60_000n,
        expiresAt: new Date('2030-01-01T00:00:00Z'),
        externalReference: null,
        externalFee: null,
      });
      const [one, two] = [reservation(1_000n), reservation(2_000n)];
      const reservations = new ReservationsRepository(database.db);
      await reservations.insertWithCharges(
        [one, two],
        [one, two].map((r) => ({
          tenantId: tenant.id,
          kind: 'reservation_fee' as const,
          amount: sat(-7n),
          reference: r.id,
          description: 'fee',
        })),
      );
      assert.ok(await reservations.transition(two.id, 'active', { state: 'released', used: sat(0n) }));
      const events = new EventsRepository(database.db);
      await events.sequence();
      const mine = await events.list({ tenantId: tenant.id, limit: 100 });
      const facts = (amount: bigint) => ({
        amount_sat: amount.toString(),
        used_sat: '0',
        reservation_fee_sat: '7',
        fee_rate_ppm: '250',
        expires_at: '2030-01-01T00:00:00+00:00',
      });
      // Each subject's events in the order its rows were written (events of different subjects
      // written by one statement may interleave either way).
      assert.deepEqual(
        mine.filter((e) => e.subjectKind === 'reservation').map((e) => [e.subjectId, e.state, e.facts]),
        [
          [one.id, 'active', facts(1_000n)],
          [two.id, 'active', facts(2_000n)],
          [two.id, 'released', facts(2_000n)],
        ],
      );
      assert.deepEqual(
        mine.filter((e) => e.subjectKind === 'ledger_entry').map((e) => [e.state, e.facts]),
        [
          ['topup', { amount_sat: '50000', reference: 'batch' }],
          ...[one, two].map((r) => ['reservation_fee', { amount_sat: '-7', reference: r.id }]),
        ],
      );
      assert.equal(mine.length, 6);
    });

    test("several tenants' accounts read in one statement are each what one tenant's read says", async () => {
      const tenants = new TenantsRepository(database.db);
      const [a, b] = [await tenants.create('accounts-a'), await tenants.create('accounts-b')];
      const ledger = new LedgerRepository(database.db);
      await ledger.append({
        tenantId: a.id,
        kind: 'topup',
        amount: sat(9_000n),
        reference: 'acc-a',
        description: '',
      });
      await ledger.append({
        tenantId: b.id,
        kind: 'topup',
        amount: sat(1_000n),
        reference: 'acc-b',
        description: '',
      });
      const debts = new TenantDebtsRepository(database.db);
      for (const [reference, amount] of [
        ['acc-b-1', 2_500n],
        ['acc-b-2', 500n],
      ] as const)
        await debts.add({
          tenantId: b.id,
          kind: 'hosting_transaction_fee',
          reference,
          amount: sat(amount),
          description: '',
        });
      const unknown = randomUUID();
      const many = await ledger.accounts([a.id, b.id, unknown, 'not-a-uuid', b.id]);
      assert.deepEqual(many.get(a.id), await ledger.account(a.id));
      assert.deepEqual(many.get(b.id), await ledger.account(b.id));
      assert.deepEqual([many.get(b.id)?.balance, many.get(b.id)?.debt], [1_000n, 3_000n]);
      assert.ok(many.get(b.id)?.debtSince instanceof Date);
      assert.equal(many.get(a.id)?.debtSince, null);
      assert.deepEqual(
        [...many.keys()].sort(),
        [a.id, b.id].sort(),
        'unknown and malformed ids are left out',
      );
    });

    test("a node's checks: consecutive ones extend its interval to the latest; a change opens the next where it ends", async () => {
      const hosted = new HostedNodesRepository(database.db);
      const node = `n${randomBytes(4).toString('hex')}`;
      const tick = () => new Promise((r) => setTimeout(r, 20)); // distinct database timestamps
      for (const up of [true, true, true, false, false]) {
        await hosted.recordCheck(node, up, 30_000);
        await tick();
      }
      const intervals = await new NodeSeriesRepository(database.db).checksSince([node], new Date(0));
      assert.deepEqual(
        intervals.map((i) => i.up),
        [true, false],
      );
      const [up, down] = intervals;
      assert.ok(up && down);
      assert.ok(up.until > up.since, 'three up checks span time');
      assert.equal(up.until.getTime(), down.since.getTime(), 'no uncounted gap between them');
      assert.ok(down.until > down.since, 'two down checks span time');
    });
  });
}

test('on Postgres, an event gets its position once its transaction commits, whatever else runs; a reader never skips one', async () => {
  const database = await openDatabase({ kind: 'postgres', url: postgresUrl, schema });
  const elsewhere = await openDatabase({ kind: 'postgres', url: postgresUrl });
  try {
    await migrate(database.db);
    const tenants = new TenantsRepository(database.db);
    const [slow, quick] = [await tenants.create('late-slow'), await tenants.create('late-quick')];
    const events = new EventsRepository(database.db);
    await events.sequence();
    const from = await events.latestPosition();
    const entry = (tenantId: string, reference: string) => ({
      tenantId,
      kind: 'topup' as const,
      amount: 1n,
      reference,
      description: '',
    });
    const ours = (after: bigint) =>
      events
        .list({ after, limit: 100 })
        .then((l) => l.filter((e) => e.tenantId === slow.id || e.tenantId === quick.id));
    const references = async (after: bigint) => (await ours(after)).map((e) => String(e.facts.reference));
    // Another connection of the same server holds a transaction id open (as any application's
    // long transaction in another schema or database would): it holds back nothing of ours.
    await elsewhere.db.transaction().execute(async (held) => {
      await sql`select pg_current_xact_id()`.execute(held);
      // The slow transaction writes first and stays open while a quick one commits.
      await database.db.transaction().execute(async (trx) => {
        await new LedgerRepository(trx).append(entry(slow.id, 'slow'));
        await new LedgerRepository(database.db).append(entry(quick.id, 'quick'));
        await events.sequence();
        assert.deepEqual(
          await references(from),
          ['quick'],
          'the committed one at once, older transactions running',
        );
      });
    });
    // The slow one, committed now, comes after it: a reader who stopped at the quick one reads it next.
    const quickAt = (await ours(from))[0]?.position;
    assert.ok(quickAt !== undefined);
    await events.sequence();
    assert.deepEqual(await references(quickAt), ['slow'], 'the later commit after the position read');
    assert.deepEqual(await references(from), ['quick', 'slow'], 'in the order they committed, none skipped');
  } finally {
    await elsewhere.close();
    await database.close();
  }
});

/** A new payment of `amountSat` for the store tests (a routing fee of 11 sat, no reservation). */
function newPayment(paymentHash: string, tenantId: string, amountSat: bigint) {
  return {
    paymentHash,
    tenantId,
    paymentRequest: 'lnbcrt1',
    destination: `02${'bb'.repeat(32)}`,
    amountMsat: msat(amountSat * 1000n),
    reservationId: null,
    reserved: sat(0n),
    liquidity: sat(amountSat + 11n),
    feeLimitMsat: msat(2_000n),
    amount: sat(amountSat),
    routingFee: sat(11n),
    utilizationFee: sat(0n),
    expiresAt: new Date(Date.now() + 3_600_000),
  };
}
