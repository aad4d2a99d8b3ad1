/**
 * Per-node Prometheus series, every one labelled `node_id` (`lsp` for the LSP's own node, a
 * hosted node's id otherwise), set from what the node monitor stored. Where lndmon
 * (lightninglabs/lndmon) has a metric for the same value the series carries lndmon's name, so
 * its dashboards work with a `node_id` filter; the rest are `lsp_node_*`.
 */
import { uptimeFraction, windowStart } from '@blgv/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import { SCRAPE_WINDOW, type ScrapeData } from './scrape-data.ts';

const NODE = ['node_id'] as const;

/** The per-node gauges and counters of one registry. */
export class NodeSeries {
  // lndmon's names (its channels, wallet, peer, chain, htlcs and payments collectors).
  readonly #active: Gauge<'node_id'>;
  readonly #inactive: Gauge<'node_id'>;
  readonly #pending: Gauge<'node_id' | 'state'>;
  readonly #openBalance: Gauge<'node_id'>;
  readonly #pendingBalance: Gauge<'node_id'>;
  readonly #incoming: Gauge<'node_id'>;
  readonly #outgoing: Gauge<'node_id'>;
  readonly #confirmed: Gauge<'node_id'>;
  readonly #unconfirmed: Gauge<'node_id'>;
  readonly #peers: Gauge<'node_id'>;
  readonly #height: Gauge<'node_id'>;
  readonly #synced: Gauge<'node_id'>;
  readonly #htlcs: Counter<'node_id' | 'type' | 'outcome' | 'chan_in' | 'chan_out'>;
  readonly #payments: Counter<'node_id' | 'status' | 'purpose'>;
  // Ours.
  readonly #channels: Gauge<'node_id'>;
  readonly #capacity: Gauge<'node_id'>;
  readonly #forwards: Counter<'node_id'>;
  readonly #forwarded: Counter<'node_id'>;
  readonly #fees: Counter<'node_id'>;
  readonly #up: Gauge<'node_id'>;
  readonly #uptime: Gauge<'node_id'>;
  readonly #readAt: Gauge<'node_id'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: NODE, registers });
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: NODE, registers });
    this.#active = gauge('lnd_channels_active_total', 'total number of active channels');
    this.#inactive = gauge('lnd_channels_inactive_total', 'total number of inactive channels');
    this.#pending = new Gauge({
      name: 'lnd_channels_pending_total',
      help: 'total number of pending channels (state pending_open: channels being opened)',
      labelNames: ['node_id', 'state'],
      registers,
    });
    this.#openBalance = gauge('lnd_channels_open_balance_sat', 'total balance of channels in satoshis');
    this.#pendingBalance = gauge(
      'lnd_channels_pending_balance_sat',
      'total balance of all pending channels in satoshis',
    );
    this.#incoming = gauge(
      'lnd_channels_bandwidth_incoming_sat',
      'available incoming bandwidth, summed over the open channels (lndmon: one series per channel)',
    );
    this.#outgoing = gauge(
      'lnd_channels_bandwidth_outgoing_sat',
      'available outgoing bandwidth, summed over the open channels (lndmon: one series per channel)',
    );
    this.#confirmed = gauge('lnd_wallet_balance_confirmed_sat', 'confirmed wallet balance');
    this.#unconfirmed = gauge('lnd_wallet_balance_unconfirmed_sat', 'unconfirmed wallet balance');
    this.#peers = gauge('lnd_peer_count', 'total number of peers');
    this.#height = gauge('lnd_chain_block_height', 'best block height from lnd');
    this.#synced = gauge('lnd_chain_synced', 'lnd is synced to the chain');
    this.#htlcs = new Counter({
      name: 'lnd_htlcs_resolved_htlcs',
      help: 'count of resolved htlcs (settled forwards, from the forwarding log)',
      labelNames: ['node_id', 'type', 'outcome', 'chan_in', 'chan_out'],
      registers,
    });
    this.#payments = new Counter({
      name: 'lnd_total_payments',
      help: 'Total number of payments initiated, labeled by final status and purpose (tenant, wrapped, rebalance, probe, other)',
      labelNames: ['node_id', 'status', 'purpose'],
      registers,
    });
    this.#channels = gauge('lsp_node_channels', 'open channels');
    this.#capacity = gauge('lsp_node_capacity_sat', 'capacity of the open channels');
    this.#forwards = counter('lsp_node_forwards_total', 'forwards in the forwarding log');
    this.#forwarded = counter('lsp_node_forwarded_msat_total', 'amount forwarded (sent on), msat');
    this.#fees = counter('lsp_node_routing_fees_msat_total', 'fees earned forwarding, msat');
    this.#up = gauge('lsp_node_up', '1 if the node answered its last check, 0 if not');
    this.#uptime = gauge('lsp_node_uptime_ratio', 'fraction of the checked last 24 h the node answered');
    this.#readAt = gauge(
      'lsp_node_snapshot_timestamp_seconds',
      'when the monitor last read the node (the values above are from then)',
    );
  }

  /** Replaces every series with what `data` holds (a node no longer there loses its series). */
  apply(data: ScrapeData): void {
    for (const m of this.#all()) m.reset();
    for (const s of data.snapshots) {
      const node_id = s.nodeId;
      this.#active.set({ node_id }, s.activeChannels);
      this.#inactive.set({ node_id }, s.channelCount - s.activeChannels);
      this.#pending.set({ node_id, state: 'pending_open' }, s.pendingChannels);
      this.#openBalance.set({ node_id }, Number(s.localBalance));
      this.#pendingBalance.set({ node_id }, Number(s.pendingBalance));
      this.#incoming.set({ node_id }, Number(s.remoteBalance));
      this.#outgoing.set({ node_id }, Number(s.localBalance));
      this.#confirmed.set({ node_id }, Number(s.onchainConfirmed));
      this.#unconfirmed.set({ node_id }, Number(s.onchainUnconfirmed));
      this.#peers.set({ node_id }, s.peers);
      this.#height.set({ node_id }, s.blockHeight);
      this.#synced.set({ node_id }, s.synced ? 1 : 0);
      this.#channels.set({ node_id }, s.channelCount);
      this.#capacity.set({ node_id }, Number(s.totalCapacity));
      this.#readAt.set({ node_id }, s.takenAt.getTime() / 1000);
      // Counters start at zero for every node read, so rate() sees the first forward.
      this.#forwards.inc({ node_id }, 0);
      this.#forwarded.inc({ node_id }, 0);
      this.#fees.inc({ node_id }, 0);
    }
    for (const f of data.forwards) {
      const node_id = f.nodeId;
      const pair = { node_id, type: 'forward', outcome: 'settled', chan_in: f.chanIn, chan_out: f.chanOut };
      this.#htlcs.inc(pair, f.count);
      this.#forwards.inc({ node_id }, f.count);
      this.#forwarded.inc({ node_id }, Number(f.amountOut));
      this.#fees.inc({ node_id }, Number(f.fees));
    }
    for (const p of data.payments) {
      this.#payments.inc({ node_id: p.nodeId, status: p.status, purpose: p.purpose }, p.count);
    }
    const from = windowStart(SCRAPE_WINDOW, data.now);
    for (const [node_id, intervals] of data.checks) {
      const last = intervals.at(-1);
      if (last) this.#up.set({ node_id }, last.up ? 1 : 0);
      const uptime = uptimeFraction(intervals, from, data.now);
      if (uptime !== undefined) this.#uptime.set({ node_id }, uptime);
    }
  }

  #all(): { reset(): void }[] {
    return [
      this.#active,
      this.#inactive,
      this.#pending,
      this.#openBalance,
      this.#pendingBalance,
      this.#incoming,
      this.#outgoing,
      this.#confirmed,
      this.#unconfirmed,
      this.#peers,
      this.#height,
      this.#synced,
      this.#htlcs,
      this.#payments,
      this.#channels,
      this.#capacity,
      this.#forwards,
      this.#forwarded,
      this.#fees,
      this.#up,
      this.#uptime,
      this.#readAt,
    ];
  }
}
