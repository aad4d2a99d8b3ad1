import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex32, msat, type PaymentResult, parseHex32, type SentPayment } from '@blgv/core';
import {
  type Database,
  listMigrations,
  migrate,
  NodeMonitoringRepository,
  openDatabase,
  openMigratedMemoryDatabase,
  PaymentPurposesRepository,
  sql,
} from '@blgv/store';
import { MetricsService } from './metrics-service.ts';
import { LSP_NODE_ID, lspPurposes, type MonitoredNode, readNode } from './node-monitor.ts';
import { recordedProbe, recordedRouteProbe } from './own-payments.ts';

let database: Database;
const hash = (n: number) => parseHex32(n.toString(16).padStart(64, '0'));

before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

/** A node whose only reading of interest is its payments. */
function node(payments: () => SentPayment[]): MonitoredNode {
  return {
    getInfo: async () => ({ numPeers: 0, blockHeight: 1, syncedToChain: true }) as never,
    listChannels: async () => [],
    pendingChannels: async () => [],
    walletBalance: async () => ({ confirmed: 0n, unconfirmed: 0n }) as never,
    forwardingHistory: async () => [],
    listPayments: async ({ afterIndex }) => payments().filter((p) => p.paymentIndex > afterIndex),
  };
}

const sent = (i: number, paymentHash: Hex32, rest: Partial<SentPayment>): SentPayment => ({
  paymentIndex: BigInt(i),
  paymentHash,
  status: 'failed',
  amount: msat(1_000_000n),
  fee: msat(0n),
  createdAt: new Date(),
  htlcCount: 1,
  ...rest,
});

test("a probe the LSP recorded, the harness's check and a tenant's payments: only the tenant's count", async () => {
  const purposes = new PaymentPurposesRepository(database.db);
  // The LSP probes through `recordedProbe`: its hash is recorded before LND sees it.
  let probed: Hex32 | undefined;
  const probe = recordedProbe(
    {
      probe: async (request): Promise<PaymentResult> => {
        probed = request.paymentHash;
        return {
          status: 'failed',
          paymentHash: hash(0),
          reason: 'no_route',
          htlcCount: 1,
          attemptFailures: [],
        };
      },
    },
    purposes,
  );
  await probe(
    { destination: hash(9) as never, amount: msat(1000n), timeoutSeconds: 1 },
    AbortSignal.timeout(1000),
  );
  assert.ok(probed);
  const tenantHashes = new Set<string>([hash(1), hash(2)]);
  const known = lspPurposes({
    known: async (hashes) => {
      const real = await purposes.known(hashes);
      return { tenant: tenantHashes, own: real.own };
    },
  });
  let payments: SentPayment[] = [
    // The LSP's recorded probe found no route (LND does not mark it as a probe): still a probe.
    sent(1, probed, { failureReason: 'no_route' }),
    // The demo harness's check: a cancelled invoice, a hash the LSP never made.
    sent(2, hash(7), { failureReason: 'incorrect_payment_details' }),
    // A tenant's payment, still in flight when first read.
    sent(3, hash(1), { status: 'in_flight' }),
    // A tenant's payment that failed exactly as a probe does: the tenant's failure.
    sent(4, hash(2), { failureReason: 'incorrect_payment_details' }),
  ];
  const monitoring = new NodeMonitoringRepository(database.db);
  await readNode(
    monitoring,
    LSP_NODE_ID,
    node(() => payments),
    AbortSignal.timeout(5000),
    known,
  );
  payments = payments.map((p) => (p.paymentIndex === 3n ? { ...p, status: 'succeeded' } : p));
  await readNode(
    monitoring,
    LSP_NODE_ID,
    node(() => payments),
    AbortSignal.timeout(5000),
    known,
  );

  const m = await new MetricsService({ database }).nodeMetrics(LSP_NODE_ID, '24h');
  assert.deepEqual(m.payments, { succeeded: 1, failed: 1 }, 'the tenant payments only');
  assert.equal(m.successRate, 0.5);
  assert.deepEqual(m.paymentsByPurpose.tenant, { succeeded: 1, failed: 1, successRate: 0.5 });
  assert.deepEqual(m.paymentsByPurpose.probe, { succeeded: 0, failed: 2, successRate: 0 });
  assert.deepEqual(m.paymentsByPurpose.rebalance, { succeeded: 0, failed: 0, successRate: null });
  assert.deepEqual(m.paymentsByPurpose.other, { succeeded: 0, failed: 0, successRate: null });
  const figures = await new MetricsService({ database }).figures('24h');
  assert.equal(figures.payments.successRate, 0.5);
  assert.deepEqual(figures.payments.byPurpose.probe, m.paymentsByPurpose.probe);
});

test("a probed quote's probes, which carry LND's hashes, are probes even when read before the quote ends", async () => {
  const purposes = new PaymentPurposesRepository(database.db);
  const monitoring = new NodeMonitoringRepository(database.db);
  const known = lspPurposes(purposes);
  const nodeId = 'quoting-lsp';
  let payments: SentPayment[] = [
    // A tenant's payment before the quote (it carries its invoice).
    sent(1, hash(31), { status: 'succeeded', paymentRequest: 'lnbcrt1tenant' }),
  ];
  const estimate = recordedRouteProbe(
    {
      estimateRouteFee: async () => {
        // LND probes with a hash of its own; the probe fails on the way, and the monitor reads
        // it before the quote answers: unknown, so `other` for now.
        payments = [...payments, sent(2, hash(32), { failureReason: 'no_route' })];
        await readNode(
          monitoring,
          nodeId,
          node(() => payments),
          AbortSignal.timeout(5000),
          known,
        );
        return { fee: msat(0n), totalTimeLock: 0, failure: 'no_route' };
      },
      listPayments: async ({ afterIndex, max, newest }) =>
        (newest ? payments.slice(-max) : payments.filter((p) => p.paymentIndex > afterIndex)).slice(0, max),
    },
    purposes,
    nodeId,
  );
  const before = await new MetricsService({ database }).nodeMetrics(nodeId, '24h');
  assert.deepEqual(before.paymentsByPurpose.other, { succeeded: 0, failed: 0, successRate: null });
  await estimate({ paymentRequest: 'lnbcrt1invoice', timeoutSeconds: 1 }, AbortSignal.timeout(5000));

  const m = await new MetricsService({ database }).nodeMetrics(nodeId, '24h');
  assert.deepEqual(m.paymentsByPurpose.probe, { succeeded: 0, failed: 1, successRate: 0 });
  assert.deepEqual(
    m.paymentsByPurpose.other,
    { succeeded: 1, failed: 0, successRate: 1 },
    'only the paid invoice',
  );
  // Read again later (as the monitor does): still a probe.
  await readNode(
    monitoring,
    nodeId,
    node(() => payments),
    AbortSignal.timeout(5000),
    known,
  );
  const again = await new MetricsService({ database }).nodeMetrics(nodeId, '24h');
  assert.deepEqual(again.paymentsByPurpose.probe, m.paymentsByPurpose.probe);
});

test('a probe recorded while the monitor was storing its payment is set right on the next read', async () => {
  const purposes = new PaymentPurposesRepository(database.db);
  const monitoring = new NodeMonitoringRepository(database.db);
  const nodeId = 'racing-lsp';
  const payments = [sent(1, hash(41), { failureReason: 'no_route' })];
  // The monitor classifies the payment (its hash unknown yet: `other`)...
  const classified = await lspPurposes(purposes)(payments);
  // ...the quote records its probe and updates the stored payments: there are none yet...
  await purposes.recordSent(nodeId, [hash(41)], 'probe');
  // ...then the monitor stores what it classified.
  await readNode(
    monitoring,
    nodeId,
    node(() => payments),
    AbortSignal.timeout(5000),
    async () => classified,
  );
  const raced = await new MetricsService({ database }).nodeMetrics(nodeId, '24h');
  assert.deepEqual(raced.paymentsByPurpose.other, { succeeded: 0, failed: 1, successRate: 0 }, 'the race');
  assert.equal(await purposes.reclassifyRecent(nodeId, 10), 1);
  const m = await new MetricsService({ database }).nodeMetrics(nodeId, '24h');
  assert.deepEqual(m.paymentsByPurpose.probe, { succeeded: 0, failed: 1, successRate: 0 });
  assert.deepEqual(m.paymentsByPurpose.other, { succeeded: 0, failed: 0, successRate: null });
  assert.equal(await purposes.reclassifyRecent(nodeId, 10), 0, 'nothing more to set right');
});

test("a hosted node's payments are all its tenant's, however they failed", async () => {
  const monitoring = new NodeMonitoringRepository(database.db);
  const payments = [sent(1, hash(7), { failureReason: 'incorrect_payment_details' })];
  await readNode(
    monitoring,
    'n1',
    node(() => payments),
    AbortSignal.timeout(5000),
  );
  const m = await new MetricsService({ database }).nodeMetrics('n1', '24h');
  assert.deepEqual(m.payments, { succeeded: 0, failed: 1 });
  assert.equal(m.paymentsByPurpose.tenant.failed, 1);
  assert.equal(m.paymentsByPurpose.probe.failed, 0);
});

test("the migration keeps hosted nodes' payments as their tenants' and reads the LSP node's again", async () => {
  const db = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  try {
    await migrate(
      db.db,
      listMigrations().filter((m) => m.version < 21),
    );
    const row = (node_id: string, payment_index: bigint) => ({
      node_id,
      payment_index,
      status: 'failed',
      created_at: new Date(),
      amount_msat: 1n,
      fee_msat: 0n,
    });
    await sql`insert into node_payments (node_id, payment_index, status, created_at, amount_msat, fee_msat)
      values ${sql.join([row('lsp', 1n), row('n1', 1n)].map((r) => sql`(${sql.join(Object.values(r))})`))}`.execute(
      db.db,
    );
    await migrate(db.db);
    const monitoring = new NodeMonitoringRepository(db.db);
    assert.equal(
      await monitoring.paymentCursor(LSP_NODE_ID),
      0n,
      "the LSP node's payments are read from the start",
    );
    assert.deepEqual(await monitoring.paymentOutcomes('n1', new Date(0)), [
      { purpose: 'tenant', status: 'failed', count: 1 },
    ]);
  } finally {
    await db.close();
  }
});
