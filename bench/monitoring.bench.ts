/**
 * Monitoring with many hosted nodes: metrics answered from what the node monitor stored, not by
 * calling every node per request.
 *
 * `BENCH_NODES` hosted nodes (default 50) are created one after another on the regtest network,
 * with the server on Postgres (production's database), and the node monitor (every
 * `BENCH_MONITOR_MS`, default 15 s as in production) reads each of them. Then, one request at a time,
 * `BENCH_REQUESTS` times each (default 200, after 20 unmeasured): `GET /v1/admin/lsp/metrics`,
 * `GET /v1/admin/lsp/figures` (which lists every hosted node with its uptime),
 * `GET /v1/nodes/:id/metrics` and a Prometheus scrape of `GET /metrics` (every node's series),
 * each signed like a customer's request (the scrape with its bearer token).
 *
 * Baselines in the same run: a signed `GET /v1/account` (a one-row read behind the same auth),
 * and what answering without the monitor would cost: asking every node for its channels
 * through its endpoint, all at once, per request.
 *
 * Prints medians and p95 (nearest rank) in ms and each figure's ratio to the account read.
 *
 * Before it, the history part (`support/monitoring-history.ts`): a scrape and the figures of an
 * LSP with 1,000 stored forwards and ledger entries against one with 1,000,000, and their ratio.
 */
import { sat } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { Harness, waitFor } from '@blgv/regtest';
import { nodeRest, startHostingLsp, topUp } from '@blgv/testkit';
import { result } from './support/database.ts';
import { benchHistory } from './support/monitoring-history.ts';
import { percentile } from './support/stats.ts';

const NODES = Number(process.env.BENCH_NODES ?? 50);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const WARMUP = 20;
/** The monitor's interval (production's default). */
const MONITOR_MS = Number(process.env.BENCH_MONITOR_MS ?? 15_000);
const TOKEN = 'bench-prometheus-token-0123456789';

/** Times `REQUESTS` calls of `call` one after another (after a warm-up); each must answer 200. */
async function time(what: string, call: () => Promise<Response>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const t0 = performance.now();
    const res = await call();
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status}`);
    if (i >= WARMUP) samples.push(ms);
  }
  return samples;
}

/** The hosted nodes part: every request against an LSP monitoring `NODES` hosted nodes. */
async function benchHostedNodes(): Promise<void> {
  const h = await Harness.start();
  try {
    const [alice, lsp] = await Promise.all([h.newNode('alice'), h.newNode('lsp')]);
    await h.fund([alice, sat(10_000_000)]);
    const hosting = await startHostingLsp(
      { h, alice, lsp, bob: alice },
      {
        maxNodes: NODES,
        maxNodesPerTenant: NODES,
        checkIntervalMs: 5_000,
        billingIntervalMs: 60_000,
        ...(NODES > 40 ? { portFrom: 12_000, portTo: 12_000 + 3 * NODES + 29 } : {}),
      },
      { monitoring: { intervalMs: MONITOR_MS, prometheusToken: TOKEN } },
      // Production's database: the embedded PGlite is one connection for every job and request.
      { postgres: true },
    );
    try {
      const { client: tenant, keyId, secret } = await hosting.lsp.newTenant('bench');
      const quote = await tenant.nodes.quote({ alias: 'bench' });
      const needed = sat(BigInt(quote.total) * BigInt(NODES));
      await h.openChannel(alice, lsp, sat((needed * 11n) / 10n + 100_000n));
      await topUp(h, alice, tenant, Number(needed));

      const nodes: { nodeId: string; endpoint: string; macaroon: string }[] = [];
      for (let i = 0; i < NODES; i++) {
        const t0 = performance.now();
        const n = await tenant.nodes.create({ alias: `bench-${i}` });
        nodes.push({ nodeId: n.nodeId, endpoint: n.endpoint, macaroon: n.macaroon ?? '' });
        process.stdout.write(
          `# hosted node ${i + 1}/${NODES} ${n.status} in ${(performance.now() - t0).toFixed(0)} ms\n`,
        );
      }
      await waitFor(
        async () =>
          (
            await Promise.all(nodes.map(async (n) => (await tenant.getNodeMetrics(n.nodeId)).measuredAt))
          ).every((at) => at !== null),
        { what: 'the monitor to have read every node', timeoutMs: 300_000, intervalMs: 2_000 },
      );
      process.stdout.write(`# the monitor has read all ${NODES} nodes\n`);

      const admin = await hosting.lsp.newTenant('operator-bench');
      const adminKey = await hosting.lsp.admin.admin.createKey(admin.tenantId, 'admin', 'bench');
      const url = hosting.lsp.url;
      const signed = (key: { keyId: string; secret: string }, path: string) => () =>
        fetch(`${url}${path}`, {
          headers: signRequest({ keyId: key.keyId, secret: key.secret, method: 'GET', path }),
        });
      const asAdmin = { keyId: adminKey.keyId, secret: adminKey.secret };
      const [first] = nodes;
      if (!first) throw new Error('no node was created');

      const runs: [string, () => Promise<Response>][] = [
        ['account', signed({ keyId, secret }, '/v1/account')],
        ['lsp_metrics', signed(asAdmin, '/v1/admin/lsp/metrics')],
        ['figures', signed(asAdmin, '/v1/admin/lsp/figures')],
        ['node_metrics', signed({ keyId, secret }, `/v1/nodes/${first.nodeId}/metrics`)],
        [
          'prometheus_scrape',
          () => fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }),
        ],
      ];
      const medians = new Map<string, number>();
      for (const [name, call] of runs) {
        const samples = await time(name, call);
        medians.set(name, percentile(samples, 50));
        result(`${name}_median_ms`, percentile(samples, 50), 'ms', 2);
        result(`${name}_p95_ms`, percentile(samples, 95), 'ms', 2);
      }
      // Without the monitor: each request would ask every node (here only for its channels).
      const direct: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const answers = await Promise.all(
          nodes.map((n) => nodeRest(n.endpoint, n.macaroon, 'GET', '/v1/channels')),
        );
        direct.push(performance.now() - t0);
        if (answers.some((a) => a.status !== 200)) throw new Error('a node did not answer its channels');
      }
      result('call_every_node_median_ms', percentile(direct, 50), 'ms', 2);
      const base = medians.get('account') ?? Number.NaN;
      for (const name of ['lsp_metrics', 'figures', 'node_metrics', 'prometheus_scrape']) {
        result(`${name}_vs_account_ratio`, (medians.get(name) ?? Number.NaN) / base, 'x', 2);
      }
      result('call_every_node_vs_account_ratio', percentile(direct, 50) / base, 'x', 2);
      result('hosted_nodes_monitored', nodes.length, 'nodes', 0);
    } finally {
      await hosting.stop();
    }
  } finally {
    await h.stop();
  }
}

// The history part first (Postgres only, a few minutes); `BENCH_HISTORY=0` skips it,
// `BENCH_NODES=0` the hosted nodes part.
if (Number(process.env.BENCH_HISTORY ?? 1) > 0) await benchHistory();
if (NODES > 0) await benchHostedNodes();
