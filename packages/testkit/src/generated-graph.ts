/**
 * A generated payment graph with skewed liquidity, for routing benchmarks: a seeded plan (the
 * same seed gives the same graph) that can be started more than once on one network, so two
 * ways of paying can each run on their own copy of the same graph.
 */
import { type Channel, type Sat, sat } from '@blgv/core';
import type { Harness, LndNode } from '@blgv/regtest';
import { type ChannelSpec, openChannels, waitGraphSynced, waitReaches } from './graph-channels.ts';

/** One node of a plan and its forwarding fees. */
export interface PlannedNode {
  readonly name: string;
  readonly baseFeeMsat: number;
  readonly feeRatePpm: number;
}

/** One channel of a plan: node indexes, `LSP` for the LSP's node. */
export interface PlannedChannel {
  readonly from: number;
  readonly to: number;
  readonly amount: Sat;
  readonly push: Sat;
}

/** A graph to start: nodes besides the LSP and the channels between them and to the LSP. */
export interface GraphPlan {
  readonly seed: number;
  readonly nodes: readonly PlannedNode[];
  readonly channels: readonly PlannedChannel[];
}

/** Stands for the LSP's node in a {@link PlannedChannel}. */
export const LSP = -1;

/** Options of {@link planSkewedGraph}. */
export interface GraphPlanOptions {
  readonly seed: number;
  /** Nodes besides the LSP (default 8). */
  readonly nodes?: number;
  /** Channels the LSP funds, each to another node (default 4). */
  readonly lspChannels?: number;
  /** Capacity of each of the LSP's channels (default 3,000,000 sat). */
  readonly lspChannelSize?: Sat;
}

const BASE_FEES_MSAT = [0, 500, 1_000, 2_000] as const;
const FEE_RATES_PPM = [1, 10, 50, 100, 250] as const;
const CAPACITIES = [sat(500_000), sat(1_000_000), sat(2_000_000)] as const;

/**
 * A connected graph of `nodes` nodes (a random spanning tree plus half as many extra edges),
 * each with its own fees, whose channels are skewed: half push 80–95 % of their capacity to the
 * far side, the rest 0–30 %. The LSP funds `lspChannels` channels, one of them pushed 70 % away.
 */
export function planSkewedGraph(options: GraphPlanOptions): GraphPlan {
  const random = mulberry32(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const count = options.nodes ?? 8;
  const nodes = Array.from({ length: count }, (_, i) => ({
    name: `g${i}`,
    baseFeeMsat: pick(BASE_FEES_MSAT),
    feeRatePpm: pick(FEE_RATES_PPM),
  }));
  const edges = new Set<string>();
  const channels: PlannedChannel[] = [];
  const add = (a: number, b: number) => {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (a === b || edges.has(key)) return false;
    edges.add(key);
    const [from, to] = random() < 0.5 ? [a, b] : [b, a];
    const amount = pick(CAPACITIES);
    const share = random() < 0.5 ? 0.8 + random() * 0.15 : random() * 0.3;
    channels.push({ from, to, amount, push: sat(Math.floor((Number(amount) * share) / 1000) * 1000) });
    return true;
  };
  for (let i = 1; i < count; i++) add(i, Math.floor(random() * i));
  for (let extra = 0; extra < Math.floor(count / 2); )
    if (add(Math.floor(random() * count), Math.floor(random() * count))) extra++;
  const lspPeers = shuffle(
    Array.from({ length: count }, (_, i) => i),
    random,
  ).slice(0, Math.min(count, options.lspChannels ?? 4));
  const size = options.lspChannelSize ?? sat(3_000_000);
  for (const [i, to] of lspPeers.entries()) {
    const push = i === 0 ? sat(Math.floor((Number(size) * 0.7) / 1000) * 1000) : sat(0);
    channels.push({ from: LSP, to, amount: size, push });
  }
  return { seed: options.seed, nodes, channels };
}

/** A started copy of a plan. */
export interface StartedGraph {
  /** The plan's nodes, in its order. */
  readonly nodes: readonly LndNode[];
  /** The plan's channels, in its order, as their funders see them. */
  readonly channels: readonly Channel[];
}

/** One copy of a plan to start: its LSP node, a suffix for its nodes' names, more channels. */
export interface GraphCopy {
  readonly lsp: LndNode;
  /** Appended to the plan's node names, so copies can share a network. */
  readonly suffix: string;
  /** More channels opened in the same blocks (e.g. a payer's channel to the LSP). */
  readonly extra?: readonly ChannelSpec[];
}

/**
 * Starts one copy of `plan` per entry of `copies` on `h`, each with its own nodes and its own
 * LSP node standing for the LSP, opens every copy's channels at once (one funding block, one
 * round of mining: copies opened apart would mine under each other's opens), and resolves once
 * each LSP node's graph has a route to every node of its copy and its links forward to each.
 */
export async function startPlannedGraphs(
  h: Harness,
  plan: GraphPlan,
  copies: readonly GraphCopy[],
): Promise<StartedGraph[]> {
  const started = await Promise.all(
    copies.map(async (copy) => {
      const nodes = await Promise.all(
        plan.nodes.map((n) =>
          h.newNode(`${n.name}${copy.suffix}`, {
            extraArgs: [`--bitcoin.basefee=${n.baseFeeMsat}`, `--bitcoin.feerate=${n.feeRatePpm}`],
          }),
        ),
      );
      const node = (i: number): LndNode => {
        const n = i === LSP ? copy.lsp : nodes[i];
        if (!n) throw new Error(`no node ${i} in the plan`);
        return n;
      };
      const specs: ChannelSpec[] = plan.channels.map((c) => ({
        from: node(c.from),
        to: node(c.to),
        amount: c.amount,
        push: c.push,
      }));
      return { copy, nodes, specs };
    }),
  );
  const all = started.flatMap((s) => [...s.specs, ...(s.copy.extra ?? [])]);
  const channels = await openChannels(h, all);
  const byCopy: StartedGraph[] = [];
  let offset = 0;
  for (const s of started) {
    byCopy.push({ nodes: s.nodes, channels: channels.slice(offset, offset + s.specs.length) });
    offset += s.specs.length + (s.copy.extra?.length ?? 0);
  }
  await Promise.all(
    started.map(async (s) => {
      await waitGraphSynced(h, s.copy.lsp, s.nodes);
      for (const n of s.nodes) await waitReaches(h, s.copy.lsp, n);
    }),
  );
  return byCopy;
}

/** A small seeded PRNG (mulberry32): numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}
