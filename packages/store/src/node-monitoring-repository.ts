/**
 * What the node monitor stores (0014): each node's latest snapshot, its forwards and the
 * payments it sent, keyed by node id (`lsp` for the LSP's own node). Metrics read only this.
 */
import type { PaymentPurpose } from '@blgv/core';
import { type Kysely, sql } from 'kysely';
import { type Page, type PageRequest, readPage } from './keyset-page.ts';
import type { Schema } from './schema.ts';
import type { NodeSnapshotsTable } from './tables/monitoring.ts';

/** One reading of a node (amounts in sat). */
export interface NodeSnapshot {
  readonly nodeId: string;
  readonly takenAt: Date;
  readonly channelCount: number;
  readonly activeChannels: number;
  readonly pendingChannels: number;
  readonly totalCapacity: bigint;
  readonly localBalance: bigint;
  readonly remoteBalance: bigint;
  readonly pendingBalance: bigint;
  readonly onchainConfirmed: bigint;
  readonly onchainUnconfirmed: bigint;
  readonly peers: number;
  readonly blockHeight: number;
  readonly synced: boolean;
}

/** One forward (amounts in msat). */
export interface StoredForward {
  readonly idx: bigint;
  readonly at: Date;
  readonly chanIn: string;
  readonly chanOut: string;
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  readonly fee: bigint;
}

/** One sent payment (amounts in msat). */
export interface StoredPayment {
  readonly paymentIndex: bigint;
  readonly status: 'in_flight' | 'succeeded' | 'failed';
  readonly createdAt: Date;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly paymentHash?: string;
  /** What it was for (every payment of a hosted node is its tenant's). */
  readonly purpose: PaymentPurpose;
}

/** How many of a node's payments of one purpose ended one way. */
export interface PurposeStatusCount {
  readonly purpose: PaymentPurpose;
  readonly status: 'succeeded' | 'failed';
  readonly count: number;
}

/** Forward totals over a time range (msat). */
export interface ForwardTotals {
  readonly count: number;
  readonly amountOut: bigint;
  readonly fees: bigint;
}

/** Forward totals of one day (UTC). */
export interface ForwardDay extends ForwardTotals {
  /** `YYYY-MM-DD`. */
  readonly day: string;
}

type SnapshotRow = NodeSnapshotsTable;

function snapshotFromRow(r: SnapshotRow): NodeSnapshot {
  return {
    nodeId: r.node_id,
    takenAt: r.taken_at,
    channelCount: r.channel_count,
    activeChannels: r.active_channels,
    pendingChannels: r.pending_channels,
    totalCapacity: BigInt(r.total_capacity_sat),
    localBalance: BigInt(r.local_balance_sat),
    remoteBalance: BigInt(r.remote_balance_sat),
    pendingBalance: BigInt(r.pending_balance_sat),
    onchainConfirmed: BigInt(r.onchain_confirmed_sat),
    onchainUnconfirmed: BigInt(r.onchain_unconfirmed_sat),
    peers: r.peers,
    blockHeight: r.block_height,
    synced: r.synced,
  };
}

/** Reads and writes what the monitor saw. */
export class NodeMonitoringRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Replaces a node's snapshot. */
  async saveSnapshot(s: NodeSnapshot): Promise<void> {
    const row: SnapshotRow = {
      node_id: s.nodeId,
      taken_at: s.takenAt,
      channel_count: s.channelCount,
      active_channels: s.activeChannels,
      pending_channels: s.pendingChannels,
      total_capacity_sat: s.totalCapacity,
      local_balance_sat: s.localBalance,
      remote_balance_sat: s.remoteBalance,
      pending_balance_sat: s.pendingBalance,
      onchain_confirmed_sat: s.onchainConfirmed,
      onchain_unconfirmed_sat: s.onchainUnconfirmed,
      peers: s.peers,
      block_height: s.blockHeight,
      synced: s.synced,
    };
    const { node_id: _, ...update } = row;
    await this.#db
      .insertInto('node_snapshots')
      .values(row)
      // Never older over newer (a tick of a replica losing its lease may finish late).
      .onConflict((oc) =>
        oc
          .column('node_id')
          .doUpdateSet(update)
          .where('node_snapshots.taken_at', '<', (eb) => eb.ref('excluded.taken_at')),
      )
      .execute();
  }

  /** A node's latest snapshot. */
  async snapshot(nodeId: string): Promise<NodeSnapshot | undefined> {
    const r = await this.#db
      .selectFrom('node_snapshots')
      .selectAll()
      .where('node_id', '=', nodeId)
      .executeTakeFirst();
    return r ? snapshotFromRow(r) : undefined;
  }

  /** Every node's latest snapshot. */
  async snapshots(): Promise<NodeSnapshot[]> {
    return (await this.#db.selectFrom('node_snapshots').selectAll().orderBy('node_id').execute()).map(
      snapshotFromRow,
    );
  }

  /** Where the node's forwarding log continues: the number of forwards stored. */
  async nextForwardIndex(nodeId: string): Promise<bigint> {
    const r = await this.#db
      .selectFrom('node_forwards')
      .select(sql<string>`coalesce(max(idx) + 1, 0)::text`.as('next'))
      .where('node_id', '=', nodeId)
      .executeTakeFirstOrThrow();
    return BigInt(r.next);
  }

  /** Stores forwards (a forward already stored is kept as it was). */
  async addForwards(nodeId: string, forwards: readonly StoredForward[]): Promise<void> {
    if (forwards.length === 0) return;
    await this.#db
      .insertInto('node_forwards')
      .values(
        forwards.map((f) => ({
          node_id: nodeId,
          idx: f.idx,
          at: f.at,
          chan_in: f.chanIn,
          chan_out: f.chanOut,
          amt_in_msat: f.amountIn,
          amt_out_msat: f.amountOut,
          fee_msat: f.fee,
        })),
      )
      .onConflict((oc) => oc.columns(['node_id', 'idx']).doNothing())
      .execute();
  }

  /** Count, volume and fees of a node's forwards since `from`. */
  async forwardTotals(nodeId: string, from: Date): Promise<ForwardTotals> {
    const r = await this.#db
      .selectFrom('node_forwards')
      .select([
        sql<string>`count(*)::text`.as('count'),
        sql<string>`coalesce(sum(amt_out_msat), 0)::text`.as('volume'),
        sql<string>`coalesce(sum(fee_msat), 0)::text`.as('fees'),
      ])
      .where('node_id', '=', nodeId)
      .where('at', '>=', from)
      .executeTakeFirstOrThrow();
    return { count: Number(r.count), amountOut: BigInt(r.volume), fees: BigInt(r.fees) };
  }

  /** A node's forwards per UTC day since `from`, oldest first (days without forwards left out). */
  async forwardsPerDay(nodeId: string, from: Date): Promise<ForwardDay[]> {
    const rows = await this.#db
      .selectFrom('node_forwards')
      .select([
        sql<string>`to_char(date_trunc('day', at at time zone 'UTC'), 'YYYY-MM-DD')`.as('day'),
        sql<string>`count(*)::text`.as('count'),
        sql<string>`coalesce(sum(amt_out_msat), 0)::text`.as('volume'),
        sql<string>`coalesce(sum(fee_msat), 0)::text`.as('fees'),
      ])
      .where('node_id', '=', nodeId)
      .where('at', '>=', from)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((r) => ({
      day: r.day,
      count: Number(r.count),
      amountOut: BigInt(r.volume),
      fees: BigInt(r.fees),
    }));
  }

  /** A page of a node's forwards since `from`, newest first, before log position `before`. */
  async forwards(nodeId: string, from: Date, page: PageRequest): Promise<Page<StoredForward>> {
    const q = this.#db
      .selectFrom('node_forwards')
      .selectAll()
      .where('node_id', '=', nodeId)
      .where('at', '>=', from);
    return readPage(q, 'idx', page, (r) => ({
      idx: BigInt(r.idx),
      at: r.at,
      chanIn: r.chan_in,
      chanOut: r.chan_out,
      amountIn: BigInt(r.amt_in_msat),
      amountOut: BigInt(r.amt_out_msat),
      fee: BigInt(r.fee_msat),
    }));
  }

  /**
   * Where reading a node's payments resumes: before its oldest payment still in flight (read
   * again until it ends), else after its newest.
   */
  async paymentCursor(nodeId: string): Promise<bigint> {
    const r = await this.#db
      .selectFrom('node_payments')
      .select([
        sql<string | null>`(min(payment_index) filter (where status = 'in_flight') - 1)::text`.as('inFlight'),
        sql<string>`coalesce(max(payment_index), 0)::text`.as('newest'),
      ])
      .where('node_id', '=', nodeId)
      .executeTakeFirstOrThrow();
    return BigInt(r.inFlight ?? r.newest);
  }

  /** Stores payments, replacing what an earlier read saw of them. */
  async savePayments(nodeId: string, payments: readonly StoredPayment[]): Promise<void> {
    if (payments.length === 0) return;
    await this.#db
      .insertInto('node_payments')
      .values(
        payments.map((p) => ({
          node_id: nodeId,
          payment_index: p.paymentIndex,
          status: p.status,
          created_at: p.createdAt,
          amount_msat: p.amount,
          fee_msat: p.fee,
          payment_hash: p.paymentHash ?? null,
          purpose: p.purpose,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['node_id', 'payment_index'])
          .doUpdateSet((eb) => ({
            status: eb.ref('excluded.status'),
            fee_msat: eb.ref('excluded.fee_msat'),
            // Classified again when it ends (a recorded or tenant hash may be known by then).
            purpose: eb.ref('excluded.purpose'),
          }))
          // A payment that ended stays ended (a late read from before cannot reopen it).
          .where('node_payments.status', '=', 'in_flight'),
      )
      .execute();
  }

  /**
   * Forgets payments stored in flight after index `after` that a complete read of the node's
   * payments after it did not list (`listed`): the node no longer has them.
   */
  async forgetInFlight(nodeId: string, after: bigint, listed: readonly bigint[]): Promise<void> {
    let q = this.#db
      .deleteFrom('node_payments')
      .where('node_id', '=', nodeId)
      .where('status', '=', 'in_flight')
      .where('payment_index', '>', after);
    if (listed.length > 0) q = q.where('payment_index', 'not in', [...listed]);
    await q.execute();
  }

  /** How a node's payments made since `from` ended, counted by purpose and status. */
  async paymentOutcomes(nodeId: string, from: Date): Promise<PurposeStatusCount[]> {
    const rows = await this.#db
      .selectFrom('node_payments')
      .select(['purpose', 'status', sql<string>`count(*)::text`.as('count')])
      .where('node_id', '=', nodeId)
      .where('created_at', '>=', from)
      .where('status', 'in', ['succeeded', 'failed'])
      .groupBy(['purpose', 'status'])
      .execute();
    return rows.map((r) => ({
      purpose: r.purpose,
      status: r.status === 'succeeded' ? 'succeeded' : 'failed',
      count: Number(r.count),
    }));
  }
}
