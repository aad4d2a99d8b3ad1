/**
 * What `/metrics` reads of the monitor's records (0014) in a few grouped statements, for every
 * node at once: forwards by channel pair, sent payments by status, and up/down intervals.
 * Nothing here calls a node; a scrape costs the same whatever the number of nodes.
 */
import type { PaymentPurpose } from '@blgv/core';
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** A node's stored forwards from one channel into another (amounts in msat). */
export interface ChannelPairForwards {
  readonly nodeId: string;
  /** Incoming short channel id (decimal). */
  readonly chanIn: string;
  /** Outgoing short channel id (decimal). */
  readonly chanOut: string;
  readonly count: number;
  readonly amountOut: bigint;
  readonly fees: bigint;
}

/** How many of a node's sent payments of one purpose ended one way. */
export interface PaymentStatusCount {
  readonly nodeId: string;
  readonly purpose: PaymentPurpose;
  readonly status: 'succeeded' | 'failed';
  readonly count: number;
}

/** One up (or down) interval of a node. */
export interface NodeCheckInterval {
  readonly nodeId: string;
  readonly up: boolean;
  readonly since: Date;
  readonly until: Date;
}

/** Reads the monitor's records grouped for every node. */
export class NodeSeriesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Every forward of `nodeIds`, counted and summed by node and channel pair. */
  async forwardsByChannelPair(nodeIds: readonly string[]): Promise<ChannelPairForwards[]> {
    if (nodeIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('node_forwards')
      .select([
        'node_id',
        'chan_in',
        'chan_out',
        sql<string>`count(*)::text`.as('count'),
        sql<string>`sum(amt_out_msat)::text`.as('volume'),
        sql<string>`sum(fee_msat)::text`.as('fees'),
      ])
      .where('node_id', 'in', nodeIds)
      .groupBy(['node_id', 'chan_in', 'chan_out'])
      .orderBy('node_id')
      .orderBy('chan_in')
      .orderBy('chan_out')
      .execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      chanIn: r.chan_in,
      chanOut: r.chan_out,
      count: Number(r.count),
      amountOut: BigInt(r.volume),
      fees: BigInt(r.fees),
    }));
  }

  /** The sent payments of `nodeIds` that ended, counted by node, purpose and status. */
  async paymentsByStatus(nodeIds: readonly string[]): Promise<PaymentStatusCount[]> {
    if (nodeIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('node_payments')
      .select(['node_id', 'purpose', 'status', sql<string>`count(*)::text`.as('count')])
      .where('node_id', 'in', nodeIds)
      .where('status', 'in', ['succeeded', 'failed'])
      .groupBy(['node_id', 'purpose', 'status'])
      .orderBy('node_id')
      .orderBy('purpose')
      .orderBy('status')
      .execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      purpose: r.purpose,
      status: r.status === 'succeeded' ? 'succeeded' : 'failed',
      count: Number(r.count),
    }));
  }

  /**
   * The up/down intervals of `nodeIds` overlapping `[from, now]`, and each node's latest one
   * even when older, by node, oldest first.
   */
  async checksSince(nodeIds: readonly string[], from: Date): Promise<NodeCheckInterval[]> {
    if (nodeIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('hosted_node_checks as c')
      .select(['c.node_id', 'c.up', 'c.since', 'c.until'])
      .where('c.node_id', 'in', nodeIds)
      .where((eb) =>
        eb.or([
          eb('c.until', '>=', from),
          eb(
            'c.since',
            '=',
            eb
              .selectFrom('hosted_node_checks as l')
              .select(sql<Date>`max(l.since)`.as('latest'))
              .whereRef('l.node_id', '=', 'c.node_id'),
          ),
        ]),
      )
      .orderBy('c.node_id')
      .orderBy('c.since')
      .execute();
    return rows.map((r) => ({ nodeId: r.node_id, up: r.up, since: r.since, until: r.until }));
  }
}
