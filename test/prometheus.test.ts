/**
 * Prometheus: a real Prometheus (the pinned server built from its Go module by `npm test`'s
 * pretest, started here) scrapes the LSP's `/metrics` with the configured bearer token. After
 * alice pays a hosted node through the LSP, its query API answers the LSP node's and the hosted
 * node's series under lndmon's names with a `node_id` label, and the LSP's routing revenue,
 * exactly as the nodes' LNDs say; the HTTP server's requests and the jobs are there too.
 * `/metrics` without the token, or with a wrong one, is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { HostedNodeResponse } from '@blgv/protocol';
import {
  freePort,
  logTail,
  type ManagedProcess,
  prometheusBinary,
  startProcess,
  WaitAbandoned,
} from '@blgv/regtest';
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

const TOKEN = 'prometheus-test-token-0123456789';

const ctx = { net: undefined as unknown as Network };
let hosting: HostingLsp;
let tenant: LSPClient;
let node: HostedNodeResponse;
let prometheusPath: string;
let prometheus: { url: string; process: ManagedProcess; dir: string } | undefined;

before(async () => {
  // Built by `npm run build:prometheus` (part of `npm test`'s pretest); throws with that fix.
  prometheusPath = prometheusBinary();
  ctx.net = await startNetwork();
  const { h, alice, lsp } = ctx.net;
  hosting = await startHostingLsp(ctx.net, {}, { monitoring: { intervalMs: 500, prometheusToken: TOKEN } });
  tenant = (await hosting.lsp.newTenant('merchant')).client;
  await h.openChannel(alice, lsp, sat(3_000_000));
  await topUp(h, alice, tenant, 1_000_000);
});

after(async () => {
  await prometheus?.process.stop(5_000);
  if (prometheus && process.env.BLGV_KEEP_REGTEST !== '1')
    rmSync(prometheus.dir, { recursive: true, force: true });
  await hosting?.stop();
  await ctx.net?.h.stop();
});

/** Starts Prometheus scraping `target` (host:port) every second with the bearer token. */
async function startPrometheus(
  target: string,
): Promise<{ url: string; process: ManagedProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'blgv-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: blgv-lsp',
      '    metrics_path: /metrics',
      '    authorization:',
      '      type: Bearer',
      `      credentials: ${TOKEN}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const log = join(dir, 'prometheus.log');
  const child = startProcess(
    'prometheus',
    prometheusPath,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    log,
  );
  const url = `http://127.0.0.1:${port}`;
  prometheus = { url, process: child, dir };
  await ctx.net.h.waitFor(
    async () => {
      if (!child.running) throw new WaitAbandoned(`prometheus exited:\n${logTail(log)}`);
      return (await fetch(`${url}/-/ready`, { signal: within(2_000) })).ok;
    },
    { what: 'Prometheus to be ready', timeoutMs: 30_000, intervalMs: 200 },
  );
  return prometheus;
}

/** The value of a PromQL query's single sample (undefined while it has none). */
async function query(url: string, promql: string): Promise<string | undefined> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: within(5_000),
  });
  const body = (await res.json()) as {
    status: string;
    data?: { result: { value: [number, string] }[] };
    error?: string;
  };
  assert.equal(body.status, 'success', `${promql}: ${body.error ?? ''}`);
  const result = body.data?.result ?? [];
  assert.ok(result.length <= 1, `${promql} has one sample at most`);
  return result[0]?.value[1];
}

test('a hosted node is paid through the LSP: Prometheus reads the node and LSP series exactly as LND says', async () => {
  const { h, alice, lsp } = ctx.net;
  node = await tenant.nodes.create({
    alias: 'scraped',
    channels: [{ capacity: 500_000 }],
    autopilot: { enabled: false },
  });
  const mac = node.macaroon ?? '';
  await h.mine(6);
  await h.waitFor(() => channelActive(node.endpoint, mac), {
    what: "the hosted node's inbound channel active",
    timeoutMs: 90_000,
  });
  const invoice = await nodeRest<{ payment_request: string }>(node.endpoint, mac, 'POST', '/v1/invoices', {
    value: '12345',
    memo: 'scraped sale',
  });
  assert.equal(invoice.status, 200);
  await payUntilSucceeded(h, alice, invoice.body.payment_request, 'alice paying the hosted node');

  // What the LNDs say once the payment has settled on both of the LSP's channels: alice has the
  // preimage a moment before the LSP's LND writes the forward to its log, so it is waited for.
  const forwardingLog = () =>
    lsp.lnd.forwardingHistory(
      { start: new Date(0), end: new Date(Date.now() + 86_400_000), offset: 0, limit: 1_000 },
      within(),
    );
  await h.waitFor(async () => (await forwardingLog()).length > 0, {
    what: "the forward in the LSP's forwarding log",
    timeoutMs: 30_000,
  });
  const forwards = await forwardingLog();
  assert.equal(forwards.length, 1, 'the LSP forwarded the payment once');
  const routingFees = forwards.reduce((sum, f) => sum + f.fee, 0n);
  assert.ok(routingFees > 0n, 'and earned a fee');
  const nodeChannels = await nodeRest<{ channels: { capacity: string }[] }>(
    node.endpoint,
    mac,
    'GET',
    '/v1/channels',
  );
  assert.equal(nodeChannels.body.channels.length, 1);
  assert.equal(nodeChannels.body.channels[0]?.capacity, '500000');
  const id = node.nodeId;
  /** Each query and the value LND gives now (balances move until the HTLCs are settled). */
  const expectedNow = async (): Promise<[string, string][]> => {
    const channels = await lsp.lnd.listChannels(within());
    const sum = (values: bigint[]) => String(values.reduce((a, b) => a + b, 0n));
    return [
      ['up{job="blgv-lsp"}', '1'],
      ['lnd_channels_active_total{node_id="lsp"}', String(channels.filter((c) => c.active).length)],
      ['lnd_channels_inactive_total{node_id="lsp"}', String(channels.filter((c) => !c.active).length)],
      ['lnd_channels_open_balance_sat{node_id="lsp"}', sum(channels.map((c) => c.localBalance))],
      ['lnd_channels_bandwidth_incoming_sat{node_id="lsp"}', sum(channels.map((c) => c.remoteBalance))],
      ['lsp_node_capacity_sat{node_id="lsp"}', sum(channels.map((c) => c.capacity))],
      ['lnd_chain_block_height{node_id="lsp"}', String((await lsp.lnd.getInfo(within())).blockHeight)],
      [
        'lnd_wallet_balance_confirmed_sat{node_id="lsp"}',
        String((await lsp.lnd.walletBalance(within())).confirmed),
      ],
      ['sum(lnd_htlcs_resolved_htlcs{node_id="lsp",type="forward",outcome="settled"})', '1'],
      ['lsp_node_routing_fees_msat_total{node_id="lsp"}', routingFees.toString()],
      ['lsp_revenue_msat{source="routing"}', routingFees.toString()],
      [`lnd_channels_active_total{node_id="${id}"}`, '1'],
      [`lsp_node_channels{node_id="${id}"}`, '1'],
      [`lsp_node_capacity_sat{node_id="${id}"}`, '500000'],
      [`lnd_channels_open_balance_sat{node_id="${id}"}`, '12345'],
      [`lsp_node_up{node_id="${id}"}`, '1'],
      ['lsp_hosted_nodes{state="running"}', '1'],
      // This network's LSP runs no watchtower: the node is counted unguarded.
      ['lsp_hosted_nodes_unwatched', '1'],
      ['lsp_job_held{job_name="node-monitor"}', '1'],
      ['count(lsp_http_requests_total{route="/metrics",status="200"}) > bool 0', '1'],
      ['count(lsp_http_requests_total{route="/v1/nodes",method="POST"}) > bool 0', '1'],
    ];
  };

  const { url } = await startPrometheus(new URL(hosting.lsp.url).host);
  let expected: [string, string][] = [];
  let seen: Record<string, string | undefined> = {};
  await h
    .waitFor(
      async () => {
        expected = await expectedNow();
        seen = {};
        for (const [promql] of expected) seen[promql] = await query(url, promql);
        return expected.every(([promql, value]) => seen[promql] === value);
      },
      { what: 'Prometheus to answer what LND says', timeoutMs: 60_000, intervalMs: 500 },
    )
    .catch((err: Error) => {
      throw new Error(`${err.message}\nexpected ${JSON.stringify(expected)}\nseen ${JSON.stringify(seen)}`);
    });
});

test('/metrics without the token, or with a wrong one, is refused', async () => {
  const url = `${hosting.lsp.url}/metrics`;
  const none = await fetch(url);
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'unauthorized');
  assert.equal((await fetch(url, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status, 401);
  assert.equal((await fetch(url, { headers: { authorization: `Basic ${TOKEN}` } })).status, 401);
  const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^lnd_channels_active_total\{node_id="lsp"\} \d+$/m);
});

test('the audit is clean', async () => {
  await assertCleanAudit(hosting.lsp);
});
