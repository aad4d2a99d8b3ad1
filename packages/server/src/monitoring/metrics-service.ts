/**
 * Node metrics (the spec's `NodeMetrics`) and the operator's business figures, answered from
 * what the node monitor and the ledger stored: no node is called per request.
 */
import {
  countedOutcomes,
  type MetricsWindow,
  type OutcomesByPurpose,
  outcomesByPurpose,
  PAYMENT_PURPOSES,
  successRate,
  uptimeFraction,
  windowStart,
} from '@blgv/core';
import { LIST_PAGE, type LspFiguresResponse, type NodeMetricsResponse, nextCursor } from '@blgv/protocol';
import {
  BusinessFiguresRepository,
  type Database,
  type ForwardDay,
  HostedNodesRepository,
  NodeMonitoringRepository,
  NodeSeriesRepository,
  noRevenue,
  type PageRequest,
  REVENUE_SOURCES,
  RebalancesRepository,
  ReservationsRepository,
  type RevenueSource,
  sumBySource,
  UnpaidChannelsRepository,
} from '@blgv/store';
import { LSP_NODE_ID } from './node-monitor.ts';

/** Reads metrics and figures. */
export class MetricsService {
  readonly #monitoring: NodeMonitoringRepository;
  readonly #figures: BusinessFiguresRepository;
  readonly #rebalances: RebalancesRepository;
  readonly #unpaid: UnpaidChannelsRepository;
  readonly #nodes: HostedNodesRepository;
  readonly #reservations: ReservationsRepository;
  readonly #series: NodeSeriesRepository;

  constructor(deps: { readonly database: Database }) {
    const db = deps.database.db;
    this.#monitoring = new NodeMonitoringRepository(db);
    this.#figures = new BusinessFiguresRepository(db);
    this.#rebalances = new RebalancesRepository(db);
    this.#unpaid = new UnpaidChannelsRepository(db);
    this.#nodes = new HostedNodesRepository(db);
    this.#reservations = new ReservationsRepository(db);
    this.#series = new NodeSeriesRepository(db);
  }

  /**
   * A node's metrics over `window` (`lsp` is the LSP's own node), with a page of its forwarding
   * events (`before`: the log position to continue below).
   */
  async nodeMetrics(
    nodeId: string,
    window: MetricsWindow,
    page: PageRequest = { limit: LIST_PAGE.byDefault },
    now = new Date(),
  ): Promise<NodeMetricsResponse> {
    const from = windowStart(window, now);
    const [snapshot, totals, perDay, counts, intervals, forwards] = await Promise.all([
      this.#monitoring.snapshot(nodeId),
      this.#monitoring.forwardTotals(nodeId, from),
      this.#monitoring.forwardsPerDay(nodeId, from),
      this.#monitoring.paymentOutcomes(nodeId, from),
      this.#series.checksSince([nodeId], from),
      this.#monitoring.forwards(nodeId, from, page),
    ]);
    // Probes, checks and rebalancing are reported by purpose, never counted as payments.
    const byPurpose = outcomesByPurpose(counts);
    const outcomes = countedOutcomes(byPurpose);
    return {
      nodeId,
      window,
      measuredAt: snapshot?.takenAt.toISOString() ?? null,
      channelCount: snapshot?.channelCount ?? 0,
      activeChannels: snapshot?.activeChannels ?? 0,
      pendingChannels: snapshot?.pendingChannels ?? 0,
      totalCapacity: Number(snapshot?.totalCapacity ?? 0n),
      localBalance: Number(snapshot?.localBalance ?? 0n),
      remoteBalance: Number(snapshot?.remoteBalance ?? 0n),
      onchainBalance: Number(snapshot?.onchainConfirmed ?? 0n),
      routingRevenue: totals.fees.toString(),
      forwardCount: totals.count,
      forwardVolume: totals.amountOut.toString(),
      successRate: successRate(outcomes) ?? null,
      payments: outcomes,
      paymentsByPurpose: purposesWire(byPurpose),
      uptime: uptimeFraction(intervals, from, now) ?? null,
      forwardsPerDay: perDay.map(forwardDayWire),
      forwardingEvents: forwards.items.map((f) => ({
        index: f.idx.toString(),
        timestamp: f.at.toISOString(),
        chanIdIn: f.chanIn,
        chanIdOut: f.chanOut,
        amtInMsat: f.amountIn.toString(),
        amtOutMsat: f.amountOut.toString(),
        feeMsat: f.fee.toString(),
      })),
      nextCursor: nextCursor(forwards.next),
    };
  }

  /** The operator's business figures over `window`. */
  async figures(window: MetricsWindow, now = new Date()): Promise<LspFiguresResponse> {
    const from = windowStart(window, now);
    const [
      revenue,
      counts,
      latency,
      openOrders,
      snapshot,
      committed,
      perDay,
      nodes,
      payments,
      rebalancing,
      unpaid,
    ] = await Promise.all([
      this.#figures.revenuePerDay(from, LSP_NODE_ID),
      this.#figures.channelCounts(from),
      this.#figures.jitLatency(from),
      this.#figures.openOrders(),
      this.#monitoring.snapshot(LSP_NODE_ID),
      this.#reservations.committed(),
      this.#monitoring.forwardsPerDay(LSP_NODE_ID, from),
      this.#hostedNodes(from, now),
      this.#monitoring.paymentOutcomes(LSP_NODE_ID, from),
      this.#rebalances.costs(from),
      this.#unpaid.costs(from),
    ]);
    const byPurpose = outcomesByPurpose(payments);
    const counted = countedOutcomes(byPurpose);
    const bySource = sumBySource(revenue);
    const days = new Map<string, Record<RevenueSource, bigint>>();
    for (const r of revenue) {
      const day = days.get(r.day) ?? noRevenue();
      day[r.source] += r.amountMsat;
      days.set(r.day, day);
    }
    const strings = (m: Record<RevenueSource, bigint>) =>
      Object.fromEntries(REVENUE_SOURCES.map((s) => [s, m[s].toString()])) as Record<RevenueSource, string>;
    return {
      window,
      revenue: {
        totalMsat: Object.values(bySource)
          .reduce((a, b) => a + b, 0n)
          .toString(),
        bySource: strings(bySource),
        perDay: [...days].map(([day, m]) => ({ day, ...strings(m) })),
      },
      costs: {
        rebalancing: {
          count: rebalancing.count,
          movedSat: Number(rebalancing.movedSat),
          feeMsat: rebalancing.feeMsat.toString(),
        },
        unpaidChannels: {
          count: unpaid.count,
          fundingShareSat: Number(unpaid.fundingShareSat),
          closeFeeSat: Number(unpaid.closeFeeSat),
        },
      },
      channelsSold: counts.sold,
      jitChannelsOpened: counts.jitOpened,
      jitLatency: {
        count: latency.count,
        medianMs: latency.medianMs ?? null,
        p95Ms: latency.p95Ms ?? null,
        maxMs: latency.maxMs ?? null,
      },
      liquidity: {
        measuredAt: snapshot?.takenAt.toISOString() ?? null,
        outbound: Number(snapshot?.localBalance ?? 0n),
        inbound: Number(snapshot?.remoteBalance ?? 0n),
        onchain: Number(snapshot?.onchainConfirmed ?? 0n),
        reserved: Number(committed.reservedRemaining),
      },
      forwardsPerDay: perDay.map(forwardDayWire),
      payments: {
        successRate: successRate(counted) ?? null,
        ...counted,
        byPurpose: purposesWire(byPurpose),
      },
      openOrders,
      hostedNodes: nodes,
    };
  }

  async #hostedNodes(from: Date, now: Date): Promise<LspFiguresResponse['hostedNodes']> {
    const nodes = await this.#nodes.list();
    // Every node's intervals in one query, not one per node.
    const [snapshots, intervals] = await Promise.all([
      this.#monitoring.snapshots(),
      this.#series.checksSince(
        nodes.map((n) => n.id),
        from,
      ),
    ]);
    const byId = new Map(snapshots.map((s) => [s.nodeId, s]));
    return nodes.map((n) => ({
      nodeId: n.id,
      tenantId: n.tenantId,
      alias: n.alias,
      status: n.state,
      uptime:
        uptimeFraction(
          intervals.filter((i) => i.nodeId === n.id),
          from,
          now,
        ) ?? null,
      channelCount: byId.get(n.id)?.channelCount ?? 0,
      totalCapacity: Number(byId.get(n.id)?.totalCapacity ?? 0n),
    }));
  }
}

/** Outcomes by purpose on the wire, each with its success rate. */
function purposesWire(byPurpose: OutcomesByPurpose): NodeMetricsResponse['paymentsByPurpose'] {
  return Object.fromEntries(
    PAYMENT_PURPOSES.map((p) => [p, { ...byPurpose[p], successRate: successRate(byPurpose[p]) ?? null }]),
  ) as NodeMetricsResponse['paymentsByPurpose'];
}

function forwardDayWire(d: ForwardDay) {
  return {
    day: d.day,
    count: d.count,
    volumeMsat: d.amountOut.toString(),
    feesMsat: d.fees.toString(),
  };
}
