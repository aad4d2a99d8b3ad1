/**
 * Custody of what LSPS1 orders' addresses receive. A coin paid to an order's address is the
 * client's until the order's channel is funded and published: it pays for that channel, or
 * it goes back to the refund address. Meanwhile the node's wallet must not spend it on
 * anything else (a channel funding's `FundPsbt`, a send): the refund is built from those
 * exact outpoints and could never confirm.
 *
 * So every output an order's address received is leased in LND (`LeaseOutput`) under a lock
 * id derived from the order ({@link receiptLockId}), as soon as it is seen (unconfirmed ones
 * too: btcwallet leases any output it holds unspent), for {@link RECEIPT_LEASE_SECONDS} and
 * renewed while it is held. Leases live in LND's wallet, so they survive our restarts; every
 * pass (one at start, then periodically, and one right before each funding picks its inputs:
 * the {@link FundingGuard}) leases again whatever lacks a lease, renews what runs low, and
 * releases the receipts of orders that no longer hold them. Signing the refund does not care
 * about leases (`FinalizePsbt` signs any input the wallet holds), and once a spend confirms
 * btcwallet drops the lease itself.
 *
 * What each receipt calls for ({@link sortReceipts}), outpoint by outpoint: held while the
 * order runs and while a refund spending it is unconfirmed; released once it paid for the
 * order's channel (the order paid on chain, funded and published: the LSP's now); and refunded
 * once the order is over when it paid for nothing: the order was paid by its invoice instead,
 * expired unpaid or failed, or it arrived after the order was paid or after its refund went
 * out (each such late arrival gets a refund of its own). A receipt is refunded only once it
 * confirms (held until then): its payer may still replace it. What the receipt that took the
 * order past its total paid over it is the client's too: that receipt is held, and refunded
 * once the order completes, the part that paid going back to the LSP's wallet in the same
 * refund ({@link SortedReceipts.overpaid}). A payment to the address of an order that ended
 * long ago is found among the wallet's new transactions and brings the order back into custody
 * ({@link FINAL_WATCH_MS}). The client's coins are never ours to keep: an ended order whose
 * refund could not be sent yet stays in custody, whatever its watch says, for as long as it
 * holds coins worth their refund at the lowest fee rate ({@link holdsClientCoins}); a receipt
 * too small for even that stays leased for the client as long as the order's address is
 * watched.
 */
import {
  type FeeRateBounds,
  FINAL_ORDER_STATES,
  type FundingPort,
  type OnchainTransaction,
  type Outpoint,
  type OutputLease,
  type WalletPort,
} from '@blgv/core';
import {
  type Database,
  JobCursorsRepository,
  type Lsps1OrderRecord,
  Lsps1OrdersRepository,
  type Lsps1Refund,
  Lsps1RefundsRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import type { FundingGuard } from '../funding/channel-funder.ts';
import { REFUND_LABEL_PREFIX } from './lsps1-refunds.ts';
import {
  type CustodyOrder,
  holdsClientCoins,
  inUseElsewhere,
  outpointKey,
  overpaidBy,
  refundingOutpoints,
  type SortedReceipts,
  sortReceipts,
  spentForGood,
} from './receipt-custody.ts';
import {
  leasesToTake,
  leasesUnder,
  RECEIPT_LEASE_SECONDS,
  RENEW_BELOW_MS,
  receiptLockId,
} from './receipt-leases.ts';
import { outputsTo, overpaymentFloor, REFUND_DUST_LIMIT } from './refund-transaction.ts';
import { WalletScan } from './wallet-scan.ts';

/**
 * A final order's address is still looked at every pass this long after the order ended (by
 * default; `lsps1.onchain.watchAfterEndSeconds`): to release leases a crash kept, and to send
 * back a payment that arrives late. A payment after that is found among the wallet's new
 * transactions ({@link LATE_RECEIPTS_CURSOR}) and brings the order back for as long again.
 */
export const FINAL_WATCH_MS = RECEIPT_LEASE_SECONDS * 1000;
/**
 * The job cursor of the wallet's transactions already looked through for payments to the
 * addresses of orders whose watch ended: a block height, kept a few blocks behind the newest
 * seen ({@link LATE_RECEIPTS_MARGIN_BLOCKS}), so a reorganisation cannot hide one.
 */
export const LATE_RECEIPTS_CURSOR = 'lsps1-late-receipts';
const LATE_RECEIPTS_MARGIN_BLOCKS = 6;
/** Addresses looked up in one statement. */
const LATE_LOOKUP_CHUNK = 1_000;
/** How old a scan the funding guard accepts (the wallet is about to pick inputs). */
const GUARD_SCAN_AGE_MS = 500;

/** The Lightning calls order receipts make: leasing the receipts' outputs, scanning the wallet. */
export type OrderReceiptsLightning = Pick<FundingPort, 'leaseOutput' | 'listLeases' | 'releaseOutput'> &
  Pick<WalletPort, 'listOnchainTransactions'>;

/** Keeps the receipts of LSPS1 orders leased while they are the client's. */
export class OrderReceipts implements FundingGuard {
  readonly #database: Database;
  readonly #lightning: OrderReceiptsLightning;
  readonly #log: Logger;
  /** The wallet scan shared with the payment watchers. */
  readonly scan: WalletScan;
  readonly #feeRates: FeeRateBounds;
  readonly #watchAfterEndMs: number;
  /** Leases this process took lately: outpoint -> when it ends (ms). */
  readonly #leased = new Map<string, number>();

  constructor(deps: {
    database: Database;
    lightning: OrderReceiptsLightning;
    /** Bounds of the refunds' fee rate (sat/vB). */
    feeRates: FeeRateBounds;
    /** How long after an order ends its address is looked at every pass ({@link FINAL_WATCH_MS}). */
    watchAfterEndMs?: number;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#feeRates = deps.feeRates;
    this.#watchAfterEndMs = deps.watchAfterEndMs ?? FINAL_WATCH_MS;
    this.#log = deps.log;
    this.scan = new WalletScan(deps.lightning);
  }

  /**
   * Sorts an order's receipts ({@link sortReceipts}) in `txs` (the wallet's transactions since
   * the order began), given its refunds on record and the wallet's leases (read when not
   * given). An overpayment is the client's when it would pay for its refund at the lowest
   * refund fee rate (`minFeeRate`), the rate custody goes by ({@link holdsClientCoins}): a
   * figure that does not move with the fee market, so a receipt released as paid is not taken
   * back when fees fall (it may be in a funding by then), nor an overpayment held for the
   * client released when they rise. Its refund waits for a rate it can pay.
   */
  async sort(
    order: CustodyOrder & Pick<Lsps1OrderRecord, 'id' | 'onchainAddress' | 'refundOnchainAddress'>,
    txs: readonly OnchainTransaction[],
    refunds: readonly Lsps1Refund[],
    signal: AbortSignal,
    leases?: readonly OutputLease[],
  ): Promise<SortedReceipts> {
    const receipts = order.onchainAddress ? outputsTo(txs, order.onchainAddress) : [];
    const over = overpaidBy(order, receipts);
    const floor =
      over >= REFUND_DUST_LIMIT && order.onchainAddress && order.refundOnchainAddress
        ? overpaymentFloor(
            BigInt(this.#feeRates.minFeeRate),
            order.onchainAddress,
            order.refundOnchainAddress,
          )
        : undefined;
    const refunding = refundingOutpoints(refunds, txs, `${REFUND_LABEL_PREFIX}${order.id}`);
    const inUse =
      floor === undefined
        ? new Set<string>()
        : inUseElsewhere(
            txs,
            refunding,
            leases ?? (await this.#lightning.listLeases(signal)),
            receiptLockId(order.id),
          );
    return sortReceipts(order, receipts, spentForGood(txs), refunding, floor, inUse);
  }

  /**
   * Leases `receipts` of an order now, unless this process leased them lately: the payment
   * watcher calls it whenever it sees what the address received. Never fails (a pass tries
   * again).
   */
  async hold(orderId: string, receipts: readonly Outpoint[], signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const fresh = receipts.filter((o) => (this.#leased.get(outpointKey(o)) ?? 0) - now >= RENEW_BELOW_MS);
    const take = receipts.filter((o) => !fresh.includes(o));
    await this.#lease(orderId, take, signal);
  }

  /** Before a funding picks its inputs: every receipt held for a client is leased. */
  async beforeFunding(signal: AbortSignal): Promise<void> {
    await this.pass(signal, GUARD_SCAN_AGE_MS);
  }

  /**
   * One look at every order that may hold receipts: leases what is held and not leased (or
   * runs low), releases what paid for a channel. Returns the orders that are over and hold
   * receipts in no refund: they are to be refunded. The wallet's new transactions are looked
   * through for payments to orders whose watch ended ({@link #lateReceipts}).
   */
  async pass(signal: AbortSignal, maxScanAgeMs: number): Promise<Lsps1OrderRecord[]> {
    const repo = new Lsps1OrdersRepository(this.#database.db);
    const since = new Date(Date.now() - this.#watchAfterEndMs);
    const inCustody = await repo.onchainInCustody(since);
    const stored = await new JobCursorsRepository(this.#database.db).get(LATE_RECEIPTS_CURSOR);
    const lateFrom = stored === undefined ? await repo.lowestOnchainStartHeight() : Number(stored);
    if (inCustody.length === 0 && lateFrom === undefined) return []; // no order ever took coins
    const startHeight = Math.min(...inCustody.map((o) => o.onchainStartHeight ?? 0), lateFrom ?? Infinity);
    const [scanned, leases] = await Promise.all([
      this.scan.read(startHeight, maxScanAgeMs),
      this.#lightning.listLeases(signal),
    ]);
    const late = await this.#lateReceipts(
      { txs: scanned, from: startHeight },
      inCustody,
      { height: lateFrom ?? 0, first: stored === undefined },
      since,
      maxScanAgeMs,
      leases,
      signal,
    );
    const orders = [...inCustody, ...late.orders];
    if (orders.length === 0) return [];
    const txs = late.txs;
    const refunds = await new Lsps1RefundsRepository(this.#database.db).forOrders(orders.map((o) => o.id));
    const spent = spentForGood(txs);
    const now = new Date();
    const toRefund: Lsps1OrderRecord[] = [];
    const holding: string[] = [];
    const givenBack: string[] = [];
    for (const order of orders) {
      if (!order.onchainAddress) continue;
      const lockId = receiptLockId(order.id);
      const sorted = await this.sort(
        order,
        txs,
        refunds.filter((r) => r.orderId === order.id),
        signal,
        leases,
      );
      const paid = new Set(sorted.paid.map((r) => outpointKey(r.outpoint)));
      const released = leasesUnder(leases, lockId).filter((o) => paid.has(outpointKey(o)));
      if (released.length > 0) await this.release(order.id, released, signal);
      const kept = [
        ...sorted.refunding,
        ...sorted.unrefunded,
        ...sorted.unconfirmed,
        ...(sorted.overpaid ? [sorted.overpaid.receipt] : []),
      ];
      await this.#lease(
        order.id,
        leasesToTake(
          kept.map((r) => r.outpoint),
          spent,
          leases,
          lockId,
          now,
        ),
        signal,
      );
      if (FINAL_ORDER_STATES.includes(order.state) && (sorted.unrefunded.length > 0 || sorted.overpaid))
        toRefund.push(order);
      if (FINAL_ORDER_STATES.includes(order.state))
        (holdsClientCoins(order, sorted, this.#feeRates.minFeeRate) ? holding : givenBack).push(order.id);
    }
    // Custody ends with the client's coins back, not on a timer: an order whose refund could
    // not be sent yet (the fee rate of now too high for it) stays in custody.
    await new Lsps1OrdersRepository(this.#database.db).markHoldsClientCoins(holding, givenBack);
    return toRefund;
  }

  /**
   * The orders out of custody (their watch ended) that hold something of the client's again:
   * among the wallet's transactions from the cursor's height on and those unconfirmed, every
   * output to an address of ours that no order in custody (`watched`) has is looked up; an
   * order found is sorted with everything its address ever received (its own payment may lie
   * far below the cursor) and brought back into custody, for a watch of its own, when a receipt
   * of it is unrefunded or overpaid. Then the cursor moves to six blocks below the chain's tip.
   * The first look (no cursor yet) only places the cursor: what came before is the audit's.
   * Returns those orders and the transactions that cover them with `scanned`.
   */
  async #lateReceipts(
    scanned: { readonly txs: readonly OnchainTransaction[]; readonly from: number },
    watched: readonly Lsps1OrderRecord[],
    cursor: { readonly height: number; readonly first: boolean },
    since: Date,
    maxScanAgeMs: number,
    leases: readonly OutputLease[],
    signal: AbortSignal,
  ): Promise<{ orders: Lsps1OrderRecord[]; txs: readonly OnchainTransaction[] }> {
    const known = new Set(watched.map((o) => o.onchainAddress));
    const addresses = new Set<string>();
    let tip = cursor.height;
    for (const t of scanned.txs) {
      if (t.confirmations > 0) tip = Math.max(tip, t.blockHeight + t.confirmations - 1);
      if (t.confirmations > 0 && t.blockHeight < cursor.height) continue;
      for (const o of t.outputs) if (o.ours && o.address && !known.has(o.address)) addresses.add(o.address);
    }
    const repo = new Lsps1OrdersRepository(this.#database.db);
    const list = cursor.first ? [] : [...addresses];
    const candidates: Lsps1OrderRecord[] = [];
    for (let i = 0; i < list.length; i += LATE_LOOKUP_CHUNK)
      candidates.push(...(await repo.outOfCustodyAt(list.slice(i, i + LATE_LOOKUP_CHUNK), since)));
    let txs = scanned.txs;
    const lowest = Math.min(...candidates.map((o) => o.onchainStartHeight ?? 0));
    if (lowest < scanned.from) txs = await this.scan.read(lowest, maxScanAgeMs);
    const refunds = await new Lsps1RefundsRepository(this.#database.db).forOrders(
      candidates.map((o) => o.id),
    );
    const late: Lsps1OrderRecord[] = [];
    for (const order of candidates) {
      const sorted = await this.sort(
        order,
        txs,
        refunds.filter((r) => r.orderId === order.id),
        signal,
        leases,
      );
      // Its own, accounted for; or not confirmed yet (found above the cursor once it confirms).
      if (sorted.unrefunded.length === 0 && !sorted.overpaid) continue;
      late.push(order);
      this.#log.warn(
        { order: order.id, state: order.state, address: order.onchainAddress },
        "a payment reached the address of an order that ended; it is the client's: refunded",
      );
    }
    await repo.markLateReceipt(late.map((o) => o.id));
    const next = tip - LATE_RECEIPTS_MARGIN_BLOCKS;
    if (next > cursor.height || cursor.first)
      await new JobCursorsRepository(this.#database.db).advance(
        LATE_RECEIPTS_CURSOR,
        BigInt(Math.max(next, 0)),
      );
    return { orders: late, txs };
  }

  /**
   * Ends the leases of the receipts that paid for an order's funded channel (its `settling`
   * step): the client's (one after the order was paid, an overpayment to send back) stay
   * leased.
   */
  async releasePaid(order: Lsps1OrderRecord, signal: AbortSignal): Promise<void> {
    if (!order.onchainAddress) return;
    const [txs, leases, refunds] = await Promise.all([
      this.scan.read(order.onchainStartHeight ?? 0, GUARD_SCAN_AGE_MS),
      this.#lightning.listLeases(signal),
      new Lsps1RefundsRepository(this.#database.db).forOrders([order.id]),
    ]);
    const sorted = await this.sort({ ...order, state: 'settling' }, txs, refunds, signal, leases);
    const paid = new Set(sorted.paid.map((r) => outpointKey(r.outpoint)));
    const released = leasesUnder(leases, receiptLockId(order.id)).filter((o) => paid.has(outpointKey(o)));
    if (released.length > 0) await this.release(order.id, released, signal);
  }

  /** Ends the leases of an order's receipts at `outpoints`. */
  async release(orderId: string, outpoints: readonly Outpoint[], signal: AbortSignal) {
    const lockId = receiptLockId(orderId);
    for (const o of outpoints) {
      await this.#lightning.releaseOutput(lockId, o, signal);
      this.#leased.delete(outpointKey(o));
      this.#log.info({ order: orderId, outpoint: outpointKey(o) }, 'order receipt released');
    }
  }

  async #lease(orderId: string, outpoints: readonly Outpoint[], signal: AbortSignal): Promise<void> {
    const lockId = receiptLockId(orderId);
    for (const o of outpoints) {
      const key = outpointKey(o);
      try {
        const until = await this.#lightning.leaseOutput(lockId, o, RECEIPT_LEASE_SECONDS, signal);
        const first = !this.#leased.has(key);
        this.#leased.set(key, until.getTime());
        if (first) this.#log.info({ order: orderId, outpoint: key, until }, 'order receipt leased');
      } catch (err) {
        const reason = errorMessage(err);
        // Spent, and the spend confirmed: nothing left to hold.
        if (/unknown output/i.test(reason)) continue;
        this.#log.warn(
          { order: orderId, outpoint: key, err: reason },
          /already locked/i.test(reason)
            ? "an order's receipt is leased by something else"
            : 'order receipt not leased; trying again',
        );
      }
    }
  }
}
