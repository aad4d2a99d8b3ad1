/**
 * On-chain refunds of LSPS1 orders (bLIP-51 3.3): sent once, and bumped while they do not
 * confirm. A refund spends everything the order's address received to the client's refund
 * address, minus its fee (51-57), at the LSP's 6-block estimate; an overpayment's refund
 * also spends the receipt that overpaid, returning the part of it that paid for the channel to
 * the LSP's wallet in a second output. It is written (signed) before
 * it is published, so a restart publishes the same transaction rather than building a second.
 * Whenever a refund has waited `bumpAfterSeconds` (at most 6 hours, 51-58) without confirming,
 * it is replaced (BIP-125: same inputs and outputs, a higher fee rate); the client's refund
 * pays the higher fee, as 51-57 prices every refund. The watcher also publishes the live
 * refund again on every pass (harmless when it is in the mempool; it puts back one a mempool
 * dropped) and records the one that confirms.
 */
import {
  boundedFeeRate,
  ErrorCode,
  type FeeRateBounds,
  type FundingPort,
  type Hex32,
  LspError,
  type OnchainTransaction,
  type WalletPort,
} from '@blgv/core';
import {
  type Database,
  type Lsps1OrderRecord,
  Lsps1OrdersRepository,
  type Lsps1Refund,
  Lsps1RefundsRepository,
  type NewLsps1Refund,
} from '@blgv/store';
import type { Logger } from 'pino';
import { pause } from '../poll.ts';
import type { SortedReceipts } from './receipt-custody.ts';
import {
  bumpedFeeRate,
  type KeptOutput,
  keptOutput,
  outputsTo,
  type RefundInput,
  refundPsbt,
  spentOutpoints,
} from './refund-transaction.ts';

/** Refund settings (from config). */
export interface RefundLimits extends FeeRateBounds {
  /** How long a refund may stay unconfirmed before it is bumped (bLIP-51: 6 hours at most). */
  readonly bumpAfterSeconds: number;
}

/** What the watcher does for an order's refunds now. */
export type RefundStep =
  | { readonly kind: 'confirmed'; readonly txid: Hex32 }
  | { readonly kind: 'bump'; readonly live: Lsps1Refund }
  | { readonly kind: 'publish'; readonly live: Lsps1Refund }
  | { readonly kind: 'none' };

/** Confirmation target of a first refund. */
const REFUND_TARGET_CONF = 6;
/** Confirmation target of a bump: the next blocks. */
const BUMP_TARGET_CONF = 2;
/** The watcher looks at least this often. */
const MAX_WATCH_INTERVAL_MS = 60_000;
/** The label of an order's refund transactions in LND's wallet. */
export const REFUND_LABEL_PREFIX = 'lsps1-refund:';

/**
 * An order's refunds as chains: a refund and the bumps that replaced it (each spends the same
 * inputs as the one it replaced), grouped by the refund the chain ends in. An order has more
 * than one chain when something reached its address after its first refund went out.
 */
export function refundChains(refunds: readonly Lsps1Refund[]): Lsps1Refund[][] {
  const byTxid = new Map(refunds.map((r) => [r.txid as string, r]));
  const tip = (r: Lsps1Refund): string => {
    let at = r;
    for (let hops = 0; at.replacedBy !== null && hops < refunds.length; hops++) {
      const next = byTxid.get(at.replacedBy);
      if (!next) break;
      at = next;
    }
    return at.txid;
  };
  const chains = new Map<string, Lsps1Refund[]>();
  for (const r of refunds) {
    const key = tip(r);
    chains.set(key, [...(chains.get(key) ?? []), r]);
  }
  return [...chains.values()];
}

/**
 * Decides what one chain of refunds ({@link refundChains}) calls for: any of them confirmed
 * (they all spend the same inputs, so at most one can) ends its watch; otherwise the live one
 * is bumped once it has waited `bumpAfterMs`, and published again before that.
 */
export function nextRefundStep(
  refunds: readonly Lsps1Refund[],
  confirmations: (txid: Hex32) => number,
  now: Date,
  bumpAfterMs: number,
): RefundStep {
  const confirmed = refunds.find((r) => confirmations(r.txid) > 0);
  if (confirmed) return { kind: 'confirmed', txid: confirmed.txid };
  const live = refunds.find((r) => r.replacedBy === null && r.confirmedAt === null);
  if (!live) return { kind: 'none' };
  return now.getTime() - live.createdAt.getTime() >= bumpAfterMs
    ? { kind: 'bump', live }
    : { kind: 'publish', live };
}

/** The rate (sat/vB) a refund is sent at now: the LSP's 6-block estimate within `bounds`. */
export async function refundFeeRate(
  lightning: Pick<WalletPort, 'estimateFee'>,
  bounds: FeeRateBounds,
  signal: AbortSignal,
): Promise<bigint> {
  const { satPerVbyte } = await lightning.estimateFee(REFUND_TARGET_CONF, signal);
  return boundedFeeRate(satPerVbyte, bounds);
}

/**
 * The Lightning calls refunds make: a fee rate, the wallet's transactions, an address for what
 * goes back to the LSP, signing and publishing.
 */
export type OnchainRefundsLightning = Pick<
  WalletPort,
  'estimateFee' | 'listOnchainTransactions' | 'newAddress'
> &
  Pick<FundingPort, 'publishTransaction' | 'signPsbt'>;

/** Sends, watches and bumps LSPS1 on-chain refunds. */
export class OnchainRefunds {
  readonly #database: Database;
  readonly #lightning: OnchainRefundsLightning;
  readonly #limits: RefundLimits;
  readonly #log: Logger;

  constructor(deps: {
    database: Database;
    lightning: OnchainRefundsLightning;
    limits: RefundLimits;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#limits = deps.limits;
    this.#log = deps.log;
  }

  /** The refunds of an order on record, oldest first. */
  ofOrder(orderId: string): Promise<Lsps1Refund[]> {
    return new Lsps1RefundsRepository(this.#database.db).forOrder(orderId);
  }

  /**
   * Refunds `outputs` (what the order's address received and no refund spends yet) to
   * `refundAddress` in a refund of their own, with what `overpaid` paid over the order's total
   * (the rest of that receipt going back to a fresh address of the LSP's wallet); `recorded`
   * are the order's refunds on record ({@link ofOrder}, read by the caller to find those
   * outputs). With nothing to refund, nothing new is sent: the order's live refund is
   * published again (written before a crash, maybe never published) and its txid returned;
   * else the refund that went out (`earlier`: one sent before refunds were recorded). Refuses
   * (`insufficient_funds`) when what is refunded cannot pay its own refund, or there is nothing
   * and no refund went out.
   */
  async send(
    order: { readonly id: string; readonly refundAddress: string },
    outputs: readonly RefundInput[],
    recorded: readonly Lsps1Refund[],
    signal: AbortSignal,
    earlier?: Hex32,
    overpaid?: SortedReceipts['overpaid'],
  ): Promise<Hex32> {
    const repo = new Lsps1RefundsRepository(this.#database.db);
    if (outputs.length === 0 && !overpaid) {
      const live = recorded.findLast((r) => r.replacedBy === null && r.confirmedAt === null);
      if (live) {
        // The watcher settles any conflict.
        await this.#publish(live, signal).catch((err: unknown) =>
          this.#log.warn(
            { order: order.id, txid: live.txid, err: String(err) },
            'refund not published again',
          ),
        );
        return live.txid;
      }
      const sent = recorded.findLast((r) => r.confirmedAt !== null)?.txid ?? earlier;
      if (sent) return sent;
      throw new LspError(
        ErrorCode.InsufficientFunds,
        'nothing the order received is confirmed and left to refund (a payment not confirmed yet is refunded once it is)',
      );
    }
    const rate = await refundFeeRate(this.#lightning, this.#limits, signal);
    const kept =
      overpaid && overpaid.kept > 0n
        ? { address: await this.#lightning.newAddress(signal), amount: overpaid.kept }
        : undefined;
    const refund = await this.#sign(
      order.id,
      overpaid ? [...outputs, overpaid.receipt] : outputs,
      order.refundAddress,
      rate,
      signal,
      kept,
    );
    await repo.insert(refund);
    await this.#publish(refund, signal);
    this.#log.info(
      {
        order: order.id,
        txid: refund.txid,
        amount: Number(refund.amount),
        fee: Number(refund.fee),
        to: refund.refundAddress,
        ...(kept
          ? {
              overpaid: Number(overpaid?.receipt.amount ?? 0n) - Number(kept.amount),
              kept: Number(kept.amount),
            }
          : {}),
      },
      kept ? 'on-chain overpayment refunded' : 'on-chain payment refunded',
    );
    return refund.txid;
  }

  /** Watches unconfirmed refunds until `signal` aborts. */
  async watch(signal: AbortSignal): Promise<void> {
    const bumpAfterMs = this.#limits.bumpAfterSeconds * 1000;
    const interval = Math.max(250, Math.min(MAX_WATCH_INTERVAL_MS, bumpAfterMs / 4));
    while (!signal.aborted) {
      try {
        await this.pass(AbortSignal.any([signal, AbortSignal.timeout(60_000)]));
      } catch (err) {
        if (!signal.aborted) this.#log.warn({ err: String(err) }, 'refund watch failed; trying again');
      }
      await pause(interval, signal);
    }
  }

  /** One look at every unconfirmed refund: record, publish again or bump. */
  async pass(signal: AbortSignal): Promise<void> {
    const refunds = new Lsps1RefundsRepository(this.#database.db);
    const orderIds = await refunds.unconfirmedOrders();
    if (orderIds.length === 0) return;
    const ordersRepo = new Lsps1OrdersRepository(this.#database.db);
    const orders = (await Promise.all(orderIds.map((id) => ordersRepo.get(id)))).filter(
      (o) => o !== undefined,
    );
    const startHeight = Math.min(...orders.map((o) => o.onchainStartHeight ?? 0));
    const txs = await this.#lightning.listOnchainTransactions({ startHeight }, signal);
    const confirmations = new Map(txs.map((t) => [t.txid, t.confirmations]));
    const now = new Date();
    for (const order of orders)
      for (const chain of refundChains(await refunds.forOrder(order.id)))
        await this.#step(order, chain, txs, confirmations, now, signal);
  }

  /** What one chain of an order's refunds calls for, done. */
  async #step(
    order: Lsps1OrderRecord,
    chain: readonly Lsps1Refund[],
    txs: readonly OnchainTransaction[],
    confirmations: ReadonlyMap<string, number>,
    now: Date,
    signal: AbortSignal,
  ): Promise<void> {
    if (chain.some((r) => r.confirmedAt !== null)) return; // done, on record
    const refunds = new Lsps1RefundsRepository(this.#database.db);
    const step = nextRefundStep(
      chain,
      (txid) => confirmations.get(txid) ?? 0,
      now,
      this.#limits.bumpAfterSeconds * 1000,
    );
    if (step.kind === 'confirmed') {
      await refunds.confirm(
        step.txid,
        chain.map((r) => r.txid),
      );
      this.#log.info({ order: order.id, txid: step.txid }, 'on-chain refund confirmed');
    } else if (step.kind === 'publish') {
      await this.#publish(step.live, signal).catch((err: unknown) =>
        this.#log.warn(
          { order: order.id, txid: step.live.txid, err: String(err) },
          'refund not published again',
        ),
      );
    } else if (step.kind === 'bump' && order.onchainAddress) {
      const spent = new Set(spentOutpoints(step.live.rawTx).map((o) => `${o.txid}:${o.outputIndex}`));
      const inputs = outputsTo(txs, order.onchainAddress).filter((o) =>
        spent.has(`${o.outpoint.txid}:${o.outpoint.outputIndex}`),
      );
      if (inputs.length !== spent.size) {
        this.#log.error(
          { order: order.id, txid: step.live.txid },
          'refund inputs not found in the wallet; not bumped',
        );
        return;
      }
      await this.#bump(step.live, inputs, signal);
    }
  }

  /** Replaces `live` by the same refund at a higher fee rate. */
  async #bump(live: Lsps1Refund, inputs: readonly RefundInput[], signal: AbortSignal): Promise<void> {
    const { satPerVbyte } = await this.#lightning.estimateFee(BUMP_TARGET_CONF, signal);
    const rate = bumpedFeeRate(live.feeRate, satPerVbyte, this.#limits);
    if (rate === undefined) {
      this.#log.warn(
        { order: live.orderId, txid: live.txid, feeRate: Number(live.feeRate) },
        'refund unconfirmed, but already at the maximum fee rate; not bumped',
      );
      return;
    }
    let bump: NewLsps1Refund;
    try {
      // What an overpayment's refund gave back to the LSP stays as it was: the client's output
      // alone pays the higher fee.
      const kept = keptOutput(live.rawTx, live.refundAddress);
      bump = await this.#sign(live.orderId, inputs, live.refundAddress, rate, signal, kept);
    } catch (err) {
      this.#log.warn(
        { order: live.orderId, txid: live.txid, err: String(err) },
        'refund cannot pay a higher fee; not bumped',
      );
      return;
    }
    if (!(await new Lsps1RefundsRepository(this.#database.db).replace(live.txid, bump))) return;
    await this.#publish(bump, signal);
    this.#log.info(
      {
        order: live.orderId,
        replaced: live.txid,
        txid: bump.txid,
        feeRate: Number(rate),
        previousFeeRate: Number(live.feeRate),
        amount: Number(bump.amount),
      },
      'on-chain refund bumped',
    );
  }

  /** Builds and signs a refund (nothing is published). */
  async #sign(
    orderId: string,
    inputs: readonly RefundInput[],
    to: string,
    feeRate: bigint,
    signal: AbortSignal,
    kept?: KeptOutput,
  ): Promise<NewLsps1Refund> {
    const built = refundPsbt(inputs, to, feeRate, kept);
    const signed = await this.#lightning.signPsbt(built.psbt, signal);
    return {
      txid: signed.txid,
      orderId,
      rawTx: signed.rawTx,
      feeRate,
      fee: built.fee,
      amount: built.amount,
      refundAddress: to,
    };
  }

  #publish(refund: Pick<Lsps1Refund, 'txid' | 'rawTx' | 'orderId'>, signal: AbortSignal): Promise<void> {
    return this.#lightning.publishTransaction(
      { txid: refund.txid, rawTx: refund.rawTx },
      `${REFUND_LABEL_PREFIX}${refund.orderId}`,
      signal,
    );
  }
}
