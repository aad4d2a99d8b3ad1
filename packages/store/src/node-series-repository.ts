/**
 * What `/metrics` reads of the monitor's records for every node at once: forwards by channel
 * pair and sent payments by status (their running totals, 0025: a scrape costs the same however
 * long the history), and up/down intervals. Nothing here calls a node.
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

  /**
   * Every forward of `nodeIds`, counted and summed by node and channel pair: the running totals
   * (0025), kept with each forward stored.
   */
  async forwardsByChannelPair(nodeIds: readonly string[]): Promise<ChannelPairForwards[]> {
    if (nodeIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('forward_totals')
      .selectAll()
      .where('node_id', 'in', nodeIds)
      .orderBy('node_id')
      .orderBy('chan_in')
      .orderBy('chan_out')
      .execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      chanIn: r.chan_in,
      chanOut: r.chan_out,
      count: Number(r.forwards),
      amountOut: BigInt(r.amt_out_msat),
      fees: BigInt(r.fee_msat),
    }));
  }

  /**
   * The sent payments of `nodeIds` that ended, counted by node, purpose and status: the running
   * totals (0025), kept with each payment stored (a node with none that ended is left out).
   */
  async paymentsByStatus(nodeIds: readonly string[]): Promise<PaymentStatusCount[]> {
    if (nodeIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('payment_totals')
      .selectAll()
      .where('node_id', 'in', nodeIds)
      .where('payments', '>', 0n)
      .orderBy('node_id')
      .orderBy('purpose')
      .orderBy('status')
      .execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      purpose: r.purpose,
      status: r.status,
      count: Number(r.payments),
    }));
  }

  /**
   * The up/down intervals of `nodeIds` overlapping `[from, now]`, and each node's latest one
   * even when older, by node, oldest first. Reads the window's intervals and one more per node
   * (indexed), not the nodes' whole history.
   */
  async checksSince(nodeIds: readonly string[], from: Date): Promise<NodeCheckInterval[]> {
    if (nodeIds.length === 0) return [];
    const r = await sql<{ node_id: string; up: boolean; since: Date; until: Date }>`
      select node_id, up, since, until from hosted_node_checks
        where node_id in (${sql.join(nodeIds)}) and until >= ${from}
      union
      select latest.node_id, latest.up, latest.since, latest.until
        from (values ${sql.join(nodeIds.map((id) => sql`(${id}::text)`))}) as node (id)
        cross join lateral (select node_id, up, since, until from hosted_node_checks
                            where node_id = node.id order by since desc limit 1) latest
      order by node_id, since`.execute(this.#db);
    return r.rows.map((row) => ({ nodeId: row.node_id, up: row.up, since: row.since, until: row.until }));
  }
}
