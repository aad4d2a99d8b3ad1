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
import { type Channel, sat } from '@blgv/core';
import type { LndNode } from '@blgv/regtest';
import { type ChannelSpec, openChannels, waitGraphSynced, waitReaches } from './graph-channels.ts';
import type { Network } from './network.ts';

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
  const channels = await openChannels(h, specs);
  await waitGraphSynced(h, lsp, [
    ...Object.values(nodes),
    ...specs.filter((s) => s.private !== true).map((s) => s.to),
  ]);
  await waitReaches(h, lsp, gina);
  return { ...nodes, channels };
}
