/**
 * Liquidity purchases from an upstream LSP. The state column belongs to the purchase state
 * machine; `transition` moves it only from the expected state, so two runners never both act.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Schema } from './schema.ts';
import type { LiquidityPurchasesTable } from './tables/liquidity.ts';
import { isUuid } from './uuid.ts';

/** A stored purchase (amounts as bigint sats). */
export type LiquidityPurchaseRecord = Selectable<LiquidityPurchasesTable>;

/** Fields a transition may set. */
export interface PurchaseUpdate {
  readonly state: string;
  readonly failure?: string;
  readonly paymentTxid?: string;
  readonly onchainFee?: bigint;
  readonly fundingOutpoint?: string;
  readonly outbound?: bigint;
}

/** Reads and writes liquidity purchases. */
export class LiquidityPurchasesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insert(purchase: Insertable<LiquidityPurchasesTable>): Promise<LiquidityPurchaseRecord> {
    return this.#db
      .insertInto('liquidity_purchases')
      .values(purchase)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async get(id: string): Promise<LiquidityPurchaseRecord | undefined> {
    if (!isUuid(id)) return undefined;
    return this.#db.selectFrom('liquidity_purchases').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Purchases not in a final state, oldest first. */
  async active(): Promise<LiquidityPurchaseRecord[]> {
    return this.#db
      .selectFrom('liquidity_purchases')
      .selectAll()
      .where('state', 'not in', ['completed', 'refused', 'failed'])
      .orderBy('created_at')
      .execute();
  }

  /** Moves a purchase from `from` to the new state; false if it was no longer in `from`. */
  async transition(id: string, from: string, update: PurchaseUpdate): Promise<boolean> {
    const r = await this.#db
      .updateTable('liquidity_purchases')
      .set({
        state: update.state,
        updated_at: new Date(),
        ...(update.failure !== undefined ? { failure: update.failure } : {}),
        ...(update.paymentTxid !== undefined ? { payment_txid: update.paymentTxid } : {}),
        ...(update.onchainFee !== undefined ? { onchain_fee_sat: update.onchainFee } : {}),
        ...(update.fundingOutpoint !== undefined ? { funding_outpoint: update.fundingOutpoint } : {}),
        ...(update.outbound !== undefined ? { outbound_sat: update.outbound } : {}),
      })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}
