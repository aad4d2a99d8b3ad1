/**
 * A regtest payment graph for routing stories and benchmarks: five nodes besides the LSP
 * (carol, dave, erin, frank, gina), each with its own forwarding fees, joined by channels whose
 * balances are pushed to one side, so the cheapest route on the graph is not always one that
 * carries a payment. Fast: every channel is funded by one block, opened at once, and announced
 * by one more round of mining.
 *
 * ```
 *          ┌── carol ──(1 M)── erin ──(1 M)── frank ──(1 M)── gina
 *   lsp ───┤    │ (1 M, half)   │ (500 k)       │ (1 M, 95 % frank's)
 *          └── dave ────────────┴───────────────┘
 *   (lsp→carol 2 M; lsp→dave 1 M, 90 % dave's)
 * ```
 */
import { type Channel, msat, type Sat, sat } from '@blgv/core';
import type { Harness, LndNode } from '@blgv/regtest';
import type { Network } from './network.ts';

/** One channel to open: `from` funds `amount` and pushes `push` to `to`. */
export interface ChannelSpec {
  readonly from: LndNode;
  readonly to: LndNode;
  readonly amount: Sat;
  readonly push?: Sat;
  /** Unannounced: `to` stays out of the graph (reached through its invoices' route hints). */
  readonly private?: boolean;
}

/** The graph's nodes and channels. */
export interface RoutingGraph {
  readonly carol: LndNode;
  readonly dave: LndNode;
  readonly erin: LndNode;
  readonly frank: LndNode;
  /** The far end: four hops from the LSP. */
  readonly gina: LndNode;
  /** Every channel opened (the graph's, then `extra`), as its funder sees it. */
  readonly channels: readonly Channel[];
}

/** Options of {@link startRoutingGraph}. */
export interface RoutingGraphOptions {
  /** More channels opened with the graph's, in the same blocks (e.g. alice → lsp for top-ups). */
  readonly extra?: (graph: Omit<RoutingGraph, 'channels'>) => readonly ChannelSpec[];
}

/** Forwarding fees per node (msat base, ppm): cheap dave, dearer erin. */
const FEES: Readonly<Record<string, readonly [number, number]>> = {
  carol: [1_000, 10],
  dave: [0, 1],
  erin: [500, 20],
  frank: [1_000, 5],
  gina: [2_000, 50],
};

/** Confirmations for a channel to be announced. */
const ANNOUNCE_CONFS = 6;
/** Spare coins per channel for its funding fee. */
const FEE_SPARE = sat(100_000);

/**
 * Starts carol, dave, erin, frank and gina on `net`, opens the graph's channels (and `extra`)
 * at once, and resolves once the LSP's node knows a route to each of them and can reach gina.
 */
export async function startRoutingGraph(
  net: Network,
  options: RoutingGraphOptions = {},
): Promise<RoutingGraph> {
  const { h, lsp } = net;
  const [carol, dave, erin, frank, gina] = await Promise.all(
    Object.entries(FEES).map(([name, [base, ppm]]) =>
      h.newNode(name, { extraArgs: [`--bitcoin.basefee=${base}`, `--bitcoin.feerate=${ppm}`] }),
    ),
  );
  if (!carol || !dave || !erin || !frank || !gina) throw new Error('five nodes');
  const nodes = { carol, dave, erin, frank, gina };
  const specs: ChannelSpec[] = [
    { from: lsp, to: carol, amount: sat(2_000_000) },
    { from: lsp, to: dave, amount: sat(1_000_000), push: sat(900_000) },
    { from: carol, to: dave, amount: sat(1_000_000), push: sat(500_000) },
    { from: carol, to: erin, amount: sat(1_000_000) },
    { from: dave, to: erin, amount: sat(500_000) },
    { from: dave, to: frank, amount: sat(1_000_000), push: sat(950_000) },
    { from: erin, to: frank, amount: sat(1_000_000) },
    { from: frank, to: gina, amount: sat(1_000_000) },
    ...(options.extra?.(nodes) ?? []),
  ];
  // One confirmed coin per channel: a wallet funds one channel per coin at a time.
  await h.fund(...specs.map((s) => [s.from, sat(s.amount + FEE_SPARE)] as const));
  await Promise.all(uniquePairs(specs).map(([a, b]) => h.connect(a, b)));
  // Each funder opens its channels one after another, largest first (LND spends its largest
  // coin first, so each channel takes the coin granted for it); funders open at once.
  const byFunder = new Map<LndNode, ChannelSpec[]>();
  for (const s of specs) byFunder.set(s.from, [...(byFunder.get(s.from) ?? []), s]);
  const opened = (
    await Promise.all(
      [...byFunder.values()].map(async (own) => {
        const points = [];
        for (const s of [...own].sort((a, b) => (a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0))) {
          const { channelPoint } = await s.from.lnd.openChannel(
            {
              remotePubkey: s.to.pubkey,
              localAmount: s.amount,
              pushAmount: s.push ?? sat(0),
              private: s.private ?? false,
            },
            AbortSignal.timeout(60_000),
          );
          points.push({ spec: s, point: channelPoint });
        }
        return points;
      }),
    )
  ).flat();
  await h.mine(ANNOUNCE_CONFS);
  const channels = await Promise.all(
    opened.map(async ({ spec, point }) => {
      await h.waitChannelActive(spec.to, point);
      return h.waitChannelActive(spec.from, point);
    }),
  );
  await waitGraphSynced(h, lsp, [
    ...Object.values(nodes),
    ...specs.filter((s) => s.private !== true).map((s) => s.to),
  ]);
  // The links forward: the LSP's node pays gina an invoice she cancelled (it fails there, moving nothing).
  const probe = await gina.lnd.addInvoice(
    { amount: msat(10_000_000n), memo: 'graph probe' },
    AbortSignal.timeout(10_000),
  );
  await gina.lnd.cancelInvoice(probe.paymentHash, AbortSignal.timeout(10_000));
  await h.waitFor(
    async () => {
      const r = await lsp.lnd.sendPayment(
        { paymentRequest: probe.paymentRequest, feeLimit: msat(100_000n), timeoutSeconds: 10 },
        AbortSignal.timeout(30_000),
      );
      return r.status === 'failed' && r.reason === 'incorrect_payment_details';
    },
    { what: 'the LSP node to reach gina', intervalMs: 250, timeoutMs: 120_000 },
  );
  return { ...nodes, channels };
}

/** Waits until `from`'s graph gives a route to each of `to` (LND's graph-only estimate). */
async function waitGraphSynced(h: Harness, from: LndNode, to: readonly LndNode[]): Promise<void> {
  const targets = [...new Set(to.filter((n) => n !== from))];
  await Promise.all(
    targets.map((node) =>
      h.waitFor(
        async () => {
          try {
            await from.lnd.estimateRouteFee(
              { destination: node.pubkey, amount: sat(1_000) },
              AbortSignal.timeout(5_000),
            );
            return true;
          } catch {
            return false;
          }
        },
        { what: `${from.name}'s graph to give a route to ${node.name}`, intervalMs: 200, timeoutMs: 120_000 },
      ),
    ),
  );
}

function uniquePairs(specs: readonly ChannelSpec[]): [LndNode, LndNode][] {
  const seen = new Set<string>();
  const pairs: [LndNode, LndNode][] = [];
  for (const s of specs) {
    const key = [s.from.name, s.to.name].sort().join('-');
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([s.from, s.to]);
  }
  return pairs;
}
