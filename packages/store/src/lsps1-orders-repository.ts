/**
 * LSPS1 orders. The state column belongs to the order state machine; `transition` moves it
 * only from the expected state, so two runners can never both act on one transition.
 */
import type { Kysely, Selectable } from 'kysely';
import { type OwnerCounts, ownerCounts } from './owner-counts.ts';
import type { Schema } from './schema.ts';
import type { Lsps1OrdersTable } from './tables/lsps1.ts';
import { isUuid } from './uuid.ts';

/** A stored order (amounts as bigint sats). */
export type Lsps1OrderRecord = Selectable<Lsps1OrdersTable>;

/** Fields a transition may set. */
export interface OrderUpdate {
  readonly state: string;
  readonly failure?: string;
  readonly fundingTxid?: string;
  readonly fundingOutputIndex?: number;
  readonly fundingId?: string;
  readonly fundedAt?: Date;
  /** How the order was paid, set with the transition that takes the payment. */
  readonly paymentMethod?: 'bolt11' | 'onchain';
  readonly refundTxid?: string;
}

/** Reads and writes LSPS1 orders. */
export class Lsps1OrdersRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insert(
    order: Omit<
      Lsps1OrderRecord,
      | 'created_at'
      | 'updated_at'
      | 'failure'
      | 'funding_txid'
      | 'funding_output_index'
      | 'funded_at'
      | 'payment_method'
      | 'refund_txid'
    >,
  ): Promise<Lsps1OrderRecord> {
    return this.#db.insertInto('lsps1_orders').values(order).returningAll().executeTakeFirstOrThrow();
  }

  /** The order if it exists and belongs to this owner. */
  async getOwned(
    id: string,
    ownerKind: 'node' | 'tenant',
    owner: string,
  ): Promise<Lsps1OrderRecord | undefined> {
    if (!isUuid(id)) return undefined;
    return this.#db
      .selectFrom('lsps1_orders')
      .selectAll()
      .where('id', '=', id)
      .where('owner_kind', '=', ownerKind)
      .where('owner', '=', owner)
      .executeTakeFirst();
  }

  async get(id: string): Promise<Lsps1OrderRecord | undefined> {
    if (!isUuid(id)) return undefined;
    return this.#db.selectFrom('lsps1_orders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Orders not in a final state, oldest first. */
  async active(): Promise<Lsps1OrderRecord[]> {
    return this.#db
      .selectFrom('lsps1_orders')
      .selectAll()
      .where('state', 'not in', ['completed', 'failed', 'expired'])
      .orderBy('created_at')
      .execute();
  }

  /**
   * Orders with an on-chain address whose receipts may still be held for their client: not
   * final, or final since `since`, or with a refund that has not confirmed. Oldest first.
   */
  async onchainInCustody(since: Date): Promise<Lsps1OrderRecord[]> {
    return this.#db
      .selectFrom('lsps1_orders')
      .selectAll()
      .where('onchain_address', 'is not', null)
      .where((eb) =>
        eb.or([
          eb('state', 'not in', ['completed', 'failed', 'expired']),
          eb('updated_at', '>=', since),
          eb.exists(
            eb
              .selectFrom('lsps1_refunds')
              .select('lsps1_refunds.txid')
              .whereRef('lsps1_refunds.order_id', '=', 'lsps1_orders.id')
              .where('lsps1_refunds.replaced_by', 'is', null)
              .where('lsps1_refunds.confirmed_at', 'is', null),
          ),
        ]),
      )
      .orderBy('created_at')
      .execute();
  }

  /** Unpaid orders (awaiting payment): the owner's, and everyone's. */
  countUnpaid(ownerKind: 'node' | 'tenant', owner: string): Promise<OwnerCounts> {
    return ownerCounts(this.#db, 'lsps1_orders', { kind: ownerKind, owner }, 'awaiting_payment');
  }

  /** Moves an order from `from` to the new state; false if it was no longer in `from`. */
  async transition(id: string, from: string, update: OrderUpdate): Promise<boolean> {
    const r = await this.#db
      .updateTable('lsps1_orders')
      .set({
        state: update.state,
        updated_at: new Date(),
        ...(update.failure !== undefined ? { failure: update.failure } : {}),
        ...(update.fundingTxid !== undefined ? { funding_txid: update.fundingTxid } : {}),
        ...(update.fundingOutputIndex !== undefined
          ? { funding_output_index: update.fundingOutputIndex }
          : {}),
        ...(update.fundingId !== undefined ? { funding_id: update.fundingId } : {}),
        ...(update.fundedAt !== undefined ? { funded_at: update.fundedAt } : {}),
        ...(update.paymentMethod !== undefined ? { payment_method: update.paymentMethod } : {}),
        ...(update.refundTxid !== undefined ? { refund_txid: update.refundTxid } : {}),
      })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}
