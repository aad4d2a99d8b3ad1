/**
 * Channels the LSP closes because their client never paid (a withheld batch's member whose
 * batch went out without it): what each cost the LSP of its funding and, once resolved, its
 * close, as its own expense.
 */
import { type Sat, sat } from '@blgv/core';
import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';

/** What unpaid channels cost the LSP. */
export interface UnpaidChannelCosts {
  readonly count: number;
  /** Their shares of their funding transactions' fees. */
  readonly fundingShareSat: Sat;
  /** What their closes cost, for those resolved so far. */
  readonly closeFeeSat: Sat;
}

/** A close the LSP asked for whose cost is not known yet. */
export interface UnpricedClose {
  readonly owner: string;
  /** `txid:index`. */
  readonly channelPoint: string;
  readonly capacity: Sat;
}

/** An unpaid channel, as the closer records it once it has looked (and closed it if still open). */
export interface NewUnpaidChannel {
  /** The channel's owner in its funding (`jit:<id>`, `wrapped:<id>`). */
  readonly owner: string;
  readonly clientPubkey: string;
  readonly fundingId: string;
  /** `txid:index`. */
  readonly channelPoint: string;
  /** The close the LSP asked for; null when the channel was found no longer open. */
  readonly closingTxid: string | null;
}

/** An unpaid channel as recorded. */
export interface UnpaidChannelRecord extends NewUnpaidChannel {
  readonly capacity: Sat;
  readonly fundingShare: Sat;
  readonly createdAt: Date;
}

/** Records and sums unpaid channels. */
export class UnpaidChannelsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Records an unpaid channel once (again: nothing), its capacity and its share of the funding
   * transaction's fee (the fee divided equally among the funding's channels, rounded up) read
   * from its funding's record. Throws when the funding has no fee yet or no channel of `owner`.
   */
  async record(c: NewUnpaidChannel): Promise<void> {
    const funding = await this.#db
      .selectFrom('channel_fundings')
      .select(['fee_sat', 'channels'])
      .where('id', '=', c.fundingId)
      .executeTakeFirst();
    const mine = funding?.channels.find((ch) => ch.owner === c.owner);
    if (!funding || funding.fee_sat === null || !mine)
      throw new Error(`unpaid channel ${c.owner}: funding ${c.fundingId} has no fee or no such channel`);
    const n = BigInt(funding.channels.length);
    await this.#db
      .insertInto('unpaid_channels')
      .values({
        id: c.owner,
        state: c.closingTxid === null ? 'not_open' : 'closing',
        closing_txid: c.closingTxid,
        client_pubkey: c.clientPubkey,
        funding_id: c.fundingId,
        channel_point: c.channelPoint,
        capacity_sat: BigInt(mine.amountSat),
        funding_share_sat: (funding.fee_sat + n - 1n) / n,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** Which of `owners` are recorded. */
  async recorded(owners: readonly string[]): Promise<Set<string>> {
    if (owners.length === 0) return new Set();
    const rows = await this.#db
      .selectFrom('unpaid_channels')
      .select('id')
      .where('id', 'in', [...owners])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * The unpaid channels (of owners beginning with `ownerPrefix`) whose close's cost is not
   * recorded yet: closed by the LSP, or found no longer open (closed by their client, or by the
   * LSP before a crash let it record so).
   */
  async unpricedCloses(ownerPrefix: string): Promise<UnpricedClose[]> {
    const rows = await this.#db
      .selectFrom('unpaid_channels')
      .select(['id', 'channel_point', 'capacity_sat'])
      .where('id', 'like', `${ownerPrefix}%`)
      .where('close_fee_sat', 'is', null)
      .execute();
    return rows.map((r) => ({ owner: r.id, channelPoint: r.channel_point, capacity: sat(r.capacity_sat) }));
  }

  /** Records what an unpaid channel's close cost, once (again: nothing); true when it did. */
  async recordCloseFee(owner: string, fee: Sat): Promise<boolean> {
    const r = await this.#db
      .updateTable('unpaid_channels')
      .set({ close_fee_sat: fee })
      .where('id', '=', owner)
      .where('close_fee_sat', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Every unpaid channel recorded, oldest first (they are few: see lsps2.md). */
  async list(): Promise<UnpaidChannelRecord[]> {
    const rows = await this.#db.selectFrom('unpaid_channels').selectAll().orderBy('created_at').execute();
    return rows.map((r) => ({
      owner: r.id,
      clientPubkey: r.client_pubkey,
      fundingId: r.funding_id,
      channelPoint: r.channel_point,
      closingTxid: r.closing_txid,
      capacity: sat(r.capacity_sat),
      fundingShare: sat(r.funding_share_sat),
      createdAt: r.created_at,
    }));
  }

  /** The unpaid channels recorded since `from` (all, without): their funding shares and closes. */
  async costs(from?: Date): Promise<UnpaidChannelCosts> {
    let q = this.#db
      .selectFrom('unpaid_channels')
      .select((eb) => [
        eb.fn.countAll<string>().as('n'),
        eb.fn.sum<string | null>('funding_share_sat').as('share'),
        eb.fn.sum<string | null>('close_fee_sat').as('closes'),
      ]);
    if (from) q = q.where('created_at', '>=', from);
    const r = await q.executeTakeFirstOrThrow();
    return {
      count: Number(r.n),
      fundingShareSat: sat(BigInt(r.share ?? 0)),
      closeFeeSat: sat(BigInt(r.closes ?? 0)),
    };
  }
}
