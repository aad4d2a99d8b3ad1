/**
 * Wrapped invoices and their fee quotes (0023). The state column belongs to the wrapped invoice
 * machine; `transition` moves it only from the state read, and the unique payment hash means one
 * payment is wrapped at most once.
 */
import { type Hex32, type Msat, msat, type Sat, sat, type WrappedInvoiceState } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { moveState } from './move-state.ts';
import type { Schema } from './schema.ts';
import type { WrappedFeeQuotesTable, WrappedInvoicesTable } from './tables/wrapped.ts';
import { isUuid } from './uuid.ts';

/** A stored fee quote. */
export interface WrappedFeeQuote {
  readonly id: string;
  readonly tenantId: string | null;
  readonly walletPubkey: string;
  readonly amount: Msat;
  readonly fee: Msat;
  readonly feeRate: bigint;
  readonly expiresAt: Date;
  readonly createdAt: Date;
}

/** A stored wrapped invoice; each field is its column's, camelCased. */
export interface WrappedInvoiceRecord {
  readonly id: string;
  readonly feeId: string;
  readonly tenantId: string | null;
  readonly walletPubkey: string;
  readonly paymentHash: Hex32;
  readonly walletInvoice: string;
  readonly walletAmount: Msat;
  readonly walletCltv: number;
  readonly fee: Msat;
  readonly wrappedInvoice: string;
  readonly wrappedCltv: number;
  readonly expiresAt: Date;
  readonly state: WrappedInvoiceState;
  readonly channelCapacity: Sat | null;
  readonly fundingId: string | null;
  readonly fundingTxid: string | null;
  readonly fundingOutputIndex: number | null;
  readonly channelScid: string | null;
  readonly preimage: Hex32 | null;
  readonly failure: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A new wrapped invoice (it starts awaiting its payment). */
export type NewWrappedInvoice = Omit<
  WrappedInvoiceRecord,
  | 'state'
  | 'channelCapacity'
  | 'fundingId'
  | 'fundingTxid'
  | 'fundingOutputIndex'
  | 'channelScid'
  | 'preimage'
  | 'failure'
  | 'createdAt'
  | 'updatedAt'
>;

/** Fields a transition may set. */
export interface WrappedInvoiceUpdate {
  readonly state: WrappedInvoiceState;
  readonly channelCapacitySat?: bigint;
  readonly fundingId?: string;
  readonly fundingTxid?: string;
  readonly fundingOutputIndex?: number;
  readonly channelScid?: string;
  readonly preimage?: string;
  readonly failure?: string;
}

/** Reads and writes wrapped invoices and fee quotes. */
export class WrappedInvoicesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insertQuote(q: Omit<WrappedFeeQuote, 'createdAt'>): Promise<WrappedFeeQuote> {
    const row = await this.#db
      .insertInto('wrapped_fee_quotes')
      .values({
        id: q.id,
        tenant_id: q.tenantId,
        wallet_pubkey: q.walletPubkey,
        amount_msat: q.amount,
        fee_msat: q.fee,
        fee_rate_sat_per_vbyte: q.feeRate,
        expires_at: q.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toQuote(row);
  }

  async quote(id: string): Promise<WrappedFeeQuote | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db
      .selectFrom('wrapped_fee_quotes')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toQuote(row);
  }

  /** Forgets quotes that expired before `before` and no invoice names; how many. */
  async pruneQuotes(before: Date): Promise<number> {
    const r = await this.#db
      .deleteFrom('wrapped_fee_quotes')
      .where('expires_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('wrapped_invoices')
              .select('wrapped_invoices.id')
              .whereRef('wrapped_invoices.fee_id', '=', 'wrapped_fee_quotes.id'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Records a wrapped invoice, awaiting its payment (a unique violation: the hash is taken). */
  async insert(w: NewWrappedInvoice): Promise<WrappedInvoiceRecord> {
    const row = await this.#db
      .insertInto('wrapped_invoices')
      .values({
        id: w.id,
        fee_id: w.feeId,
        tenant_id: w.tenantId,
        wallet_pubkey: w.walletPubkey,
        payment_hash: w.paymentHash,
        wallet_invoice: w.walletInvoice,
        wallet_amount_msat: w.walletAmount,
        wallet_cltv: w.walletCltv,
        fee_msat: w.fee,
        wrapped_invoice: w.wrappedInvoice,
        wrapped_cltv: w.wrappedCltv,
        expires_at: w.expiresAt,
        state: 'awaiting_payment',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWrapped(row);
  }

  async get(id: string): Promise<WrappedInvoiceRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db
      .selectFrom('wrapped_invoices')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toWrapped(row);
  }

  async byHash(paymentHash: string): Promise<WrappedInvoiceRecord | undefined> {
    const row = await this.#db
      .selectFrom('wrapped_invoices')
      .selectAll()
      .where('payment_hash', '=', paymentHash)
      .executeTakeFirst();
    return row && toWrapped(row);
  }

  /** Wrapped invoices in the given states, oldest first. */
  async inStates(states: readonly WrappedInvoiceState[]): Promise<WrappedInvoiceRecord[]> {
    const rows = await this.#db
      .selectFrom('wrapped_invoices')
      .selectAll()
      .where('state', 'in', [...states])
      .orderBy('created_at')
      .execute();
    return rows.map(toWrapped);
  }

  /** Wrapped invoices not ended yet: one wallet's (its open proposals), or everyone's. */
  async countOpen(walletPubkey?: string): Promise<number> {
    const r = await this.#db
      .selectFrom('wrapped_invoices')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .$if(walletPubkey !== undefined, (q) => q.where('wallet_pubkey', '=', walletPubkey ?? ''))
      .where('state', 'in', ['awaiting_payment', 'opening', 'paying', 'settling'])
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Channels opened for one wallet (their funding withheld) whose payment it never settled:
   * wrapped invoices that failed after their commit point, in the last `withinDays` days.
   */
  async countUnsettledChannels(walletPubkey: string, withinDays: number): Promise<number> {
    const r = await this.#db
      .selectFrom('wrapped_invoices')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('wallet_pubkey', '=', walletPubkey)
      .where('state', '=', 'failed')
      .where('funding_id', 'is not', null)
      .where('updated_at', '>', sql<Date>`now() - make_interval(days => ${withinDays})`)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** The wrapped invoices one funding transaction opens channels for (a batch), oldest first. */
  async byFunding(fundingId: string): Promise<WrappedInvoiceRecord[]> {
    const rows = await this.#db
      .selectFrom('wrapped_invoices')
      .selectAll()
      .where('funding_id', '=', fundingId)
      .orderBy('created_at')
      .execute();
    return rows.map(toWrapped);
  }

  /**
   * Wrapped invoices that failed since `since`, or whose funding is still withheld however long
   * ago they failed: what a failure's clean-up (its hold cancelled, its funding withdrawn) may
   * not have finished, oldest first.
   */
  async failedToTidy(since: Date): Promise<WrappedInvoiceRecord[]> {
    const rows = await this.#db
      .selectFrom('wrapped_invoices as w')
      .leftJoin('channel_fundings as f', (j) => j.on(sql<boolean>`f.id::text = w.funding_id`))
      .selectAll('w')
      .where('w.state', '=', 'failed')
      .where((eb) => eb.or([eb('w.updated_at', '>=', since), eb('f.state', '=', 'withheld')]))
      .orderBy('w.created_at')
      .execute();
    return rows.map(toWrapped);
  }

  /** Failed wrapped invoices whose funding went out all the same (released by another of its batch). */
  async failedWithFundingOut(): Promise<WrappedInvoiceRecord[]> {
    const rows = await this.#db
      .selectFrom('wrapped_invoices as w')
      // `wrapped_invoices.funding_id` is text, `channel_fundings.id` a uuid.
      .innerJoin('channel_fundings as f', (j) => j.on(sql<boolean>`f.id::text = w.funding_id`))
      .selectAll('w')
      .where('w.state', '=', 'failed')
      .where('f.state', 'in', ['publishing', 'published'])
      .orderBy('w.created_at')
      .execute();
    return rows.map(toWrapped);
  }

  /** Every wrapped invoice, oldest first (for the audit). */
  async all(): Promise<WrappedInvoiceRecord[]> {
    const rows = await this.#db.selectFrom('wrapped_invoices').selectAll().orderBy('created_at').execute();
    return rows.map(toWrapped);
  }

  /** Moves a wrapped invoice from `from` to the new state; false if it was no longer in `from`. */
  transition(id: string, from: WrappedInvoiceState, update: WrappedInvoiceUpdate): Promise<boolean> {
    return moveState(this.#db, { table: 'wrapped_invoices' }, id, from, update);
  }
}

function toQuote(r: Selectable<WrappedFeeQuotesTable>): WrappedFeeQuote {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    walletPubkey: r.wallet_pubkey,
    amount: msat(r.amount_msat),
    fee: msat(r.fee_msat),
    feeRate: BigInt(r.fee_rate_sat_per_vbyte),
    expiresAt: r.expires_at,
    createdAt: r.created_at,
  };
}

function toWrapped(r: Selectable<WrappedInvoicesTable>): WrappedInvoiceRecord {
  return {
    id: r.id,
    feeId: r.fee_id,
    tenantId: r.tenant_id,
    walletPubkey: r.wallet_pubkey,
    paymentHash: r.payment_hash as Hex32,
    walletInvoice: r.wallet_invoice,
    walletAmount: msat(r.wallet_amount_msat),
    walletCltv: r.wallet_cltv,
    fee: msat(r.fee_msat),
    wrappedInvoice: r.wrapped_invoice,
    wrappedCltv: r.wrapped_cltv,
    expiresAt: r.expires_at,
    state: r.state,
    channelCapacity: r.channel_capacity_sat === null ? null : sat(r.channel_capacity_sat),
    fundingId: r.funding_id,
    fundingTxid: r.funding_txid,
    fundingOutputIndex: r.funding_output_index,
    channelScid: r.channel_scid,
    preimage: r.preimage as Hex32 | null,
    failure: r.failure,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
