/**
 * LSPS2 JIT channels. The state column belongs to the JIT channel state machine;
 * `transition` moves it only from the expected state, so two forwarders can never both act on
 * one transition, and the unique payment hash means one payment opens at most one channel.
 */
import { type FundingState, type JitChannelState, type Msat, msat, type Sat, sat } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { moveState } from './move-state.ts';
import { type OwnerCounts, ownerCounts } from './owner-counts.ts';
import type { Schema } from './schema.ts';
import type { Lsps2JitChannelsTable } from './tables/lsps2.ts';
import { isUuid } from './uuid.ts';

/** A stored JIT channel (one `lsps2.buy`); each field is its column's, camelCased. */
export interface JitChannelRecord {
  readonly id: string;
  readonly ownerKind: 'node' | 'tenant';
  readonly owner: string;
  readonly clientPubkey: string;
  /** Decimal: scids in the alias range do not fit a signed bigint. */
  readonly jitScid: string;
  readonly minFeeMsat: Msat;
  /** The proportional fee, ppm of the payment. */
  readonly proportional: bigint;
  readonly validUntil: Date;
  readonly minLifetime: number;
  readonly maxClientToSelfDelay: number;
  readonly minPaymentSizeMsat: Msat;
  readonly maxPaymentSizeMsat: Msat;
  /** The payment size the client bought for (null: variable). */
  readonly paymentSizeMsat: Msat | null;
  /** bLIP-52 `client_trusts_lsp` as `lsps2.buy` answered it: the funding waits for the preimage. */
  readonly clientTrustsLsp: boolean;
  readonly state: JitChannelState;
  readonly paymentHash: string | null;
  readonly feeMsat: Msat | null;
  readonly channelCapacitySat: Sat | null;
  readonly fundingTxid: string | null;
  readonly fundingOutputIndex: number | null;
  /** The funding transaction it was committed in. */
  readonly fundingId: string | null;
  readonly channelScid: string | null;
  readonly failure: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A new JIT channel (it starts awaiting its payment). */
export type NewJitChannel = Pick<
  JitChannelRecord,
  | 'id'
  | 'ownerKind'
  | 'owner'
  | 'clientPubkey'
  | 'jitScid'
  | 'minFeeMsat'
  | 'proportional'
  | 'validUntil'
  | 'minLifetime'
  | 'maxClientToSelfDelay'
  | 'minPaymentSizeMsat'
  | 'maxPaymentSizeMsat'
  | 'paymentSizeMsat'
  | 'clientTrustsLsp'
>;

/** Fields a transition may set. */
export interface JitChannelUpdate {
  readonly state: JitChannelState;
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

  /** Records a bought JIT channel, awaiting its payment. */
  async insert(c: NewJitChannel): Promise<JitChannelRecord> {
    const row = await this.#db
      .insertInto('lsps2_jit_channels')
      .values({
        id: c.id,
        owner_kind: c.ownerKind,
        owner: c.owner,
        client_pubkey: c.clientPubkey,
        jit_scid: c.jitScid,
        min_fee_msat: c.minFeeMsat,
        proportional: c.proportional,
        valid_until: c.validUntil,
        min_lifetime: c.minLifetime,
        max_client_to_self_delay: c.maxClientToSelfDelay,
        min_payment_size_msat: c.minPaymentSizeMsat,
        max_payment_size_msat: c.maxPaymentSizeMsat,
        payment_size_msat: c.paymentSizeMsat,
        client_trusts_lsp: c.clientTrustsLsp,
        state: 'awaiting_payment',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toJitChannel(row);
  }

  async get(id: string): Promise<JitChannelRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toJitChannel(row);
  }

  /**
   * The JIT channel an HTLC for `scid` is for: the one bought with that JIT scid, or else one
   * awaiting its payment's preimage over a channel that has it as its own scid (an HTLC of
   * another payment sent over the new channel directly, while its funding is withheld).
   */
  async forOutgoingScid(scid: string): Promise<JitChannelRecord | undefined> {
    const rows = await this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('jit_scid', '=', scid),
          eb.and([eb('channel_scid', '=', scid), eb('state', '=', 'awaiting_preimage')]),
        ]),
      )
      .execute();
    const row = rows.find((r) => r.jit_scid === scid) ?? rows[0];
    return row && toJitChannel(row);
  }

  async byScid(jitScid: string): Promise<JitChannelRecord | undefined> {
    const row = await this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('jit_scid', '=', jitScid)
      .executeTakeFirst();
    return row && toJitChannel(row);
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
   * JIT channels opened to a client that it never settled the payment on (their funding
   * withheld, then withdrawn) in the last `withinDays` days.
   */
  async countWithdrawn(clientPubkey: string, withinDays: number): Promise<number> {
    const r = await this.#db
      .selectFrom('lsps2_jit_channels')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('client_pubkey', '=', clientPubkey)
      .where('state', '=', 'withdrawn')
      .where('updated_at', '>', sql<Date>`now() - make_interval(days => ${withinDays})`)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * JIT channels in `states` whose funding is still withheld (`channel_fundings.state`): for
   * `withdrawn` ones, a withdrawal a crash interrupted.
   */
  withWithheldFunding(states: readonly JitChannelState[]): Promise<JitChannelRecord[]> {
    return this.withFundingIn(states, ['withheld']);
  }

  /** JIT channels in `states` whose funding is in one of `fundingStates`, oldest first. */
  async withFundingIn(
    states: readonly JitChannelState[],
    fundingStates: readonly FundingState[],
  ): Promise<JitChannelRecord[]> {
    const rows = await this.#db
      .selectFrom('lsps2_jit_channels as j')
      .innerJoin('channel_fundings as f', 'f.id', 'j.funding_id')
      .selectAll('j')
      .where('j.state', 'in', [...states])
      .where('f.state', 'in', [...fundingStates])
      .orderBy('j.created_at')
      .execute();
    return rows.map(toJitChannel);
  }

  /** The JIT channels one funding transaction opens (a batch's members), oldest first. */
  async byFunding(fundingId: string): Promise<JitChannelRecord[]> {
    const rows = await this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('funding_id', '=', fundingId)
      .orderBy('created_at')
      .execute();
    return rows.map(toJitChannel);
  }

  /**
   * Buys still waiting for a payment whose fee params ran out before `before`: their JIT scids
   * lead nowhere any more (bLIP-52).
   */
  async expiredBuys(before: Date): Promise<JitChannelRecord[]> {
    const rows = await this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('state', '=', 'awaiting_payment')
      .where('valid_until', '<', before)
      .orderBy('valid_until')
      .limit(1000)
      .execute();
    return rows.map(toJitChannel);
  }

  /** Every JIT channel, oldest first (for the audit). */
  async all(): Promise<JitChannelRecord[]> {
    const rows = await this.#db.selectFrom('lsps2_jit_channels').selectAll().orderBy('created_at').execute();
    return rows.map(toJitChannel);
  }

  /** JIT channels in the given states, oldest first. */
  async inStates(states: readonly JitChannelState[]): Promise<JitChannelRecord[]> {
    const rows = await this.#db
      .selectFrom('lsps2_jit_channels')
      .selectAll()
      .where('state', 'in', [...states])
      .orderBy('created_at')
      .execute();
    return rows.map(toJitChannel);
  }

  /** Moves a JIT channel from `from` to the new state; false if it was no longer in `from`. */
  transition(id: string, from: JitChannelState, update: JitChannelUpdate): Promise<boolean> {
    return moveState(this.#db, { table: 'lsps2_jit_channels' }, id, from, update);
  }
}

function toJitChannel(r: Selectable<Lsps2JitChannelsTable>): JitChannelRecord {
  return {
    id: r.id,
    ownerKind: r.owner_kind,
    owner: r.owner,
    clientPubkey: r.client_pubkey,
    jitScid: r.jit_scid,
    minFeeMsat: msat(r.min_fee_msat),
    proportional: r.proportional,
    validUntil: r.valid_until,
    minLifetime: r.min_lifetime,
    maxClientToSelfDelay: r.max_client_to_self_delay,
    minPaymentSizeMsat: msat(r.min_payment_size_msat),
    maxPaymentSizeMsat: msat(r.max_payment_size_msat),
    paymentSizeMsat: r.payment_size_msat === null ? null : msat(r.payment_size_msat),
    clientTrustsLsp: r.client_trusts_lsp,
    state: r.state,
    paymentHash: r.payment_hash,
    feeMsat: r.fee_msat === null ? null : msat(r.fee_msat),
    channelCapacitySat: r.channel_capacity_sat === null ? null : sat(r.channel_capacity_sat),
    fundingTxid: r.funding_txid,
    fundingOutputIndex: r.funding_output_index,
    fundingId: r.funding_id,
    channelScid: r.channel_scid,
    failure: r.failure,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
