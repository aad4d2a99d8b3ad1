/**
 * The operator's figures as Prometheus series (`lsp_*`), set at scrape time from the database:
 * revenue by source, channels sold and JIT channels opened (all-time), JIT first-payment latency
 * (last 24 h), liquidity (the monitor's last reading of the LSP's node, and live reservations),
 * open orders, hosted nodes by state and those no watchtower guards; and this replica's jobs.
 */
import { REVENUE_SOURCES } from '@blgv/store';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LSP_NODE_ID } from './node-monitor.ts';
import type { ScrapeData } from './scrape-data.ts';

/** The quantiles of JIT first-payment latency, and the figure each one is. */
const LATENCY_QUANTILES = [
  ['0.5', 'medianMs'],
  ['0.95', 'p95Ms'],
  ['1', 'maxMs'],
] as const;

/** The states in which a hosted node has channels a watchtower should guard. */
const GUARDED_STATES: ReadonlySet<string> = new Set(['running', 'suspended', 'stopped', 'deleting']);

/** The figures' gauges of one registry. */
export class LspSeries {
  readonly #revenue: Gauge<'source'>;
  readonly #sold: Gauge;
  readonly #jitOpened: Gauge;
  readonly #latency: Gauge<'quantile'>;
  readonly #latencyCount: Gauge;
  readonly #liquidity: Gauge<'kind'>;
  readonly #openOrders: Gauge<'kind' | 'state'>;
  readonly #hosted: Gauge<'state'>;
  readonly #unwatched: Gauge;
  readonly #jobHeld: Gauge<'job_name'>;
  readonly #jobRestarts: Counter<'job_name'>;
  readonly #jobRefused: Counter<'job_name'>;
  readonly #jobLeaseLosses: Counter<'job_name'>;
  readonly #coins: Counter<'what'>;
  readonly #rebalanceCost: Gauge;
  readonly #rebalances: Gauge;
  readonly #unpaidChannels: Gauge;
  readonly #unpaidChannelsShare: Gauge;
  readonly #unpaidChannelsClose: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#revenue = new Gauge({
      name: 'lsp_revenue_msat',
      help: 'revenue by source since the start, msat (net of refunds)',
      labelNames: ['source'],
      registers,
    });
    this.#sold = new Gauge({
      name: 'lsp_channels_sold',
      help: 'channels sold and funded since the start (REST and LSPS1)',
      registers,
    });
    this.#jitOpened = new Gauge({
      name: 'lsp_jit_channels_opened',
      help: 'LSPS2 JIT channels opened since the start',
      registers,
    });
    this.#latency = new Gauge({
      name: 'lsp_jit_first_payment_latency_ms',
      help: "JIT channels' first payment, intercepted to forwarded, over the last 24 h (quantile 1: the longest)",
      labelNames: ['quantile'],
      registers,
    });
    this.#latencyCount = new Gauge({
      name: 'lsp_jit_first_payment_latency_ms_count',
      help: 'JIT first payments forwarded over the last 24 h',
      registers,
    });
    this.#liquidity = new Gauge({
      name: 'lsp_liquidity_sat',
      help: "the LSP's liquidity: outbound and inbound in its channels, onchain (confirmed), reserved (live reservations)",
      labelNames: ['kind'],
      registers,
    });
    this.#openOrders = new Gauge({
      name: 'lsp_open_orders',
      help: 'channel requests, LSPS1 orders, JIT channels and reservations not yet final, by state',
      labelNames: ['kind', 'state'],
      registers,
    });
    this.#hosted = new Gauge({
      name: 'lsp_hosted_nodes',
      help: 'hosted nodes (not deleted) by state',
      labelNames: ['state'],
      registers,
    });
    this.#unwatched = new Gauge({
      name: 'lsp_hosted_nodes_unwatched',
      help: 'hosted nodes whose channels no watchtower guards while they are offline (running, suspended, stopped or deleting, with no tower registered; docs/hosting.md, Watchtower)',
      registers,
    });
    this.#jobHeld = new Gauge({
      name: 'lsp_job_held',
      help: "1 while this replica holds the job's lease and runs it",
      labelNames: ['job_name'],
      registers,
    });
    this.#jobRestarts = new Counter({
      name: 'lsp_job_restarts_total',
      help: 'times the job failed (or returned) and was started again in this replica',
      labelNames: ['job_name'],
      registers,
    });
    this.#jobRefused = new Counter({
      name: 'lsp_job_refused_writes_total',
      help: 'writes and actions of the job refused in this replica because its lease was no longer held (a stale fencing token)',
      labelNames: ['job_name'],
      registers,
    });
    this.#jobLeaseLosses = new Counter({
      name: 'lsp_job_lease_losses_total',
      help: 'times the job was stopped in this replica because its lease was lost or could not be renewed in time',
      labelNames: ['job_name'],
      registers,
    });
    this.#coins = new Counter({
      name: 'lsp_funding_coins_total',
      help: "what this replica's fundings met of the wallet's coins: waited for coins other fundings held (waited), funded on the LSP's own unconfirmed change (unconfirmed_change), failed for want of coins (short)",
      labelNames: ['what'],
      registers,
    });
    this.#rebalanceCost = new Gauge({
      name: 'lsp_rebalance_cost_msat_total',
      help: 'what the rebalances made since the start cost the LSP, msat (its own expense, beside lsp_revenue_msat{source="routing"})',
      registers,
    });
    this.#rebalances = new Gauge({
      name: 'lsp_rebalances_total',
      help: 'rebalances made since the start',
      registers,
    });
    this.#unpaidChannels = new Gauge({
      name: 'lsp_unpaid_channels_total',
      help: 'JIT channels the LSP closed since the start because their client never paid (their batch went out for its other members)',
      registers,
    });
    this.#unpaidChannelsShare = new Gauge({
      name: 'lsp_unpaid_channels_funding_share_sat_total',
      help: "those channels' shares of their funding transactions' fees, sat (the LSP's own expense)",
      registers,
    });
    this.#unpaidChannelsClose = new Gauge({
      name: 'lsp_unpaid_channels_close_fee_sat_total',
      help: "what those channels' closes cost, sat, once resolved (the LSP's own expense)",
      registers,
    });
  }

  /** Replaces every series with what `data` holds. */
  apply(data: ScrapeData): void {
    for (const m of [this.#revenue, this.#latency, this.#liquidity, this.#openOrders, this.#hosted])
      m.reset();
    this.#jobHeld.reset();
    this.#jobRestarts.reset();
    this.#jobRefused.reset();
    this.#jobLeaseLosses.reset();
    this.#coins.reset();
    this.#coins.inc({ what: 'waited' }, data.coins.waits);
    this.#coins.inc({ what: 'unconfirmed_change' }, data.coins.fromChange);
    this.#coins.inc({ what: 'short' }, data.coins.short);
    for (const source of REVENUE_SOURCES) this.#revenue.set({ source }, Number(data.revenue[source]));
    this.#sold.set(data.channels.sold);
    this.#jitOpened.set(data.channels.jitOpened);
    for (const [quantile, field] of LATENCY_QUANTILES) {
      const ms = data.jitLatency[field];
      if (ms !== undefined) this.#latency.set({ quantile }, ms);
    }
    this.#latencyCount.set(data.jitLatency.count);
    this.#rebalanceCost.set(Number(data.rebalancing.feeMsat));
    this.#rebalances.set(data.rebalancing.count);
    this.#unpaidChannels.set(data.unpaidChannels.count);
    this.#unpaidChannelsShare.set(Number(data.unpaidChannels.fundingShareSat));
    this.#unpaidChannelsClose.set(Number(data.unpaidChannels.closeFeeSat));
    const lsp = data.snapshots.find((s) => s.nodeId === LSP_NODE_ID);
    if (lsp) {
      this.#liquidity.set({ kind: 'outbound' }, Number(lsp.localBalance));
      this.#liquidity.set({ kind: 'inbound' }, Number(lsp.remoteBalance));
      this.#liquidity.set({ kind: 'onchain' }, Number(lsp.onchainConfirmed));
    }
    this.#liquidity.set({ kind: 'reserved' }, Number(data.reserved));
    for (const o of data.openOrders) this.#openOrders.set({ kind: o.kind, state: o.state }, o.count);
    for (const n of data.hostedNodes) this.#hosted.inc({ state: n.state });
    this.#unwatched.set(data.hostedNodes.filter((n) => GUARDED_STATES.has(n.state) && !n.watched).length);
    for (const j of data.jobs) {
      this.#jobHeld.set({ job_name: j.name }, j.running ? 1 : 0);
      this.#jobRestarts.inc({ job_name: j.name }, j.restarts);
      this.#jobRefused.inc({ job_name: j.name }, j.refusedWrites);
      this.#jobLeaseLosses.inc({ job_name: j.name }, j.leaseLosses);
    }
  }
}
