/**
 * On-chain refunds of LSPS1 orders, one row per transaction broadcast (0008): the first
 * refund and each fee bump that replaces it. A row is written before its transaction is
 * published; `replace` records a bump and retires what it replaces in one transaction, so a
 * chain of refunds (one set of inputs) never has two live ones. An order has one chain per
 * refund sent: a second when something reached its address after the first went out.
 */
import type { Hex32, Sat } from '@blgv/core';
import type { Kysely, Selectable } from 'kysely';
import type { Schema } from './schema.ts';
import type { Lsps1RefundsTable } from './tables/lsps1.ts';

/** One refund transaction. */
export interface Lsps1Refund {
  readonly txid: Hex32;
  readonly orderId: string;
  /** The signed transaction, hex. */
  readonly rawTx: string;
  readonly feeRate: bigint;
  readonly fee: Sat;
  /** What the refund address receives. */
  readonly amount: Sat;
  readonly refundAddress: string;
  readonly replacedBy: Hex32 | null;
  readonly confirmedAt: Date | null;
  /** When it was first written (published right after). */
  readonly createdAt: Date;
}

/** A refund about to be published. */
export type NewLsps1Refund = Omit<Lsps1Refund, 'replacedBy' | 'confirmedAt' | 'createdAt'>;

/** Reads and writes LSPS1 refunds. */
export class Lsps1RefundsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Records a first refund (signed, not yet published). */
  async insert(r: NewLsps1Refund): Promise<void> {
    await this.#db.insertInto('lsps1_refunds').values(toRow(r)).execute();
  }

  /** Every refund of an order, oldest first. */
  async forOrder(orderId: string): Promise<Lsps1Refund[]> {
    const rows = await this.#db
      .selectFrom('lsps1_refunds')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('created_at')
      .execute();
    return rows.map(toRefund);
  }

  /** Every refund, oldest first (the audit). */
  async all(): Promise<Lsps1Refund[]> {
    const rows = await this.#db.selectFrom('lsps1_refunds').selectAll().orderBy('created_at').execute();
    return rows.map(toRefund);
  }

  /** Every refund of these orders, oldest first. */
  async forOrders(orderIds: readonly string[]): Promise<Lsps1Refund[]> {
    if (orderIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('lsps1_refunds')
      .selectAll()
      .where('order_id', 'in', orderIds)
      .orderBy('created_at')
      .execute();
    return rows.map(toRefund);
  }

  /** The orders with a refund not confirmed yet, oldest first (each once). */
  async unconfirmedOrders(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('lsps1_refunds')
      .select('order_id')
      .where('replaced_by', 'is', null)
      .where('confirmed_at', 'is', null)
      .orderBy('created_at')
      .execute();
    return [...new Set(rows.map((r) => r.order_id))];
  }

  /**
   * Records a bump: `bump` (signed, not yet published) replaces the live refund `txid`. False
   * (nothing written) when `txid` is no longer the live one.
   */
  async replace(txid: Hex32, bump: NewLsps1Refund): Promise<boolean> {
    return this.#db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('lsps1_refunds').values(toRow(bump)).execute();
        const r = await trx
          .updateTable('lsps1_refunds')
          .set({ replaced_by: bump.txid })
          .where('txid', '=', txid)
          .where('replaced_by', 'is', null)
          .where('confirmed_at', 'is', null)
          .executeTakeFirst();
        if (r.numUpdatedRows === 0n) throw new StaleRefund();
        return true;
      })
      .catch((err: unknown) => {
        if (err instanceof StaleRefund) return false;
        throw err;
      });
  }

  /**
   * Records that `txid` confirmed: it is its chain's refund, and every other refund of the
   * chain (`chain`: the refund and its bumps, which spent the same inputs) is replaced by it.
   * Another chain of the same order (a later refund of what arrived later) is left alone.
   */
  async confirm(txid: Hex32, chain: readonly Hex32[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('lsps1_refunds')
        .set({ confirmed_at: new Date(), replaced_by: null })
        .where('txid', '=', txid)
        .execute();
      const others = chain.filter((t) => t !== txid);
      if (others.length > 0)
        await trx
          .updateTable('lsps1_refunds')
          .set({ replaced_by: txid })
          .where('txid', 'in', others)
          .execute();
    });
  }
}

/** The live refund moved on while a bump was being built. */
class StaleRefund extends Error {}

function toRow(r: NewLsps1Refund) {
  return {
    txid: r.txid,
    order_id: r.orderId,
    raw_tx: r.rawTx,
    fee_rate_sat_per_vbyte: r.feeRate,
    fee_sat: r.fee,
    amount_sat: r.amount,
    refund_address: r.refundAddress,
  };
}

function toRefund(r: Selectable<Lsps1RefundsTable>): Lsps1Refund {
  return {
    txid: r.txid as Hex32,
    orderId: r.order_id,
    rawTx: r.raw_tx,
    feeRate: r.fee_rate_sat_per_vbyte,
    fee: r.fee_sat as Sat,
    amount: r.amount_sat as Sat,
    refundAddress: r.refund_address,
    replacedBy: r.replaced_by as Hex32 | null,
    confirmedAt: r.confirmed_at,
    createdAt: r.created_at,
  };
}
