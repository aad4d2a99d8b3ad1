/**
 * Funding transactions the LSP builds (one row per attempt). `transition` moves a row only
 * from the state it was read in, so the commit point is passed at most once.
 */
import type { Hex32, Outpoint, Sat } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { moveState, type StateUpdate } from './move-state.ts';
import type { Schema } from './schema.ts';
import type { ChannelFundingsTable, FundingChannelRecord, FundingState } from './tables/channels.ts';

/** A stored funding transaction. */
export interface ChannelFunding {
  readonly id: string;
  readonly state: FundingState;
  readonly feeRate: bigint;
  readonly lockId: Hex32;
  readonly channels: readonly FundingChannelRecord[];
  readonly txid: Hex32 | null;
  readonly psbt: string | null;
  readonly lockedInputs: readonly Outpoint[];
  readonly fee: Sat | null;
  readonly vsize: number | null;
  readonly failure: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What the wallet funded, recorded while still negotiating. */
export interface FundedFacts {
  readonly txid: Hex32;
  readonly psbt: string;
  readonly lockedInputs: readonly Outpoint[];
  readonly fee: Sat;
  readonly vsize: number;
}

/** Reads and writes funding transactions. */
export class ChannelFundingsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insert(f: {
    id: string;
    feeRate: bigint;
    lockId: Hex32;
    channels: readonly FundingChannelRecord[];
  }): Promise<void> {
    await this.#db
      .insertInto('channel_fundings')
      .values({
        id: f.id,
        state: 'negotiating',
        fee_rate_sat_per_vbyte: f.feeRate,
        lock_id: f.lockId,
        channels: JSON.stringify(f.channels),
      })
      .execute();
  }

  async get(id: string): Promise<ChannelFunding | undefined> {
    const r = await this.#db
      .selectFrom('channel_fundings')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r && toFunding(r);
  }

  /** Every funding transaction, oldest first (for the audit). */
  async all(): Promise<ChannelFunding[]> {
    const rows = await this.#db.selectFrom('channel_fundings').selectAll().orderBy('created_at').execute();
    return rows.map(toFunding);
  }

  async inStates(states: readonly FundingState[]): Promise<ChannelFunding[]> {
    const rows = await this.#db
      .selectFrom('channel_fundings')
      .selectAll()
      .where('state', 'in', [...states])
      .orderBy('created_at')
      .execute();
    return rows.map(toFunding);
  }

  /** Every funding with one of these txids (to tell ours from others' in LND's lists). */
  async byTxids(txids: readonly string[]): Promise<ChannelFunding[]> {
    if (txids.length === 0) return [];
    const rows = await this.#db
      .selectFrom('channel_fundings')
      .selectAll()
      .where('txid', 'in', [...txids])
      .execute();
    return rows.map(toFunding);
  }

  /** Which of these lock ids are of fundings given up (cancelled or withdrawn). */
  async givenUpLocks(lockIds: readonly string[]): Promise<Set<string>> {
    if (lockIds.length === 0) return new Set();
    const rows = await this.#db
      .selectFrom('channel_fundings')
      .select('lock_id')
      .where('lock_id', 'in', [...lockIds])
      .where('state', 'in', ['cancelled', 'withdrawn'])
      .execute();
    return new Set(rows.map((r) => r.lock_id));
  }

  /** Records what the wallet funded (still negotiating: nothing is signed). */
  async recordFunded(id: string, facts: FundedFacts): Promise<void> {
    await this.#db
      .updateTable('channel_fundings')
      .set({
        txid: facts.txid,
        psbt: facts.psbt,
        locked_inputs: JSON.stringify(facts.lockedInputs),
        fee_sat: facts.fee,
        vsize: facts.vsize,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .where('state', '=', 'negotiating')
      .execute();
  }

  /** Replaces the channel list (those still in the attempt), while negotiating. */
  async keepChannels(id: string, channels: readonly FundingChannelRecord[]): Promise<void> {
    await this.#db
      .updateTable('channel_fundings')
      .set({ channels: JSON.stringify(channels), updated_at: new Date() })
      .where('id', '=', id)
      .where('state', '=', 'negotiating')
      .execute();
  }

  /** Moves a funding from `from` to `to`; false when it was elsewhere. */
  transition(id: string, from: FundingState, to: FundingState, failure?: string): Promise<boolean> {
    const update: StateUpdate & { failure?: string } = { state: to, failure };
    return moveState(this.#db, { table: 'channel_fundings' }, id, from, update);
  }

  /** Sum of fees paid on-chain by published fundings (for the audit). */
  async publishedFees(): Promise<Sat> {
    const r = await this.#db
      .selectFrom('channel_fundings')
      .select(sql<string>`coalesce(sum(fee_sat), 0)::text`.as('fees'))
      .where('state', 'in', ['publishing', 'published'])
      .executeTakeFirstOrThrow();
    return BigInt(r.fees) as Sat;
  }
}

function toFunding(r: Selectable<ChannelFundingsTable>): ChannelFunding {
  const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  return {
    id: r.id,
    state: r.state,
    feeRate: r.fee_rate_sat_per_vbyte,
    lockId: r.lock_id as Hex32,
    channels: parse(r.channels),
    txid: r.txid as Hex32 | null,
    psbt: r.psbt,
    lockedInputs: parse(r.locked_inputs) ?? [],
    fee: r.fee_sat as Sat | null,
    vsize: r.vsize,
    failure: r.failure,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
