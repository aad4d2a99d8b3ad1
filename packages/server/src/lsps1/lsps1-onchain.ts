/**
 * LSPS1 orders paid on-chain (bLIP-51 3.3): each order gets a fresh address of the node's
 * wallet; the order is paid once transactions to that address carry at least the order
 * total with the required confirmations. Whatever an order's address received goes back to
 * the client's refund address when the order fails or expires underpaid, minus the refund
 * transaction's fee ({@link OnchainRefunds}: once, and bumped while it does not confirm).
 * Every refund of an order spends the same outputs, so no two can both confirm. Until then
 * those outputs are leased for the order ({@link OrderReceipts}), from the moment they are seen.
 */
import {
  type FeeRateBounds,
  type Hex32,
  type NodePort,
  type OnchainTransaction,
  type OrderEvent,
  type Sat,
  sat,
  type WalletPort,
} from '@blgv/core';
import { Lsps0Error } from '@blgv/protocol';
import type { Database, Lsps1OrderRecord } from '@blgv/store';
import type { Logger } from 'pino';
import { RpcError } from '../lsps0/rpc-error.ts';
import { pause } from '../poll.ts';
import {
  OnchainRefunds,
  type OnchainRefundsLightning,
  REFUND_LABEL_PREFIX,
  type RefundLimits,
} from './lsps1-refunds.ts';
import { isAddressOfNetwork, isSegwitAddress } from './onchain-address.ts';
import type { OrderReceipts } from './order-receipts.ts';
import { outputsTo, type RefundInput } from './refund-transaction.ts';

/** On-chain payment settings (from config). */
export interface OnchainPaymentLimits {
  /**
   * Offered to new orders. Off, the orders that took it keep it: their addresses are still
   * watched, their payments opened for or refunded.
   */
  readonly enabled: boolean;
  /** Confirmations a payment needs before the channel opens. */
  readonly confirmations: number;
  /** How long the on-chain option stays open (at least as long as the invoice). */
  readonly expirySeconds: number;
  /** How often an unpaid order's address is checked. */
  readonly pollIntervalMs: number;
  /** How long a refund may stay unconfirmed before its fee is bumped (at most 6 hours). */
  readonly refundBumpAfterSeconds: number;
}

/** What an order's address has received so far. */
export interface Received {
  /** In transactions with the required confirmations. */
  readonly confirmed: Sat;
  /** In all transactions, the mempool included. */
  readonly total: Sat;
  /** Every output paying the address. */
  readonly outputs: readonly RefundInput[];
}

/** The order fields of the on-chain option. */
type OnchainOption = Pick<
  Lsps1OrderRecord,
  'onchainAddress' | 'onchainStartHeight' | 'onchainConfirmations' | 'onchainExpiresAt'
>;

/** The fields of an order without an on-chain option. */
export const NO_ONCHAIN_OPTION: OnchainOption = {
  onchainAddress: null,
  onchainStartHeight: null,
  onchainConfirmations: null,
  onchainExpiresAt: null,
};

/** The fields of an order that take on-chain payments. */
type OnchainOrder = Lsps1OrderRecord & { readonly onchainAddress: string };

/** True when the order offers on-chain payment. */
export function takesOnchain(order: Lsps1OrderRecord): order is OnchainOrder {
  return order.onchainAddress !== null;
}

/**
 * The Lightning calls on-chain payments make: an address and the block height for a new order,
 * the wallet's transactions for what it received, and the refunds' calls.
 */
export type OnchainPaymentsLightning = Pick<WalletPort, 'listOnchainTransactions' | 'newAddress'> &
  Pick<NodePort, 'getInfo'> &
  OnchainRefundsLightning;

/** Watches and refunds on-chain payments of LSPS1 orders. */
export class OnchainPayments {
  readonly #lightning: OnchainPaymentsLightning;
  readonly #log: Logger;
  readonly #refunds: OnchainRefunds;
  /** Leases what orders' addresses receive; its wallet scan serves every order waiting. */
  readonly #receipts: OrderReceipts;
  /** An address of the node's wallet, once one was asked for: refunds go to its network. */
  #ours: Promise<string> | undefined;
  readonly limits: OnchainPaymentLimits;

  constructor(deps: {
    database: Database;
    lightning: OnchainPaymentsLightning;
    limits: OnchainPaymentLimits;
    /** Bounds of the refund's fee rate, sat/vB. */
    feeRates: FeeRateBounds;
    receipts: OrderReceipts;
    log: Logger;
  }) {
    this.#lightning = deps.lightning;
    this.#receipts = deps.receipts;
    this.limits = deps.limits;
    this.#log = deps.log;
    const refundLimits: RefundLimits = {
      ...deps.feeRates,
      bumpAfterSeconds: deps.limits.refundBumpAfterSeconds,
    };
    this.#refunds = new OnchainRefunds({ ...deps, limits: refundLimits });
  }

  /** Watches the refunds sent until `signal` aborts, bumping those that do not confirm. */
  watchRefunds(signal: AbortSignal): Promise<void> {
    return this.#refunds.watch(signal);
  }

  /**
   * Refuses (`-32602`) a refund address that is not a SegWit address of the node's network,
   * since no refund could reach it: checked before an order is admitted. The network is
   * learnt once, from an address of the node's wallet.
   */
  async checkRefundAddress(refundAddress: string, signal: AbortSignal): Promise<void> {
    if (!isSegwitAddress(refundAddress)) throw badRefundAddress();
    this.#ours ??= this.#lightning.newAddress(signal).catch((err: unknown) => {
      this.#ours = undefined;
      throw err;
    });
    if (!isAddressOfNetwork(refundAddress, await this.#ours)) throw badRefundAddress();
  }

  /**
   * The on-chain option of a new order: a fresh address, the height to scan from, and an
   * expiry no earlier than the invoice's. Refuses a refund address that is not valid on the
   * node's network (`-32602`; {@link checkRefundAddress} refuses it before the order is admitted).
   */
  async option(refundAddress: string, invoiceExpiresAt: Date, signal: AbortSignal): Promise<OnchainOption> {
    const [address, info] = await Promise.all([
      this.#lightning.newAddress(signal),
      this.#lightning.getInfo(signal),
    ]);
    this.#ours ??= Promise.resolve(address);
    if (!isAddressOfNetwork(refundAddress, address)) throw badRefundAddress();
    const expiresAt = Math.max(invoiceExpiresAt.getTime(), Date.now() + this.limits.expirySeconds * 1000);
    return {
      onchainAddress: address,
      onchainStartHeight: info.blockHeight,
      onchainConfirmations: this.limits.confirmations,
      onchainExpiresAt: new Date(expiresAt),
    };
  }

  /** What the order's address has received (from a wallet scan shared with the other orders). */
  async received(order: OnchainOrder): Promise<Received> {
    const scanned = await this.#receipts.scan.read(
      order.onchainStartHeight ?? 0,
      this.limits.pollIntervalMs / 2,
    );
    const outputs = outputsTo(scanned, order.onchainAddress);
    const needed = order.onchainConfirmations ?? this.limits.confirmations;
    let confirmed = 0n;
    let total = 0n;
    for (const o of outputs) {
      total += o.amount;
      if (o.confirmations >= needed) confirmed += o.amount;
    }
    return { confirmed: sat(confirmed), total: sat(total), outputs };
  }

  /**
   * Waits until the order is paid on-chain (`onchain_paid`) or its on-chain option expires
   * (`underpaid_expired` when something arrived, else `invoice_expired`); `undefined` when
   * `signal` aborts first. A payment of the full total seen before the expiry is waited for
   * until it confirms. Whatever arrives is leased for the order as soon as it is seen.
   */
  async outcome(order: OnchainOrder, signal: AbortSignal): Promise<OrderEvent | undefined> {
    const expiresAt = order.onchainExpiresAt?.getTime() ?? 0;
    while (!signal.aborted) {
      const r = await this.received(order);
      await this.#receipts.hold(
        order.id,
        r.outputs.map((o) => o.outpoint),
        signal,
      );
      if (r.confirmed >= order.orderTotalSat) {
        this.#log.info({ order: order.id, received: Number(r.confirmed) }, 'on-chain payment confirmed');
        return { type: 'onchain_paid' };
      }
      if (r.total < order.orderTotalSat && Date.now() >= expiresAt) {
        return r.total > 0n ? { type: 'underpaid_expired' } : { type: 'invoice_expired' };
      }
      await pause(this.limits.pollIntervalMs, signal);
    }
    return undefined;
  }

  /**
   * Sends what the order's address received and no refund spends yet (and did not pay for its
   * channel: {@link sortReceipts}) to its refund address, in a refund of its own. Returns that
   * refund's txid; when everything is in a refund already, the live one's (published again),
   * else the one that confirmed; `undefined` when nothing arrived or there is no refund
   * address. A refund sent by an earlier version (LND's `SendCoins`, labelled with the order)
   * counts as a refund.
   */
  async refund(order: OnchainOrder, signal: AbortSignal): Promise<Hex32 | undefined> {
    const txs = await this.#transactions(order, signal);
    const receipts = outputsTo(txs, order.onchainAddress);
    if (receipts.length === 0 || !order.refundOnchainAddress) return undefined;
    const label = `${REFUND_LABEL_PREFIX}${order.id}`;
    const recorded = await this.#refunds.ofOrder(order.id);
    const sorted = await this.#receipts.sort(order, txs, recorded, signal);
    return this.#refunds.send(
      { id: order.id, refundAddress: order.refundOnchainAddress },
      sorted.unrefunded,
      recorded,
      signal,
      txs.findLast((t) => t.label === label)?.txid,
      sorted.overpaid,
    );
  }

  #transactions(order: OnchainOrder, signal: AbortSignal): Promise<OnchainTransaction[]> {
    return this.#lightning.listOnchainTransactions({ startHeight: order.onchainStartHeight ?? 0 }, signal);
  }
}

/** `-32602` naming `refund_onchain_address`. */
function badRefundAddress(): RpcError {
  return new RpcError(Lsps0Error.InvalidParams, 'invalid params', {
    property: 'refund_onchain_address',
    message: "not a valid address of the LSP's network",
  });
}
