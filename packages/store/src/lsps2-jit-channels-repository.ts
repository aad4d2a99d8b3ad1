/**
 * LSPS2 JIT channels. The state column belongs to the JIT channel state machine;
 * `transition` moves it only from the expected state, so two forwarders can never both act on
 * one transition, and the unique payment hash means one payment opens at most one channel.
 */
import type { Kysely, Selectable } from 'kysely';
import { type OwnerCounts, ownerCounts } from './owner-counts.ts';
import type { Schema } from './schema.ts';
import type { Lsps2JitChannelsTable } from './tables/lsps2.ts';
import { isUuid } from './uuid.ts';

/** A stored JIT channel. */
export type JitChannelRecord = Selectable<Lsps2JitChannelsTable>;

/** Fields a transition may set. */
export interface JitChannelUpdate {
  readonly state: string;
  readonly paymentHash?: string;
  readonly feeMsat?: bigint;
  readonly channelCapacitySat?: bigint;
  readonly fundingTxid?: string;
  readonly fundingOutputIndex?: number;
  readonly fundingId?: string;
  readonly channelScid?: string;
  readonly failure?: string;
}

/** Reads and writes JIT channels. */
export class Lsps2JitChannelsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insert(
    row: Pick<
      JitChannelRecord,
      | 'id'
      | 'owner_kind'
      | 'owner'
      | 'client_pubkey'
      | 'jit_scid'
      | 'min_fee_msat'
      | 'proportional'
      | 'valid_until'
      | 'min_lifetime'
      | 'max_client_to_self_delay'
      | 'min_payment_size_msat'
      | 'max_payment_size_msat'
      | 'payment_size_msat'
      | 'state'
    >,
  ): Promise<JitChannelRecord> {
    return this.#db.insertInto('lsps2_jit_channels').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async get(id: string): Promise<JitChannelRecord | undefined> {
    if (!isUuid(id)) return undefined;
    return this.#db.selectFrom('lsps2_jit_channels').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byScid(jitScid: string): Promise<JitChannelRecord | undefined> {
    return this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('jit_scid', '=', jitScid)
      .executeTakeFirst();
  }

  /** Buys waiting for their payment whose fee params are still valid: the owner's, and everyone's. */
  countOpenBuys(ownerKind: 'node' | 'tenant', owner: string): Promise<OwnerCounts> {
    return ownerCounts(
      this.#db,
      'lsps2_jit_channels',
      { kind: ownerKind, owner },
      'awaiting_payment',
      new Date(),
    );
  }

  /**
   * Buys still waiting for a payment whose fee params ran out before `before`: their JIT scids
   * lead nowhere any more (bLIP-52).
   */
  async expiredBuys(before: Date): Promise<JitChannelRecord[]> {
    return this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('state', '=', 'awaiting_payment')
      .where('valid_until', '<', before)
      .orderBy('valid_until')
      .limit(1000)
      .execute();
  }

  /** JIT channels in the given states, oldest first. */
  async inStates(states: readonly string[]): Promise<JitChannelRecord[]> {
    return this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('state', 'in', [...states])
      .orderBy('created_at')
      .execute();
  }

  /** Moves a JIT channel from `from` to the new state; false if it was no longer in `from`. */
  async transition(id: string, from: string, update: JitChannelUpdate): Promise<boolean> {
    const r = await this.#db
      .updateTable('lsps2_jit_channels')
      .set({
        state: update.state,
        updated_at: new Date(),
        ...(update.paymentHash !== undefined ? { payment_hash: update.paymentHash } : {}),
        ...(update.feeMsat !== undefined ? { fee_msat: update.feeMsat } : {}),
        ...(update.channelCapacitySat !== undefined
          ? { channel_capacity_sat: update.channelCapacitySat }
          : {}),
        ...(update.fundingTxid !== undefined ? { funding_txid: update.fundingTxid } : {}),
        ...(update.fundingId !== undefined ? { funding_id: update.fundingId } : {}),
        ...(update.fundingOutputIndex !== undefined
          ? { funding_output_index: update.fundingOutputIndex }
          : {}),
        ...(update.channelScid !== undefined ? { channel_scid: update.channelScid } : {}),
        ...(update.failure !== undefined ? { failure: update.failure } : {}),
      })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}
