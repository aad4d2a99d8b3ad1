/**
 * Honest success figures (issue 20, item 5): the LSP's node sends payments of its own beside the
 * tenants' (the harness's check that a new channel carries payments, as `npm start` makes; a
 * probe). LND lists them all alike; the LSP's metrics, figures and `/metrics` count only the
 * tenants' payments as payments and report each purpose on its own. The checks never lower the
 * tenants' success rate; a tenant's failed payment (failing exactly as a probe does, at the
 * destination) does. A probed quote whose probe fails on the way (LND draws its hash) is a probe too.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, parseHex32, sat } from '@blgv/core';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import type { NodeMetricsResponse } from '@blgv/protocol';
import {
  type Network,
  startNetwork,
  startTestLsp,
  type TestLsp,
  topUp,
  waitGraphSynced,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const TOKEN = 'routing-success-metrics-token';

let net: Network;
let lsp: TestLsp;
let exchange: LSPClient;
/** How many failed payments of its own the LSP's LND listed before any tenant paid. */
let checks = 0;

before(async () => {
  net = await startNetwork();
  const { h, alice, lsp: node, bob } = net;
  await h.openChannel(alice, node, sat(2_000_000));
  // The harness checks that the LSP can pay bob (a payment to an invoice bob cancelled): the
  // failed 1,000 sat payment a freshly started demo shows in the LSP's LND.
  await h.openChannel(node, bob, sat(1_000_000), { push: sat(0) });
  lsp = await startTestLsp(net, { file: { monitoring: { intervalMs: 500, prometheusToken: TOKEN } } });
  exchange = (await lsp.newTenant('exchange')).client;
  await topUp(h, alice, exchange, 200_000);
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** The LSP node's metrics once `ready` holds for them (the monitor reads every 500 ms). */
function lspMetricsWhen(
  what: string,
  ready: (m: NodeMetricsResponse) => boolean,
): Promise<NodeMetricsResponse> {
  let last: NodeMetricsResponse | undefined;
  return net.h
    .waitFor(
      async () => {
        last = await lsp.admin.admin.lspMetrics();
        return ready(last) ? last : undefined;
      },
      { what, timeoutMs: 60_000, intervalMs: 250 },
    )
    .catch((err: unknown) => {
      throw new Error(`${String(err)}; last seen: ${JSON.stringify(last?.paymentsByPurpose)}`);
    });
}

/** The `lnd_total_payments` samples of the LSP's node, by `status/purpose`. */
async function scrapedPayments(): Promise<Map<string, number>> {
  const res = await fetch(`${lsp.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^lnd_total_payments\{node_id="lsp",status="(\w+)",purpose="(\w+)"\} (\d+)$/.exec(line);
    if (m) out.set(`${m[1]}/${m[2]}`, Number(m[3]));
  }
  return out;
}

test("the LSP's own checks and probes are probes, not failed payments", async () => {
  const { lsp: node, bob } = net;
  // A probe of the LSP's node: a hash nobody knows, failing at bob.
  const probe = await node.lnd.probe(
    { destination: bob.pubkey, amount: msat(5_000_000n), timeoutSeconds: 30 },
    within(),
  );
  assert.equal(probe.status, 'failed');
  const listed = await node.lnd.listPayments({ afterIndex: 0n, max: 100 }, within());
  checks = listed.filter((p) => p.status === 'failed').length;
  assert.ok(checks >= 2, `LND lists the check and the probe as failed payments (${checks})`);
  assert.equal(listed.filter((p) => p.status === 'succeeded').length, 0);

  const m = await lspMetricsWhen(
    'the checks counted as probes',
    (x) => x.paymentsByPurpose.probe.failed === checks,
  );
  assert.deepEqual(m.payments, { succeeded: 0, failed: 0 }, 'no payment was made for anyone');
  assert.equal(m.successRate, null, 'nothing to measure, not 0 %');
  assert.deepEqual(m.paymentsByPurpose.tenant, { succeeded: 0, failed: 0, successRate: null });
  assert.deepEqual(m.paymentsByPurpose.other, { succeeded: 0, failed: 0, successRate: null });
});

test('a probed quote that fails on the way is a probe, not a failed payment', async () => {
  const { h, bob } = net;
  // carol's channel with bob is all carol's: a route lsp -> bob -> carol exists in the graph,
  // but bob cannot forward on it, so LND's probe fails at bob (not at the destination).
  const carol = await h.newNode('carol');
  await h.fund([carol, sat(2_000_000)]);
  await h.openChannel(carol, bob, sat(1_000_000));
  await waitGraphSynced(h, net.lsp, [carol]);
  const invoice = await carol.lnd.addInvoice({ amount: msat(500_000_000n), memo: 'too much' }, within());
  await assert.rejects(exchange.quotePayment({ invoice: invoice.paymentRequest, probe: true }), (err) => {
    assert.ok(err instanceof LspApiError, String(err));
    assert.equal(err.code, 'lightning_rejected');
    return true;
  });
  const listed = await net.lsp.lnd.listPayments({ afterIndex: 0n, max: 100 }, within());
  // LND's probe: its own hash, no invoice, failed on the way (LND forgets the attempts).
  const lndProbes = listed.filter(
    (p) =>
      p.status === 'failed' &&
      p.paymentRequest === undefined &&
      p.failureReason !== 'incorrect_payment_details',
  );
  assert.equal(lndProbes.length, 1, "LND lists the quote's probe, failed on the way");
  const probes = listed.filter((p) => p.status === 'failed').length;
  const m = await lspMetricsWhen(
    "the quote's probe counted as a probe",
    (x) => x.paymentsByPurpose.probe.failed === probes,
  );
  assert.deepEqual(m.payments, { succeeded: 0, failed: 0 }, 'still no payment was made for anyone');
  assert.deepEqual(m.paymentsByPurpose.other, { succeeded: 0, failed: 0, successRate: null });
  checks = probes;
});

test("a tenant's payment succeeds: 100 %, the checks beside it do not lower it", async () => {
  const invoice = await net.bob.lnd.addInvoice({ amount: msat(10_000_000n), memo: 'withdrawal' }, within());
  const paid = await exchange.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(paid.status, 'succeeded');
  const m = await lspMetricsWhen(
    'the tenant payment counted',
    (x) => x.paymentsByPurpose.tenant.succeeded === 1,
  );
  assert.equal(m.successRate, 1, 'the demo showed 50 % here');
  assert.deepEqual(m.payments, { succeeded: 1, failed: 0 });
  assert.equal(m.paymentsByPurpose.probe.failed, checks, 'the probes are still reported, apart');
});

test("a tenant's failed payment lowers the rate, even failing as a probe fails; figures and /metrics agree", async () => {
  const invoice = await net.bob.lnd.addInvoice({ amount: msat(20_000_000n), memo: 'cancelled' }, within());
  await net.bob.lnd.cancelInvoice(parseHex32(invoice.paymentHash), within());
  const failed = await exchange.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(failed.status, 'failed');
  assert.match(failed.failure ?? '', /incorrect_payment_details|payment details/);

  const m = await lspMetricsWhen(
    'the failed tenant payment counted',
    (x) => x.paymentsByPurpose.tenant.failed === 1,
  );
  assert.equal(m.successRate, 0.5);
  assert.deepEqual(m.payments, { succeeded: 1, failed: 1 });
  assert.deepEqual(m.paymentsByPurpose.tenant, { succeeded: 1, failed: 1, successRate: 0.5 });
  assert.deepEqual(m.paymentsByPurpose.probe, { succeeded: 0, failed: checks, successRate: 0 });
  assert.deepEqual(m.paymentsByPurpose.rebalance, { succeeded: 0, failed: 0, successRate: null });

  const figures = await lsp.admin.admin.figures('24h');
  assert.equal(figures.payments.successRate, 0.5);
  assert.equal(figures.payments.succeeded, 1);
  assert.equal(figures.payments.failed, 1);
  assert.deepEqual(figures.payments.byPurpose, m.paymentsByPurpose);

  const scraped = await scrapedPayments();
  assert.equal(scraped.get('succeeded/tenant'), 1);
  assert.equal(scraped.get('failed/tenant'), 1);
  assert.equal(scraped.get('failed/probe'), checks);
  assert.equal(scraped.get('succeeded/probe'), undefined);
  await assertCleanAudit(lsp);
});
