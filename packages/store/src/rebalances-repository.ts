/**
 * The routing-rebalance job's record (0022): each circular payment it made, refused or saw
 * fail, with its reason (one `rebalance` event per state, by trigger), and what the made ones
 * cost the LSP: its own expense, kept here and never in a tenant's ledger.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Schema } from './schema.ts';

/** A rebalance's state: `sending` until LND says, or refused before anything was sent. */
export type RebalanceState = 'sending' | 'succeeded' | 'refused' | 'failed';

/** What a rebalance is: out over the source channel, back in over the target. */
export interface RebalanceAttempt {
  readonly sourceChannelPoint: string;
  readonly sourceScid: string;
  readonly targetChannelPoint: string;
  readonly targetScid: string;
  /** The target channel's peer: the circular payment's last hop. */
  readonly targetPeer: string;
  readonly amountSat: bigint;
  /** LND's fee limit: the economic bound, capped by what is left of the day's budget. */
  readonly maxFeeMsat: bigint;
}

/** A recorded rebalance. */
export interface RebalanceRecord extends RebalanceAttempt {
  readonly id: string;
  readonly createdAt: Date;
  readonly state: RebalanceState;
  readonly feeMsat: bigint | undefined;
  readonly paymentHash: string | undefined;
  readonly reason: string;
}

type Row = Selectable<Schema['rebalances']>;

/** Reads and writes rebalances. */
export class RebalancesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Records an attempt in `state` (`sending`: about to pay `paymentHash`; `refused`: not made). */
  async record(
    a: RebalanceAttempt,
    state: 'sending' | 'refused',
    reason: string,
    paymentHash?: string,
  ): Promise<string> {
    const id = randomUUID();
    await this.#db
      .insertInto('rebalances')
      .values({
        id,
        state,
        source_channel_point: a.sourceChannelPoint,
        source_scid: a.sourceScid,
        target_channel_point: a.targetChannelPoint,
        target_scid: a.targetScid,
        target_peer: a.targetPeer,
        amount_sat: a.amountSat,
        max_fee_msat: a.maxFeeMsat,
        fee_msat: null,
        payment_hash: paymentHash ?? null,
        reason,
      })
      .execute();
    return id;
  }

  /** Ends a sending rebalance: succeeded with what it cost; refused (no route within its fee limit) or failed, nothing spent. */
  async finish(
    id: string,
    outcome: { state: 'succeeded' | 'refused' | 'failed'; feeMsat?: bigint; reason: string },
  ) {
    await this.#db
      .updateTable('rebalances')
      .set({
        state: outcome.state,
        fee_msat: outcome.feeMsat ?? null,
        reason: outcome.reason,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .where('state', '=', 'sending')
      .execute();
  }

  /** What the rebalances created since `from` cost or may still cost (sending ones at their limit). */
  async committedSince(from: Date): Promise<bigint> {
    const rows = await this.#db
      .selectFrom('rebalances')
      .select(['state', 'fee_msat', 'max_fee_msat'])
      .where('created_at', '>=', from)
      .where('state', 'in', ['sending', 'succeeded'])
      .execute();
    return rows.reduce((sum, r) => sum + (r.state === 'sending' ? r.max_fee_msat : (r.fee_msat ?? 0n)), 0n);
  }

  /** The succeeded rebalances since `from` (all, without): how many, what they moved and cost. */
  async costs(from?: Date): Promise<{ count: number; movedSat: bigint; feeMsat: bigint }> {
    let q = this.#db
      .selectFrom('rebalances')
      .select(['amount_sat', 'fee_msat'])
      .where('state', '=', 'succeeded');
    if (from) q = q.where('created_at', '>=', from);
    const rows = await q.execute();
    return {
      count: rows.length,
      movedSat: rows.reduce((s, r) => s + r.amount_sat, 0n),
      feeMsat: rows.reduce((s, r) => s + (r.fee_msat ?? 0n), 0n),
    };
  }

  /** The newest rebalances first (at most `limit`). */
  async list(limit: number, states?: readonly RebalanceState[]): Promise<RebalanceRecord[]> {
    let q = this.#db.selectFrom('rebalances').selectAll().orderBy('created_at', 'desc').limit(limit);
    if (states) q = q.where('state', 'in', [...states]);
    return (await q.execute()).map(fromRow);
  }
}

function fromRow(r: Row): RebalanceRecord {
  return {
    id: r.id,
    createdAt: r.created_at,
    state: r.state,
    sourceChannelPoint: r.source_channel_point,
    sourceScid: r.source_scid,
    targetChannelPoint: r.target_channel_point,
    targetScid: r.target_scid,
    targetPeer: r.target_peer,
    amountSat: r.amount_sat,
    maxFeeMsat: r.max_fee_msat,
    feeMsat: r.fee_msat ?? undefined,
    paymentHash: r.payment_hash ?? undefined,
    reason: r.reason,
  };
}
