import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { errorMappings, isLspError } from '@blgv/core';
import {
  type Database,
  HostedNodesRepository,
  NodeMonitoringRepository,
  openMigratedMemoryDatabase,
} from '@blgv/store';
import Fastify, { type FastifyInstance } from 'fastify';
import { bearerMatches, installPrometheus } from './prometheus-routes.ts';

const TOKEN = 'a-token-of-at-least-16-chars';
/** This replica's funder: what its fundings met of the wallet's coins. */
const funder = { coinStats: () => ({ waits: 4, fromChange: 3, short: 1 }) };
const jobs = {
  status: () => [
    { name: 'node-monitor', running: true, restarts: 2, lastError: 'boom', refusedWrites: 0, leaseLosses: 0 },
    { name: 'webhooks', running: false, restarts: 0, lastError: undefined, refusedWrites: 3, leaseLosses: 1 },
  ],
};

let database: Database;

before(async () => {
  database = await openMigratedMemoryDatabase();
  const monitoring = new NodeMonitoringRepository(database.db);
  await monitoring.saveSnapshot({
    nodeId: 'lsp',
    takenAt: new Date('2026-01-01T00:00:00Z'),
    channelCount: 3,
    activeChannels: 2,
    pendingChannels: 1,
    totalCapacity: 3_000_000n,
    localBalance: 2_000_000n,
    remoteBalance: 900_000n,
    pendingBalance: 100_000n,
    onchainConfirmed: 5_000_000n,
    onchainUnconfirmed: 7n,
    peers: 4,
    blockHeight: 500,
    synced: true,
  });
  // A node that is not hosted (deleted, or never was): its series are not reported.
  await monitoring.saveSnapshot({
    nodeId: 'ngone',
    takenAt: new Date(),
    channelCount: 9,
    activeChannels: 9,
    pendingChannels: 0,
    totalCapacity: 1n,
    localBalance: 1n,
    remoteBalance: 0n,
    pendingBalance: 0n,
    onchainConfirmed: 0n,
    onchainUnconfirmed: 0n,
    peers: 0,
    blockHeight: 1,
    synced: false,
  });
  const forward = (idx: bigint, chanIn: string, fee: bigint) => ({
    idx,
    at: new Date(),
    chanIn,
    chanOut: '2',
    amountIn: 1_000_000n + fee,
    amountOut: 1_000_000n,
    fee,
  });
  await monitoring.addForwards('lsp', [
    forward(0n, '1', 1_000n),
    forward(1n, '1', 2_000n),
    forward(2n, '3', 5n),
  ]);
  await monitoring.savePayments('lsp', [
    { paymentIndex: 1n, status: 'succeeded', createdAt: new Date(), amount: 10n, fee: 0n, purpose: 'tenant' },
    { paymentIndex: 2n, status: 'failed', createdAt: new Date(), amount: 10n, fee: 0n, purpose: 'tenant' },
    { paymentIndex: 3n, status: 'in_flight', createdAt: new Date(), amount: 10n, fee: 0n, purpose: 'tenant' },
    // The LSP's own checks are counted apart (`purpose`), never as tenants' payments.
    { paymentIndex: 4n, status: 'failed', createdAt: new Date(), amount: 10n, fee: 0n, purpose: 'probe' },
    { paymentIndex: 5n, status: 'failed', createdAt: new Date(), amount: 10n, fee: 0n, purpose: 'probe' },
  ]);
  await new HostedNodesRepository(database.db).recordCheck('lsp', true, 30_000);
});

after(async () => {
  await database.close();
});

/** A listening app with `/metrics` (when `token`) and two routes of its own. */
async function app(token: string | undefined): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => {
    const status = isLspError(err) ? errorMappings[err.code].http : 500;
    return reply.code(status).send({ error: { code: isLspError(err) ? err.code : 'internal' } });
  });
  installPrometheus(app, { database, services: { prometheusToken: token, jobs, funder } });
  app.get('/things/:id', async () => ({ ok: true }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

async function metrics(url: string, authorization?: string) {
  const res = await fetch(`${url}/metrics`, { headers: authorization ? { authorization } : {} });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Polls `check` until it holds (5 s at most). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('without a configured token there is no /metrics', async () => {
  const { app: a, url } = await app(undefined);
  try {
    assert.equal((await metrics(url, `Bearer ${TOKEN}`)).status, 404);
  } finally {
    await a.close();
  }
});

test('/metrics refuses a missing, wrong or non-bearer token', async () => {
  const { app: a, url } = await app(TOKEN);
  try {
    const none = await metrics(url);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.deepEqual(JSON.parse(none.text), { error: { code: 'unauthorized' } });
    assert.equal((await metrics(url, 'Bearer wrong-token-of-some-length')).status, 401);
    assert.equal((await metrics(url, `Bearer ${TOKEN}x`)).status, 401);
    assert.equal((await metrics(url, `Basic ${TOKEN}`)).status, 401);
    assert.equal((await metrics(url, TOKEN)).status, 401);
  } finally {
    await a.close();
  }
});

test('/metrics reports the stored node series under lndmon names, the figures, jobs and requests', async () => {
  const { app: a, url } = await app(TOKEN);
  try {
    assert.equal((await fetch(`${url}/things/42`)).status, 200);
    assert.equal((await fetch(`${url}/things/43`)).status, 200);
    assert.equal((await fetch(`${url}/nowhere/7`)).status, 404);
    const res = await metrics(url, `bearer ${TOKEN}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const lines = new Set(res.text.split('\n'));
    for (const line of [
      'lnd_channels_active_total{node_id="lsp"} 2',
      'lnd_channels_inactive_total{node_id="lsp"} 1',
      'lnd_channels_pending_total{node_id="lsp",state="pending_open"} 1',
      'lnd_channels_open_balance_sat{node_id="lsp"} 2000000',
      'lnd_channels_pending_balance_sat{node_id="lsp"} 100000',
      'lnd_channels_bandwidth_incoming_sat{node_id="lsp"} 900000',
      'lnd_channels_bandwidth_outgoing_sat{node_id="lsp"} 2000000',
      'lnd_wallet_balance_confirmed_sat{node_id="lsp"} 5000000',
      'lnd_wallet_balance_unconfirmed_sat{node_id="lsp"} 7',
      'lnd_peer_count{node_id="lsp"} 4',
      'lnd_chain_block_height{node_id="lsp"} 500',
      'lnd_chain_synced{node_id="lsp"} 1',
      'lnd_htlcs_resolved_htlcs{node_id="lsp",type="forward",outcome="settled",chan_in="1",chan_out="2"} 2',
      'lnd_htlcs_resolved_htlcs{node_id="lsp",type="forward",outcome="settled",chan_in="3",chan_out="2"} 1',
      'lnd_total_payments{node_id="lsp",status="succeeded",purpose="tenant"} 1',
      'lnd_total_payments{node_id="lsp",status="failed",purpose="tenant"} 1',
      'lnd_total_payments{node_id="lsp",status="failed",purpose="probe"} 2',
      'lsp_node_channels{node_id="lsp"} 3',
      'lsp_node_capacity_sat{node_id="lsp"} 3000000',
      'lsp_node_forwards_total{node_id="lsp"} 3',
      'lsp_node_forwarded_msat_total{node_id="lsp"} 3000000',
      'lsp_node_routing_fees_msat_total{node_id="lsp"} 3005',
      'lsp_node_up{node_id="lsp"} 1',
      'lsp_node_uptime_ratio{node_id="lsp"} 1',
      'lsp_node_snapshot_timestamp_seconds{node_id="lsp"} 1767225600',
      'lsp_revenue_msat{source="routing"} 3005',
      'lsp_revenue_msat{source="hosting"} 0',
      'lsp_channels_sold 0',
      'lsp_jit_channels_opened 0',
      'lsp_jit_first_payment_latency_ms_count 0',
      'lsp_liquidity_sat{kind="outbound"} 2000000',
      'lsp_liquidity_sat{kind="inbound"} 900000',
      'lsp_liquidity_sat{kind="onchain"} 5000000',
      'lsp_liquidity_sat{kind="reserved"} 0',
      'lsp_job_held{job_name="node-monitor"} 1',
      'lsp_job_held{job_name="webhooks"} 0',
      'lsp_job_restarts_total{job_name="node-monitor"} 2',
      'lsp_job_refused_writes_total{job_name="webhooks"} 3',
      'lsp_job_lease_losses_total{job_name="webhooks"} 1',
      'lsp_funding_coins_total{what="waited"} 4',
      'lsp_funding_coins_total{what="unconfirmed_change"} 3',
      'lsp_funding_coins_total{what="short"} 1',
    ]) {
      assert.ok(lines.has(line), `${line} in\n${res.text}`);
    }
    assert.doesNotMatch(res.text, /ngone/, 'a node that is not hosted is not reported');
    assert.match(res.text, /^lsp_process_cpu_user_seconds_total \d/m, 'default metrics, prefixed');
    await until(async () => {
      const text = (await metrics(url, `Bearer ${TOKEN}`)).text;
      return (
        text.includes('lsp_http_requests_total{method="GET",route="/things/:id",status="200"} 2') &&
        text.includes('lsp_http_requests_total{method="GET",route="unmatched",status="404"} 1') &&
        text.includes('lsp_http_requests_total{method="GET",route="/metrics",status="200"}') &&
        text.includes(
          'lsp_http_request_duration_seconds_count{method="GET",route="/things/:id",status="200"} 2',
        )
      );
    }, 'the requests counted by route pattern');
  } finally {
    await a.close();
  }
});

test('bearerMatches compares the whole token', () => {
  assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
  assert.equal(bearerMatches(`BEARER  ${TOKEN}`, TOKEN), true);
  assert.equal(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN), false);
  assert.equal(bearerMatches(undefined, TOKEN), false);
  assert.equal(bearerMatches('Bearer ', TOKEN), false);
});
