/**
 * Node metrics (the spec's `NodeMetrics`): a hosted node routes a payment between the LSP and
 * bob and sends two payments of its own, one that succeeds and one that fails. Its metrics,
 * read through the SDK, match what its LND says exactly (channels, capacity, routing revenue in
 * msat, forwards); the success rate counts both payments; uptime drops while the node is
 * stopped and recovers once it runs again. The LSP's own node's metrics match the LSP's LND,
 * and another tenant's node is not found.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, parsePubkey, sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { HostedNodeResponse, NodeMetricsResponse } from '@blgv/protocol';
import {
  channelActive,
  type HostingLsp,
  type Network,
  nodeRest,
  payUntilSucceeded,
  startHostingLsp,
  startNetwork,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const ctx = { net: undefined as unknown as Network };
let hosting: HostingLsp;
let tenant: LSPClient;
let node: HostedNodeResponse;
let mac: string;

before(async () => {
  ctx.net = await startNetwork();
  const { h, alice, lsp } = ctx.net;
  hosting = await startHostingLsp(ctx.net, {}, { monitoring: { intervalMs: 500 } });
  tenant = (await hosting.lsp.newTenant('router')).client;
  await h.openChannel(alice, lsp, sat(3_000_000));
  await topUp(h, alice, tenant, 1_000_000);
});

after(async () => {
  await hosting?.stop();
  await ctx.net?.h.stop();
});

/** The node's metrics once `ready` holds for them (the monitor reads every 500 ms). */
function metricsWhen(
  what: string,
  ready: (m: NodeMetricsResponse) => boolean,
  read: () => Promise<NodeMetricsResponse> = () => tenant.getNodeMetrics(node.nodeId),
): Promise<NodeMetricsResponse> {
  let last: NodeMetricsResponse | undefined;
  return ctx.net.h
    .waitFor(
      async () => {
        last = await read();
        return ready(last) ? last : undefined;
      },
      { what, timeoutMs: 60_000, intervalMs: 250 },
    )
    .catch((err: unknown) => {
      const { forwardingEvents: _, forwardsPerDay: __, ...seen } = last ?? ({} as NodeMetricsResponse);
      throw new Error(`${String(err)}; last seen: ${JSON.stringify(seen)}`);
    });
}

/** The node pays `paymentRequest` through its endpoint (LND's `/v2/router/send`): its final status and why. */
async function nodePays(paymentRequest: string): Promise<{ status: string; detail: string }> {
  const r = await nodeRest<string>(node.endpoint, mac, 'POST', '/v2/router/send', {
    payment_request: paymentRequest,
    timeout_seconds: 30,
    fee_limit_sat: '1000',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // A stream of JSON updates, one per line; the last is the outcome.
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const updates = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { result?: NodePayment });
  const last = updates.at(-1)?.result;
  return { status: last?.status ?? 'unknown', detail: paymentDetail(last) };
}

/** The part of LND's payment update `nodePays` reads. */
interface NodePayment {
  status: string;
  failure_reason?: string;
  htlcs?: { status: string; failure?: { code?: string; failure_source_index?: number } }[];
}

/** Why a payment ended as it did (LND's reason and each HTLC's failure), for an assertion's message. */
function paymentDetail(p: NodePayment | undefined): string {
  if (!p) return 'no payment update';
  const htlcs = (p.htlcs ?? []).map(
    (h) => `${h.status}${h.failure ? ` ${h.failure.code}@${h.failure.failure_source_index}` : ''}`,
  );
  return `${p.status} ${p.failure_reason ?? ''} htlcs: [${htlcs.join(', ')}]`;
}

test('a hosted node that routes and pays: its metrics match its LND exactly', async () => {
  const { h, alice, bob } = ctx.net;
  node = await tenant.nodes.create({
    alias: 'router',
    channels: [{ capacity: 500_000 }],
    autopilot: { enabled: false },
  });
  mac = node.macaroon ?? '';
  // bob opens a channel to the node and pushes half of it: the node can route on to bob.
  const [host, port] = (node.p2pHost ?? '').split(':');
  await bob.lnd.connectPeer(parsePubkey(node.pubkey ?? ''), `${host}:${port}`, within());
  await bob.lnd.openChannel(
    { remotePubkey: parsePubkey(node.pubkey ?? ''), localAmount: sat(400_000), pushAmount: sat(200_000) },
    within(),
  );
  await h.mine(6);
  await h.waitFor(
    async () => {
      const r = await nodeRest<{ channels?: { active: boolean }[] }>(
        node.endpoint,
        mac,
        'GET',
        '/v1/channels',
      );
      return (r.body.channels ?? []).filter((c) => c.active).length === 2;
    },
    { what: "the node's two channels active", timeoutMs: 90_000 },
  );
  assert.ok(await channelActive(node.endpoint, mac));

  // alice -> lsp -> node -> bob: the node forwards and earns its fee.
  const bobInvoice = await bob.lnd.addInvoice(
    { amount: msat(10_000_000n), memo: 'through the hosted node' },
    within(),
  );
  await payUntilSucceeded(h, alice, bobInvoice.paymentRequest, 'alice paying bob through the hosted node');

  // The node pays alice (succeeds), then tries an invoice larger than any route (fails).
  const aliceInvoice = await alice.lnd.addInvoice(
    { amount: msat(1_000_000n), memo: 'from the node' },
    within(),
  );
  // The node pays once it knows a route (the LSP's channel to alice reaches it by gossip): a
  // payment tried before that fails, and the story counts exactly one failure.
  await h.waitFor(
    async () => {
      const r = await nodeRest<{ routes?: unknown[] }>(
        node.endpoint,
        mac,
        'GET',
        `/v1/graph/routes/${alice.pubkey}/1000`,
      );
      return r.status === 200 && (r.body.routes ?? []).length > 0;
    },
    { what: 'a route from the node to alice', timeoutMs: 90_000, intervalMs: 500 },
  );
  const paid = await nodePays(aliceInvoice.paymentRequest);
  assert.equal(paid.status, 'SUCCEEDED', `the node paid alice: ${paid.detail}`);
  const tooBig = await bob.lnd.addInvoice({ amount: msat(2_000_000_000n), memo: 'no route' }, within());
  const refused = await nodePays(tooBig.paymentRequest);
  assert.equal(refused.status, 'FAILED', `a payment no route can carry fails: ${refused.detail}`);

  // What the node's own LND says.
  const channels = await nodeRest<{ channels: { capacity: string }[] }>(
    node.endpoint,
    mac,
    'GET',
    '/v1/channels',
  );
  // The node logs the forward once both its HTLCs are resolved, which can come after the payer
  // and the node's own payments are done (a rehearsal read none): asked until it is there.
  const lndForwards = await h.waitFor(
    async () => {
      const history = await nodeRest<{
        forwarding_events: {
          fee_msat: string;
          amt_in_msat: string;
          amt_out_msat: string;
          chan_id_in: string;
        }[];
      }>(node.endpoint, mac, 'POST', '/v1/switch', { start_time: '0', num_max_events: 1000 });
      assert.equal(history.status, 200);
      return history.body.forwarding_events.length > 0 && history.body.forwarding_events;
    },
    { what: "the node's LND to log the forward", timeoutMs: 60_000 },
  );
  assert.equal(lndForwards.length, 1, 'LND logged the one forward');
  const lndRevenue = lndForwards.reduce((sum, f) => sum + BigInt(f.fee_msat), 0n);
  assert.ok(lndRevenue > 0n);

  const m = await metricsWhen(
    'metrics with the forward and both payments',
    (x) => x.forwardCount === 1 && x.payments.succeeded + x.payments.failed === 2 && x.channelCount === 2,
  );
  assert.equal(m.channelCount, channels.body.channels.length);
  assert.equal(
    BigInt(m.totalCapacity),
    channels.body.channels.reduce((sum, c) => sum + BigInt(c.capacity), 0n),
  );
  assert.equal(m.routingRevenue, lndRevenue.toString(), 'routing revenue in msat, exactly');
  assert.equal(m.forwardingEvents.length, 1);
  const [event] = m.forwardingEvents;
  const [lndEvent] = lndForwards;
  assert.ok(event && lndEvent);
  assert.equal(event.feeMsat, lndEvent.fee_msat);
  assert.equal(event.amtInMsat, lndEvent.amt_in_msat);
  assert.equal(event.amtOutMsat, lndEvent.amt_out_msat);
  assert.equal(event.chanIdIn, lndEvent.chan_id_in);
  assert.equal(m.forwardVolume, lndEvent.amt_out_msat);
  assert.deepEqual(m.payments, { succeeded: 1, failed: 1 });
  assert.equal(m.successRate, 0.5, 'one succeeded of two that ended');
  // A hosted node's payments are all its tenant's: the one no route could carry (it never left
  // the node, as the LSP's checks do not) is the tenant's failure, not a probe.
  assert.deepEqual(m.paymentsByPurpose.tenant, { succeeded: 1, failed: 1, successRate: 0.5 });
  assert.deepEqual(m.paymentsByPurpose.probe, { succeeded: 0, failed: 0, successRate: null });
  assert.equal(
    m.forwardsPerDay.reduce((n, d) => n + d.count, 0),
    1,
  );
  assert.equal(m.uptime, 1, 'up all the time it was checked');
  assert.equal(
    (await tenant.nodes.metrics(node.nodeId, { window: '7d' })).routingRevenue,
    lndRevenue.toString(),
  );
});

test('uptime drops while the node is stopped and recovers once it runs again', async () => {
  await tenant.nodes.stop(node.nodeId);
  const down = await metricsWhen('uptime below 1 while stopped', (m) => (m.uptime ?? 1) < 1);
  // It keeps falling while the node stays down.
  const lower = await metricsWhen('uptime falling further', (m) => (m.uptime ?? 1) < (down.uptime ?? 1));
  await tenant.nodes.start(node.nodeId);
  await ctx.net.h.waitFor(async () => (await tenant.nodes.get(node.nodeId)).status === 'running', {
    what: 'the node running again',
    timeoutMs: 120_000,
  });
  const recovering = await metricsWhen('uptime rising again', (m) => (m.uptime ?? 0) > (lower.uptime ?? 0));
  assert.ok((recovering.uptime ?? 0) < 1, 'the time it was down still counts');
  // What it routed and paid is still there after the restart.
  assert.equal(recovering.forwardCount, 1);
  assert.deepEqual(recovering.payments, { succeeded: 1, failed: 1 });
});

test("the LSP's own node's metrics match its LND; another tenant's node is not found", async () => {
  const { lsp } = ctx.net;
  const admin = hosting.lsp.admin;
  const channels = await lsp.lnd.listChannels(within());
  const forwards = await lsp.lnd.forwardingHistory(
    { start: new Date(0), end: new Date(Date.now() + 60_000), limit: 1000 },
    within(),
  );
  const m = await metricsWhen(
    "the LSP node's metrics with its forwards",
    (x) => x.forwardCount === forwards.length && x.channelCount === channels.length,
    () => admin.admin.lspMetrics(),
  );
  assert.equal(m.nodeId, 'lsp');
  assert.equal(
    BigInt(m.totalCapacity),
    channels.reduce((sum, c) => sum + c.capacity, 0n),
  );
  assert.equal(m.routingRevenue, forwards.reduce((sum, f) => sum + f.fee, 0n).toString());
  assert.equal(m.uptime, 1);

  // The operator's figures: revenue by source equals what the ledger charged and what the
  // LSP's node earned forwarding; liquidity equals the LSP's channels.
  const revenueOf = (kinds: readonly string[], entries: readonly { kind: string; amount: number }[]) =>
    (
      -entries.filter((e) => kinds.includes(e.kind)).reduce((sum, e) => sum + BigInt(e.amount), 0n) * 1000n
    ).toString();
  const figures = await ctx.net.h.waitFor(
    async () => {
      const { entries } = await tenant.getLedger();
      const f = await admin.admin.figures('24h');
      const hostingCharged = revenueOf(
        ['hosting_monthly_fee', 'hosting_transaction_fee', 'hosting_fee_refund'],
        entries,
      );
      // The billing job charges the sent payment's fee on its own time: wait until both agree.
      return f.revenue.bySource.hosting === hostingCharged && hostingCharged !== '0'
        ? { f, entries }
        : undefined;
    },
    { what: 'the figures to show the hosting charges', timeoutMs: 60_000 },
  );
  const { bySource } = figures.f.revenue;
  assert.equal(
    bySource.channel_sales,
    revenueOf(['channel_fee'], figures.entries),
    'the channel sold with the node',
  );
  assert.equal(bySource.push_margin, '0', 'pushes are sold at cost');
  assert.equal(bySource.routing, m.routingRevenue, "what the LSP's node earned forwarding");
  assert.equal(
    figures.f.revenue.totalMsat,
    Object.values(bySource)
      .reduce((sum, v) => sum + BigInt(v), 0n)
      .toString(),
  );
  assert.equal(figures.f.channelsSold, 1);
  assert.equal(figures.f.liquidity.outbound, Number(channels.reduce((sum, c) => sum + c.localBalance, 0n)));
  assert.equal(figures.f.liquidity.inbound, Number(channels.reduce((sum, c) => sum + c.remoteBalance, 0n)));
  const listed = figures.f.hostedNodes.find((n) => n.nodeId === node.nodeId);
  assert.equal(listed?.channelCount, 2);
  assert.ok(listed?.uptime !== null && (listed?.uptime ?? 1) < 1, 'the hosted node was down for a while');

  const stranger = (await hosting.lsp.newTenant('stranger')).client;
  await assert.rejects(
    stranger.getNodeMetrics(node.nodeId),
    (err: { status?: number }) => err.status === 404,
  );
  await assert.rejects(
    tenant.getNodeMetrics(node.nodeId, { window: '2d' as never }),
    (err: { status?: number }) => err.status === 400,
  );
  await assert.rejects(
    tenant.getNodeMetrics(node.nodeId, { cursor: '9999999999999999999' }),
    (err: { status?: number }) => err.status === 400,
    'a cursor past any log position is refused, not a 500',
  );
  await assertCleanAudit(hosting.lsp);
});
