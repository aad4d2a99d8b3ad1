/**
 * Liquidity purchases from an upstream LSP. The state column belongs to the purchase state
 * machine; `transition` moves it only from the expected state, so two runners never both act.
 */
import { type PurchaseState, type Sat, sat } from '@blgv/core';
import type { Kysely, Selectable } from 'kysely';
import { moveState } from './move-state.ts';
import type { Schema } from './schema.ts';
import type { LiquidityPurchasesTable } from './tables/liquidity.ts';
import { isUuid } from './uuid.ts';

/** A stored purchase; each field is its column's, camelCased. */
export interface LiquidityPurchaseRecord {
  readonly id: string;
  readonly upstreamPubkey: string;
  /** The outbound it was bought for. */
  readonly amountSat: Sat;
  readonly maxFeeSat: Sat;
  /** The upstream's order id. */
  readonly orderId: string;
  readonly lspBalanceSat: Sat;
  readonly clientBalanceSat: Sat;
  /** The upstream's fee. */
  readonly feeTotalSat: Sat;
  readonly orderTotalSat: Sat;
  /** Where the order total is paid on-chain. */
  readonly payAddress: string;
  readonly refundAddress: string;
  readonly state: PurchaseState;
  readonly failure: string | null;
  readonly paymentTxid: string | null;
  /** What our on-chain payment cost. */
  readonly onchainFeeSat: Sat | null;
  /** `txid:index` of the upstream's channel. */
  readonly fundingOutpoint: string | null;
  /** The outbound the channel gave us. */
  readonly outboundSat: Sat | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A new purchase: the upstream's order is placed, nothing is paid. */
export type NewLiquidityPurchase = Pick<
  LiquidityPurchaseRecord,
  | 'id'
  | 'upstreamPubkey'
  | 'amountSat'
  | 'maxFeeSat'
  | 'orderId'
  | 'lspBalanceSat'
  | 'clientBalanceSat'
  | 'feeTotalSat'
  | 'orderTotalSat'
  | 'payAddress'
  | 'refundAddress'
>;

/** Fields a transition may set. */
export interface PurchaseUpdate {
  readonly state: PurchaseState;
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

  /** Records a purchase whose upstream order is placed (`ordered`). */
  async insert(p: NewLiquidityPurchase): Promise<LiquidityPurchaseRecord> {
    const row = await this.#db
      .insertInto('liquidity_purchases')
      .values({
        id: p.id,
        upstream_pubkey: p.upstreamPubkey,
        amount_sat: p.amountSat,
        max_fee_sat: p.maxFeeSat,
        order_id: p.orderId,
        lsp_balance_sat: p.lspBalanceSat,
        client_balance_sat: p.clientBalanceSat,
        fee_total_sat: p.feeTotalSat,
        order_total_sat: p.orderTotalSat,
        pay_address: p.payAddress,
        refund_address: p.refundAddress,
        state: 'ordered',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPurchase(row);
  }

  async get(id: string): Promise<LiquidityPurchaseRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db
      .selectFrom('liquidity_purchases')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toPurchase(row);
  }

  /** Purchases not in a final state, oldest first. */
  async active(): Promise<LiquidityPurchaseRecord[]> {
    const rows = await this.#db
      .selectFrom('liquidity_purchases')
      .selectAll()
      .where('state', 'not in', ['completed', 'refused', 'failed'])
      .orderBy('created_at')
      .execute();
    return rows.map(toPurchase);
  }

  /** Moves a purchase from `from` to the new state; false if it was no longer in `from`. */
  transition(id: string, from: PurchaseState, update: PurchaseUpdate): Promise<boolean> {
    const rename = { onchainFee: 'onchain_fee_sat', outbound: 'outbound_sat' };
    return moveState(this.#db, { table: 'liquidity_purchases', rename }, id, from, update);
  }
}

function toPurchase(r: Selectable<LiquidityPurchasesTable>): LiquidityPurchaseRecord {
  return {
    id: r.id,
    upstreamPubkey: r.upstream_pubkey,
    amountSat: sat(r.amount_sat),
    maxFeeSat: sat(r.max_fee_sat),
    orderId: r.order_id,
    lspBalanceSat: sat(r.lsp_balance_sat),
    clientBalanceSat: sat(r.client_balance_sat),
    feeTotalSat: sat(r.fee_total_sat),
    orderTotalSat: sat(r.order_total_sat),
    payAddress: r.pay_address,
    refundAddress: r.refund_address,
    state: r.state,
    failure: r.failure,
    paymentTxid: r.payment_txid,
    onchainFeeSat: r.onchain_fee_sat === null ? null : sat(r.onchain_fee_sat),
    fundingOutpoint: r.funding_outpoint,
    outboundSat: r.outbound_sat === null ? null : sat(r.outbound_sat),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
