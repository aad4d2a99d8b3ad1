/**
 * What one `/metrics` scrape reports beyond the process itself, read from the database only:
 * each node's last snapshot, forwards and payments as the node monitor stored them, up/down
 * intervals, and the business figures. Business totals are all-time (Prometheus takes windows
 * itself, with `increase()`), read from the running totals the database keeps with every row
 * they sum (0025), so a scrape costs the same however long the history; JIT latency and node
 * uptime are over the last 24 hours, read from that window's rows only.
 */
import { type CheckInterval, type MetricsWindow, windowStart } from '@blgv/core';
import {
  BusinessFiguresRepository,
  BusinessTotalsRepository,
  type ChannelPairForwards,
  type Database,
  HostedNodesRepository,
  type JitLatency,
  NodeMonitoringRepository,
  NodeSeriesRepository,
  type NodeSnapshot,
  type OpenOrders,
  type PaymentStatusCount,
  ReservationsRepository,
  type RevenueSource,
  type UnpaidChannelCosts,
} from '@blgv/store';
import type { CoinStats } from '../funding/coin-supply.ts';
import type { JobStatus } from '../jobs/job-runner.ts';
import { LSP_NODE_ID } from './node-monitor.ts';

/** The window of the figures that are not all-time (JIT latency, uptime). */
export const SCRAPE_WINDOW: MetricsWindow = '24h';

/** Everything a scrape reports from the database and the job runner. */
export interface ScrapeData {
  /** When it was read. */
  readonly now: Date;
  /** The latest snapshot of the LSP's node (`lsp`) and of each hosted node not deleted. */
  readonly snapshots: readonly NodeSnapshot[];
  /** Those nodes' forwards by channel pair, all-time. */
  readonly forwards: readonly ChannelPairForwards[];
  /** Those nodes' ended payments by status, all-time. */
  readonly payments: readonly PaymentStatusCount[];
  /** Up/down intervals of those nodes over the window (and each one's latest), by node id. */
  readonly checks: ReadonlyMap<string, readonly CheckInterval[]>;
  /** Revenue by source, all-time, msat. */
  readonly revenue: Readonly<Record<RevenueSource, bigint>>;
  /** Channels sold and JIT channels opened, all-time. */
  readonly channels: { readonly sold: number; readonly jitOpened: number };
  /** JIT first-payment latency over the window. */
  readonly jitLatency: JitLatency;
  readonly openOrders: readonly OpenOrders[];
  /** Sat still held by live reservations. */
  readonly reserved: bigint;
  /** Hosted nodes not deleted, with their state and whether a watchtower was registered with them. */
  readonly hostedNodes: readonly { readonly id: string; readonly state: string; readonly watched: boolean }[];
  /** This replica's jobs. */
  readonly jobs: readonly JobStatus[];
  /** What this replica's fundings met of the wallet's coins. */
  readonly coins: CoinStats;
  /** What the rebalances made cost the LSP, all-time, msat, and how many there were. */
  readonly rebalancing: { readonly count: number; readonly feeMsat: bigint };
  /** JIT channels closed because their client never paid, all-time, and their funding shares. */
  readonly unpaidChannels: UnpaidChannelCosts;
}

/** What a scrape reads besides the database: this replica's jobs and funder. */
export interface ScrapeDeps {
  readonly database: Database;
  readonly jobs: { status(): JobStatus[] };
  readonly funder: { coinStats(): CoinStats };
}

/** Reads {@link ScrapeData}. */
export class ScrapeReader {
  readonly #monitoring: NodeMonitoringRepository;
  readonly #series: NodeSeriesRepository;
  readonly #figures: BusinessFiguresRepository;
  readonly #totals: BusinessTotalsRepository;
  readonly #nodes: HostedNodesRepository;
  readonly #reservations: ReservationsRepository;
  readonly #jobs: () => JobStatus[];
  readonly #coins: () => CoinStats;

  constructor(deps: ScrapeDeps) {
    const db = deps.database.db;
    this.#monitoring = new NodeMonitoringRepository(db);
    this.#series = new NodeSeriesRepository(db);
    this.#figures = new BusinessFiguresRepository(db);
    this.#totals = new BusinessTotalsRepository(db);
    this.#nodes = new HostedNodesRepository(db);
    this.#reservations = new ReservationsRepository(db);
    this.#jobs = () => deps.jobs.status();
    this.#coins = () => deps.funder.coinStats();
  }

  /**
   * One consistent-enough reading (a few statements, no node called). Everything since the start
   * is a running total; only the window's rows are read for JIT latency and uptime.
   */
  async read(now = new Date()): Promise<ScrapeData> {
    const from = windowStart(SCRAPE_WINDOW, now);
    const hosted = await this.#nodes.list();
    const ids = [LSP_NODE_ID, ...hosted.map((n) => n.id)];
    const known = new Set(ids);
    const [snapshots, forwards, payments, checks, totals, jitLatency, openOrders, committed] =
      await Promise.all([
        this.#monitoring.snapshots(),
        this.#series.forwardsByChannelPair(ids),
        this.#series.paymentsByStatus(ids),
        this.#series.checksSince(ids, from),
        this.#totals.read(),
        this.#figures.jitLatency(from),
        this.#figures.openOrders(),
        this.#reservations.committed(),
      ]);
    const byNode = new Map<string, CheckInterval[]>();
    for (const c of checks) {
      const list = byNode.get(c.nodeId) ?? [];
      list.push({ up: c.up, since: c.since, until: c.until });
      byNode.set(c.nodeId, list);
    }
    return {
      now,
      snapshots: snapshots.filter((s) => known.has(s.nodeId)),
      forwards,
      payments,
      checks: byNode,
      revenue: totals.revenue,
      channels: totals.channels,
      jitLatency,
      openOrders,
      reserved: BigInt(committed.reservedRemaining),
      hostedNodes: hosted.map((n) => ({ id: n.id, state: n.state, watched: n.watchtower !== null })),
      jobs: this.#jobs(),
      coins: this.#coins(),
      rebalancing: totals.rebalancing,
      unpaidChannels: totals.unpaidChannels,
    };
  }
}
