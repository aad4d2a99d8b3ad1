/**
 * What the routing service does for tenants' payments, against LND's defaults, on one generated
 * graph with skewed liquidity (`BENCH_GRAPH_NODES` nodes besides the LSP, seed `BENCH_SEED`).
 *
 * The graph is started twice on one network, each copy with its own LSP node (so neither copy's
 * mission control learns from the other's payments). The same `BENCH_PAYMENTS` random payments
 * (destination and amount drawn from the seed, `BENCH_MIN_SAT` 1,000 to `BENCH_MAX_SAT` 200,000 sat,
 * log-uniform) arrive as a tenant's traffic does: payment i starts at i × `BENCH_ARRIVAL_MS`
 * (125 ms: 8 a second) on both sides at once, whatever is still in flight
 * (`BENCH_ARRIVAL_MS=0`: in batches of `BENCH_CONCURRENCY` instead, each batch waiting for the one
 * before on both sides, which hides what a payment held in flight costs the ones after it):
 * - **service**: a tenant pays through the LSP server (`POST /v1/payments`, the SDK's
 *   `sendPayment`) on copy A: the routing service's way (the LSP's defaults: one part;
 *   `BENCH_MAX_PARTS` above 1 lets it split, one part first and split only when no path has the
 *   capacity for the whole amount; `BENCH_SINGLE_PART_FIRST=0` lets LND split from the start);
 * - **baseline**: copy B's LSP node pays the same invoice itself with what an application calling
 *   LND's `SendPaymentV2` gets by default: LND's own path finding, split into up to 16 parts
 *   (`max_parts` unset: lnd's `DefaultMaxParts`), with the same fee limit and payment timeout
 *   the service used. `BENCH_BASELINE_MAX_PARTS=1` holds LND to one part instead (not its
 *   default: what the service does unless `payments.maxParts` is raised).
 * `BENCH_DEBUG=1` prints each baseline payment's attempts and each failed service payment's, both
 * sides' routes where their fees differ, and at the end the inbound (per channel) of every node
 * neither side could pay.
 * Prints, for each: success rate, median network fee (over the payments both paid, and over each
 * one's own), p95 time to an outcome. Then times `GRAPH_QUOTES` graph-mode quotes
 * (`POST /v1/routing/quote` with a destination and amount), against LND's `EstimateRouteFee`
 * called directly in the same run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Msat, msat, ppmOfCeil, sat } from '@blgv/core';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import { Harness, type LndNode } from '@blgv/regtest';
import { mulberry32, planSkewedGraph, startPlannedGraphs, startTestLsp, topUp, within } from '@blgv/testkit';
import { result } from './support/database.ts';
import { median, percentile } from './support/stats.ts';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 200);
const GRAPH_NODES = Number(process.env.BENCH_GRAPH_NODES ?? 8);
const SEED = Number(process.env.BENCH_SEED ?? 20);
const GRAPH_QUOTES = Number(process.env.BENCH_QUOTES ?? 100);
/**
 * With `BENCH_ARRIVAL_MS=0`: payments sent at once on each side (the same batch on both). A
 * multi-part payment that fails can take two minutes: its destination holds the parts that
 * arrived until its MPP timeout.
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
/**
 * Open-loop arrivals: payment i starts at i times this on both sides, whatever is still in
 * flight (as a tenant's traffic arrives); 0 sends batches of `CONCURRENCY` instead.
 */
const ARRIVAL_MS = Number(process.env.BENCH_ARRIVAL_MS ?? 125);
/** The payments' amounts: log-uniform between these (sat). */
const MIN_SAT = Number(process.env.BENCH_MIN_SAT ?? 1_000);
const MAX_SAT = Number(process.env.BENCH_MAX_SAT ?? 200_000);
/** The schedule's routing fee: what the tenant is charged, and the fee limit of both sides. */
const ROUTING_FEE = { baseFeeMsat: 10_000, feeRatePpm: 2_500 };
const TIMEOUT_SECONDS = 60;
/**
 * The baseline's `max_parts`: unset is LND's default (16). A split payment some of whose parts
 * arrive is held by its destination until the destination's MPP timeout (120 s on LND), however
 * short the payment's own timeout: the baseline waits that long for an outcome.
 */
const BASELINE_MAX_PARTS = process.env.BENCH_BASELINE_MAX_PARTS
  ? Number(process.env.BENCH_BASELINE_MAX_PARTS)
  : undefined;
const BASELINE_DEADLINE_MS = (TIMEOUT_SECONDS + 180) * 1000;

/** One payment's outcome on one side. */
interface Outcome {
  readonly ok: boolean;
  /** Why it failed. */
  readonly failure?: string;
  readonly fee?: Msat;
  readonly parts?: number;
  readonly ms: number;
  /** The successful route's hops, by node (`BENCH_DEBUG`). */
  readonly path?: string;
}

/** Waits until `performance.now()` reaches `at`: the arrivals' schedule, not a synchronisation. */
async function sleepUntil(at: number): Promise<void> {
  const left = at - performance.now();
  if (left > 0) await sleep(left);
}

/** The payments to send: each a destination (plan index) and an amount, from the seed. */
function drawPayments(count: number, nodes: number): { to: number; amountSat: number }[] {
  const random = mulberry32(SEED * 7919 + 1);
  return Array.from({ length: count }, () => ({
    to: Math.floor(random() * nodes),
    amountSat: Math.round(Math.exp(Math.log(MIN_SAT) + random() * (Math.log(MAX_SAT) - Math.log(MIN_SAT)))),
  }));
}

/** Node names by pubkey, the plan's (the same in both copies), for `BENCH_DEBUG`'s routes. */
const names = new Map<string, string>();
const nodeName = (pubkey: string): string => names.get(pubkey) ?? pubkey.slice(0, 8);

async function invoice(node: LndNode, amountSat: number) {
  return node.lnd.addInvoice({ amount: msat(BigInt(amountSat) * 1000n), memo: 'bench' }, within());
}

async function payWithService(client: LSPClient, to: LndNode, amountSat: number) {
  const { paymentRequest } = await invoice(to, amountSat);
  const t0 = performance.now();
  try {
    const paid = await client.sendPayment({ invoice: paymentRequest });
    const ms = performance.now() - t0;
    if (process.env.BENCH_DEBUG && paid.status !== 'succeeded')
      process.stdout.write(
        `# service ${paid.status} ${paid.paymentHash} ${amountSat} sat to ${to.name}: ${paid.failure}; attempts ${JSON.stringify(paid.failedAttempts.attempts.map((a) => [a.code, a.failingHop?.index, a.hops.map((h) => h.chanId)]))}\n`,
      );
    const outcome: Outcome =
      paid.status === 'succeeded'
        ? {
            ok: true,
            fee: msat(BigInt(paid.feePaidMsat ?? 0)),
            parts: paid.parts ?? 1,
            ms,
            path: paid.routes.map((r) => r.hops.map((h) => nodeName(h.pubkey)).join('>')).join(' + '),
          }
        : { ok: false, failure: paid.failure ?? 'unknown', ms };
    return { outcome, feeLimit: msat(BigInt(paid.feeLimitMsat)) };
  } catch (err) {
    if (err instanceof LspApiError && err.status === 402) throw new Error('the tenant ran out of balance');
    throw err;
  }
}

async function payWithLndDefaults(lsp: LndNode, to: LndNode, amountSat: number, feeLimit: Msat) {
  const { paymentRequest } = await invoice(to, amountSat);
  const t0 = performance.now();
  const paid = await lsp.lnd.sendPayment(
    {
      paymentRequest,
      feeLimit,
      timeoutSeconds: TIMEOUT_SECONDS,
      ...(BASELINE_MAX_PARTS !== undefined ? { maxParts: BASELINE_MAX_PARTS } : {}),
    },
    within(BASELINE_DEADLINE_MS),
  );
  const ms = performance.now() - t0;
  if (process.env.BENCH_DEBUG)
    process.stdout.write(
      `# lnd ${paid.status} ${amountSat} sat to ${to.name} in ${ms.toFixed(0)} ms: ${paid.status === 'failed' ? paid.reason : ''} ${JSON.stringify(paid.attempts?.map((a) => [a.status, a.failure?.code, a.hops.map((h) => String(h.scid))]))}\n`,
    );
  const outcome: Outcome =
    paid.status === 'succeeded'
      ? {
          ok: true,
          fee: paid.fee,
          parts: paid.htlcCount,
          ms,
          path: (paid.attempts ?? [])
            .filter((a) => a.status === 'succeeded')
            .map((a) => a.hops.map((h) => nodeName(h.pubkey)).join('>'))
            .join(' + '),
        }
      : { ok: false, failure: paid.reason, ms };
  return outcome;
}

function report(side: string, outcomes: readonly Outcome[], paidByBoth: readonly number[]) {
  const ok = outcomes.filter((o) => o.ok);
  const feeSat = (o: Outcome | undefined) => Number(o?.fee ?? 0n) / 1000;
  result(`routing_${side}_success_rate`, (100 * ok.length) / outcomes.length, '%', 1);
  result(
    `routing_${side}_median_fee_both_paid_sat`,
    median(paidByBoth.map((i) => feeSat(outcomes[i]))),
    'sat',
    3,
  );
  result(`routing_${side}_median_fee_sat`, median(ok.map(feeSat)), 'sat', 3);
  result(
    `routing_${side}_p95_time_ms`,
    percentile(
      outcomes.map((o) => o.ms),
      95,
    ),
    'ms',
    0,
  );
  result(`routing_${side}_multi_part_payments`, ok.filter((o) => (o.parts ?? 1) > 1).length, 'payments', 0);
  const failures = new Map<string, number>();
  for (const o of outcomes)
    if (!o.ok) failures.set(o.failure ?? '?', (failures.get(o.failure ?? '?') ?? 0) + 1);
  process.stdout.write(`# ${side} failures: ${JSON.stringify(Object.fromEntries(failures))}\n`);
}

const h = await Harness.start();
try {
  const [alice, lspA, lspB] = await Promise.all([h.newNode('alice'), h.newNode('lsp'), h.newNode('lsp-b')]);
  const plan = planSkewedGraph({ seed: SEED, nodes: GRAPH_NODES });
  const payments = drawPayments(PAYMENTS, plan.nodes.length);
  const total = payments.reduce((s, p) => s + p.amountSat, 0);
  // The tenant's balance covers every payment and its routing fee, in top-ups alice's channels
  // to the LSP carry (16 M sat each, under LND's largest channel without wumbo).
  const needed = Math.ceil(total * (1 + ROUTING_FEE.feeRatePpm / 1e6) + payments.length * 10 + 10_000);
  const topupChannels = Array.from({ length: Math.ceil(needed / 15_000_000) }, () => sat(16_000_000));
  process.stdout.write(
    `# graph: seed ${SEED}, ${plan.nodes.length} nodes besides the LSP, ${plan.channels.length} channels; starting two copies\n`,
  );
  const started = Date.now();
  const [a, b] = await startPlannedGraphs(h, plan, [
    // Copy A also gets alice's channel to its LSP, for the tenant's top-ups.
    { lsp: lspA, suffix: 'a', extra: topupChannels.map((amount) => ({ from: alice, to: lspA, amount })) },
    { lsp: lspB, suffix: 'b' },
  ]);
  if (!a || !b) throw new Error('two copies');
  for (const copy of [a, b]) for (const [i, n] of copy.nodes.entries()) names.set(n.pubkey, `g${i}`);
  names.set(lspA.pubkey, 'lsp');
  names.set(lspB.pubkey, 'lsp');
  process.stdout.write(`# graphs ready in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);

  const server = await startTestLsp(
    { h, alice, lsp: lspA, bob: alice },
    {
      file: {
        fees: { routing: ROUTING_FEE },
        payments: {
          timeoutSeconds: TIMEOUT_SECONDS,
          singlePartFirst: process.env.BENCH_SINGLE_PART_FIRST !== '0',
          // The LSP's default (one part) unless asked.
          ...(process.env.BENCH_MAX_PARTS ? { maxParts: Number(process.env.BENCH_MAX_PARTS) } : {}),
        },
        routing: { quotes: { cacheSeconds: 10, maxPerWindow: GRAPH_QUOTES * 2, windowSeconds: 600 } },
      },
    },
  );
  try {
    const { client } = await server.newTenant('bench');
    for (let left = needed; left > 0; left -= 4_000_000)
      await topUp(h, alice, client, Math.min(left, 4_000_000));

    const service: Outcome[] = [];
    const baseline: Outcome[] = [];
    let finished = 0;
    /** Sends payment `i` on both sides at once; the service's fee limit is the baseline's too. */
    const payBoth = async (p: (typeof payments)[number], i: number) => {
      const [toA, toB] = [a.nodes[p.to], b.nodes[p.to]];
      if (!toA || !toB) throw new Error(`no node ${p.to}`);
      // The baseline takes the service's fee limit: the same schedule fee, computed the same way.
      const amount = msat(BigInt(p.amountSat) * 1000n);
      const limit = msat(BigInt(ROUTING_FEE.baseFeeMsat) + ppmOfCeil(amount, BigInt(ROUTING_FEE.feeRatePpm)));
      const [sent, base] = await Promise.all([
        payWithService(client, toA, p.amountSat),
        payWithLndDefaults(lspB, toB, p.amountSat, limit),
      ]);
      if (sent.feeLimit !== limit)
        throw new Error(`the service's fee limit ${sent.feeLimit} is not ${limit}`);
      const paid = sent.outcome;
      service[i] = paid;
      baseline[i] = base;
      if (process.env.BENCH_DEBUG && paid.ok && base.ok && paid.fee !== base.fee)
        process.stdout.write(
          `# fees differ, ${p.amountSat} sat: service ${paid.fee} msat ${paid.path}, LND ${base.fee} msat ${base.path}\n`,
        );
      const done = ++finished;
      if (done % 20 === 0 || done === payments.length)
        process.stdout.write(
          `# ${done}/${payments.length} payments: service ${service.filter((o) => o?.ok).length} paid, LND defaults ${baseline.filter((o) => o?.ok).length} paid\n`,
        );
    };
    if (ARRIVAL_MS > 0) {
      // Open loop: payment i starts at i × ARRIVAL_MS on both sides, whatever is still in flight.
      const t0 = performance.now();
      await Promise.all(
        payments.map(async (p, i) => {
          await sleepUntil(t0 + i * ARRIVAL_MS);
          await payBoth(p, i);
        }),
      );
    } else {
      for (let start = 0; start < payments.length; start += CONCURRENCY)
        await Promise.all(payments.slice(start, start + CONCURRENCY).map((p, j) => payBoth(p, start + j)));
    }
    if (process.env.BENCH_DEBUG) {
      // Where the payments neither side paid were going: each such node's inbound per channel at
      // the end (copy B), to tell a split that could have paid them from none.
      const unpaid = new Set(payments.filter((_, i) => !service[i]?.ok && !baseline[i]?.ok).map((p) => p.to));
      for (const to of unpaid) {
        const node = b.nodes[to];
        if (!node) continue;
        const inbound = (await node.lnd.listChannels(within())).map(
          (c) => `${nodeName(c.remotePubkey)} ${c.remoteBalance}`,
        );
        const failedAmounts = payments
          .filter((p, i) => p.to === to && !baseline[i]?.ok)
          .map((p) => p.amountSat);
        process.stdout.write(
          `# g${to}: inbound at the end ${inbound.join(', ')} sat; unpaid ${failedAmounts.join(', ')} sat\n`,
        );
      }
    }
    const paidByBoth = payments.map((_, i) => i).filter((i) => service[i]?.ok && baseline[i]?.ok);
    report('service', service, paidByBoth);
    report('lnd_defaults', baseline, paidByBoth);
    result('routing_payments_paid_by_both', paidByBoth.length, 'payments', 0);
    // Which side paid what the other did not: a higher rate that is not a subset is a trade.
    const onlyBy = (side: readonly Outcome[], other: readonly Outcome[]) =>
      payments.filter((_, i) => side[i]?.ok && !other[i]?.ok).length;
    result('routing_payments_paid_by_service_only', onlyBy(service, baseline), 'payments', 0);
    result('routing_payments_paid_by_lnd_defaults_only', onlyBy(baseline, service), 'payments', 0);

    // Graph-mode quotes: each for another amount, so none comes from the cache.
    const quoteMs: number[] = [];
    const estimateMs: number[] = [];
    const random = mulberry32(SEED + 17);
    for (let i = 0; i < GRAPH_QUOTES; i++) {
      const to = a.nodes[Math.floor(random() * a.nodes.length)];
      if (!to) throw new Error('no node');
      const amountSat = 1_000 + i;
      const t0 = performance.now();
      const quote = await client.quotePayment({ destination: to.pubkey, amountSat });
      quoteMs.push(performance.now() - t0);
      if (quote.cached) throw new Error('a quote came from the cache');
      const t1 = performance.now();
      await lspA.lnd.estimateRouteFee({ destination: to.pubkey, amount: sat(amountSat) }, within());
      estimateMs.push(performance.now() - t1);
    }
    result('routing_quote_graph_p50_ms', median(quoteMs), 'ms');
    result('routing_quote_graph_p95_ms', percentile(quoteMs, 95), 'ms');
    result('lnd_estimate_route_fee_p50_ms', median(estimateMs), 'ms');
  } finally {
    await server.stop();
  }
} finally {
  await h.stop();
}
