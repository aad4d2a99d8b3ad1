/**
 * LSPS1 orders. The state column belongs to the order state machine; `transition` moves it
 * only from the expected state, so two runners can never both act on one transition.
 */
import { type OrderState, type Sat, sat } from '@blgv/core';
import type { Kysely, Selectable } from 'kysely';
import { moveState } from './move-state.ts';
import { type OwnerCounts, ownerCounts } from './owner-counts.ts';
import type { Schema } from './schema.ts';
import type { Lsps1OrdersTable } from './tables/lsps1.ts';
import { isUuid } from './uuid.ts';

/** A stored order; each field is its column's, camelCased. */
export interface Lsps1OrderRecord {
  readonly id: string;
  readonly ownerKind: 'node' | 'tenant';
  readonly owner: string;
  readonly clientPubkey: string;
  readonly clientHost: string | null;
  readonly lspBalanceSat: Sat;
  readonly clientBalanceSat: Sat;
  readonly requiredChannelConfirmations: number;
  readonly fundingConfirmsWithinBlocks: number;
  readonly channelExpiryBlocks: number;
  readonly token: string;
  readonly refundOnchainAddress: string | null;
  readonly announceChannel: boolean;
  /** The opening fee plus the network fee. */
  readonly feeTotalSat: Sat;
  /** The part of `feeTotalSat` that pays the funding transaction. */
  readonly networkFeeSat: Sat;
  /** The funding transaction the channel was committed in. */
  readonly fundingId: string | null;
  /** The fee plus the client's balance: what the client pays. */
  readonly orderTotalSat: Sat;
  readonly paymentHash: string;
  readonly invoice: string;
  readonly preimageCiphertext: string;
  readonly invoiceExpiresAt: Date;
  readonly state: OrderState;
  readonly failure: string | null;
  readonly fundingTxid: string | null;
  readonly fundingOutputIndex: number | null;
  readonly fundedAt: Date | null;
  /** A fresh address of ours, when the order may be paid on-chain. */
  readonly onchainAddress: string | null;
  readonly onchainStartHeight: number | null;
  readonly onchainConfirmations: number | null;
  readonly onchainExpiresAt: Date | null;
  readonly paymentMethod: 'bolt11' | 'onchain' | null;
  readonly refundTxid: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A new order (it starts awaiting payment). */
export type NewLsps1Order = Omit<
  Lsps1OrderRecord,
  | 'state'
  | 'failure'
  | 'fundingId'
  | 'fundingTxid'
  | 'fundingOutputIndex'
  | 'fundedAt'
  | 'paymentMethod'
  | 'refundTxid'
  | 'createdAt'
  | 'updatedAt'
>;

/** Fields a transition may set. */
export interface OrderUpdate {
  readonly state: OrderState;
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

  /** Records a new order, awaiting payment. */
  async insert(order: NewLsps1Order): Promise<Lsps1OrderRecord> {
    const row = await this.#db
      .insertInto('lsps1_orders')
      .values({
        id: order.id,
        owner_kind: order.ownerKind,
        owner: order.owner,
        client_pubkey: order.clientPubkey,
        client_host: order.clientHost,
        lsp_balance_sat: order.lspBalanceSat,
        client_balance_sat: order.clientBalanceSat,
        required_channel_confirmations: order.requiredChannelConfirmations,
        funding_confirms_within_blocks: order.fundingConfirmsWithinBlocks,
        channel_expiry_blocks: order.channelExpiryBlocks,
        token: order.token,
        refund_onchain_address: order.refundOnchainAddress,
        announce_channel: order.announceChannel,
        fee_total_sat: order.feeTotalSat,
        network_fee_sat: order.networkFeeSat,
        funding_id: null,
        order_total_sat: order.orderTotalSat,
        payment_hash: order.paymentHash,
        invoice: order.invoice,
        preimage_ciphertext: order.preimageCiphertext,
        invoice_expires_at: order.invoiceExpiresAt,
        onchain_address: order.onchainAddress,
        onchain_start_height: order.onchainStartHeight,
        onchain_confirmations: order.onchainConfirmations,
        onchain_expires_at: order.onchainExpiresAt,
        state: 'awaiting_payment',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toOrder(row);
  }

  /** The order if it exists and belongs to this owner. */
  async getOwned(
    id: string,
    ownerKind: 'node' | 'tenant',
    owner: string,
  ): Promise<Lsps1OrderRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db
      .selectFrom('lsps1_orders')
      .selectAll()
      .where('id', '=', id)
      .where('owner_kind', '=', ownerKind)
      .where('owner', '=', owner)
      .executeTakeFirst();
    return row && toOrder(row);
  }

  async get(id: string): Promise<Lsps1OrderRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db.selectFrom('lsps1_orders').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toOrder(row);
  }

  /** Every order, oldest first (for the audit). */
  async all(): Promise<Lsps1OrderRecord[]> {
    const rows = await this.#db.selectFrom('lsps1_orders').selectAll().orderBy('created_at').execute();
    return rows.map(toOrder);
  }

  /** Orders not in a final state, oldest first. */
  async active(): Promise<Lsps1OrderRecord[]> {
    const rows = await this.#db
      .selectFrom('lsps1_orders')
      .selectAll()
      .where('state', 'not in', ['completed', 'failed', 'expired'])
      .orderBy('created_at')
      .execute();
    return rows.map(toOrder);
  }

  /**
   * Orders with an on-chain address whose receipts may still be held for their client: not
   * final, or final since `since`, or still holding their client's coins, or with a refund
   * that has not confirmed. Oldest first.
   */
  async onchainInCustody(since: Date): Promise<Lsps1OrderRecord[]> {
    const rows = await this.#db
      .selectFrom('lsps1_orders')
      .selectAll()
      .where('onchain_address', 'is not', null)
      .where((eb) =>
        eb.or([
          eb('state', 'not in', ['completed', 'failed', 'expired']),
          eb('updated_at', '>=', since),
          eb('late_receipt_at', '>=', since),
          eb('holds_client_coins', '=', true),
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
    return rows.map(toOrder);
  }

  /**
   * The orders out of custody (ended before `since`, with no late receipt since then) whose
   * on-chain address is one of `addresses`.
   */
  async outOfCustodyAt(addresses: readonly string[], since: Date): Promise<Lsps1OrderRecord[]> {
    if (addresses.length === 0) return [];
    const rows = await this.#db
      .selectFrom('lsps1_orders')
      .selectAll()
      .where('onchain_address', 'in', [...addresses])
      .where('state', 'in', ['completed', 'failed', 'expired'])
      .where('updated_at', '<', since)
      .where((eb) => eb.or([eb('late_receipt_at', 'is', null), eb('late_receipt_at', '<', since)]))
      .execute();
    return rows.map(toOrder);
  }

  /**
   * Records which ended orders in custody still hold their client's coins (`holding`: a
   * receipt its refund could not be sent for yet) and which no longer do (`released`): an order
   * holding them stays in custody whatever its watch says ({@link onchainInCustody}). Writes
   * only what changed.
   */
  async markHoldsClientCoins(holding: readonly string[], released: readonly string[]): Promise<void> {
    for (const [ids, holds] of [
      [holding, true],
      [released, false],
    ] as const) {
      if (ids.length === 0) continue;
      await this.#db
        .updateTable('lsps1_orders')
        .set({ holds_client_coins: holds })
        .where('id', 'in', [...ids])
        .where('holds_client_coins', '!=', holds)
        .execute();
    }
  }

  /** Brings orders back into custody: a payment to their address came after their watch. */
  async markLateReceipt(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable('lsps1_orders')
      .set({ late_receipt_at: new Date() })
      .where('id', 'in', [...ids])
      .execute();
  }

  /** The lowest height any order's address was watched from (`undefined`: no such order). */
  async lowestOnchainStartHeight(): Promise<number | undefined> {
    const r = await this.#db
      .selectFrom('lsps1_orders')
      .select((eb) => eb.fn.min('onchain_start_height').as('height'))
      .executeTakeFirst();
    return r?.height ?? undefined;
  }

  /** Unpaid orders (awaiting payment): the owner's, and everyone's. */
  countUnpaid(ownerKind: 'node' | 'tenant', owner: string): Promise<OwnerCounts> {
    return ownerCounts(this.#db, 'lsps1_orders', { kind: ownerKind, owner }, 'awaiting_payment');
  }

  /** Moves an order from `from` to the new state; false if it was no longer in `from`. */
  transition(id: string, from: OrderState, update: OrderUpdate): Promise<boolean> {
    return moveState(this.#db, { table: 'lsps1_orders' }, id, from, update);
  }
}

function toOrder(r: Selectable<Lsps1OrdersTable>): Lsps1OrderRecord {
  return {
    id: r.id,
    ownerKind: r.owner_kind,
    owner: r.owner,
    clientPubkey: r.client_pubkey,
    clientHost: r.client_host,
    lspBalanceSat: sat(r.lsp_balance_sat),
    clientBalanceSat: sat(r.client_balance_sat),
    requiredChannelConfirmations: r.required_channel_confirmations,
    fundingConfirmsWithinBlocks: r.funding_confirms_within_blocks,
    channelExpiryBlocks: r.channel_expiry_blocks,
    token: r.token,
    refundOnchainAddress: r.refund_onchain_address,
    announceChannel: r.announce_channel,
    feeTotalSat: sat(r.fee_total_sat),
    networkFeeSat: sat(r.network_fee_sat),
    fundingId: r.funding_id,
    orderTotalSat: sat(r.order_total_sat),
    paymentHash: r.payment_hash,
    invoice: r.invoice,
    preimageCiphertext: r.preimage_ciphertext,
    invoiceExpiresAt: r.invoice_expires_at,
    state: r.state,
    failure: r.failure,
    fundingTxid: r.funding_txid,
    fundingOutputIndex: r.funding_output_index,
    fundedAt: r.funded_at,
    onchainAddress: r.onchain_address,
    onchainStartHeight: r.onchain_start_height,
    onchainConfirmations: r.onchain_confirmations,
    onchainExpiresAt: r.onchain_expires_at,
    paymentMethod: r.payment_method,
    refundTxid: r.refund_txid,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
