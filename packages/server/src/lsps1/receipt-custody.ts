/**
 * Whose each coin an LSPS1 order's address received is (pure): the receipts that paid for the
 * order's channel are the LSP's; every other receipt, and what the receipt that took the order
 * past its total paid over it, is the client's, held while the order runs or a refund spends
 * it, and refunded once the order is over. `OrderReceipts` acts on it.
 */
import type { OnchainTransaction, Outpoint, OutputLease, Sat } from '@blgv/core';
import { sat } from '@blgv/core';
import type { Lsps1OrderRecord, Lsps1Refund } from '@blgv/store';
import { REFUND_DUST_LIMIT, type RefundInput, refundVsize, spentOutpoints } from './refund-transaction.ts';

/**
 * An order's unspent receipts, sorted by whose they are. `paid`: they paid for its funded
 * channel (the order was paid on chain and is settling or completed): the LSP's, released.
 * `refunding`: spent by a refund not confirmed yet: held. `unrefunded`: the client's, confirmed
 * and in no refund: held while the order runs, then sent back (a payment after the order was
 * paid, a payment after its refund went out, a payment to an order paid by its invoice, ...).
 * `unconfirmed`: the client's too, but not confirmed yet: held, and refunded only once it
 * confirms. The payer may still replace it (a fee bump): a refund spending it would then never
 * confirm, and hold every other receipt it spends with it.
 */
export interface SortedReceipts {
  readonly paid: readonly RefundInput[];
  readonly refunding: readonly RefundInput[];
  readonly unrefunded: readonly RefundInput[];
  readonly unconfirmed: readonly RefundInput[];
  /**
   * The receipt that took an order paid on chain past its total, when what it paid over the
   * total is worth sending back and no refund spends it yet: held, then refunded with `kept`
   * sat of it (the part that paid for the channel; 0 when under the dust limit) going back to
   * the LSP's wallet.
   */
  readonly overpaid?: { readonly receipt: RefundInput; readonly kept: Sat };
}

/** The order fields custody reads. */
export type CustodyOrder = Pick<Lsps1OrderRecord, 'state' | 'paymentMethod' | 'orderTotalSat'>;

/**
 * Sorts an order's receipts (every output its address received, spent or not) by custody;
 * receipts spent for good (`spent`) are left out, `refunding` are the outpoints a refund not
 * yet confirmed spends. An overpayment ({@link overpaidBy}) of at least `overpaymentFloor` is
 * the client's too: the receipt holding it is `overpaid` rather than `paid` until a refund
 * spends it (no floor given: never), unless the wallet has put that receipt to another use
 * already (`inUse`: leased or spent by something other than the order's refund; it was
 * released as paid when the floor was higher): a coin the LSP committed elsewhere is never
 * taken back for a refund.
 */
export function sortReceipts(
  order: CustodyOrder,
  receipts: readonly ReceiptOutput[],
  spent: ReadonlySet<string>,
  refunding: ReadonlySet<string>,
  overpaymentFloor?: bigint,
  inUse: ReadonlySet<string> = new Set(),
): SortedReceipts {
  const paidList = paidFor(order) ? paidReceipts(receipts, order.orderTotalSat) : [];
  const paidKeys = new Set(paidList.map((r) => outpointKey(r.outpoint)));
  const sum = paidList.reduce((s, r) => s + r.amount, 0n);
  const over = sum > order.orderTotalSat ? sum - order.orderTotalSat : 0n;
  const crossing = paidList.at(-1);
  const split =
    crossing &&
    overpaymentFloor !== undefined &&
    over >= overpaymentFloor &&
    !inUse.has(outpointKey(crossing.outpoint))
      ? crossing
      : undefined;
  const paid: RefundInput[] = [];
  const inRefund: RefundInput[] = [];
  const unrefunded: RefundInput[] = [];
  const unconfirmed: RefundInput[] = [];
  let overpaid: SortedReceipts['overpaid'];
  for (const r of receipts) {
    const key = outpointKey(r.outpoint);
    if (spent.has(key)) continue;
    // A receipt a live refund spends is held, whatever else it did (the overpaying one too).
    if (refunding.has(key)) inRefund.push(r);
    else if (r === split) overpaid = { receipt: r, kept: keptOf(r.amount - over) };
    else if (paidKeys.has(key)) paid.push(r);
    else if (r.confirmations > 0) unrefunded.push(r);
    else unconfirmed.push(r);
  }
  return { paid, refunding: inRefund, unrefunded, unconfirmed, ...(overpaid ? { overpaid } : {}) };
}

/**
 * What of the overpaying receipt goes back to the LSP: the part that paid for the channel, or
 * nothing when that is below the dust limit (an output that small would keep the refund from
 * ever being relayed: the LSP forgoes it, under 330 sat, and the client gets the whole receipt
 * back less the fee).
 */
function keptOf(paid: bigint): Sat {
  return sat(paid >= REFUND_DUST_LIMIT ? paid : 0n);
}

/** True when the order was paid on chain for a channel that is funded and published. */
function paidFor(order: CustodyOrder): boolean {
  return order.paymentMethod === 'onchain' && (order.state === 'settling' || order.state === 'completed');
}

/**
 * How much the receipts that paid for an order paid on chain ({@link paidReceipts}) came to
 * over its total: 0 for any other order.
 */
export function overpaidBy(order: CustodyOrder, receipts: readonly ReceiptOutput[]): bigint {
  if (!paidFor(order)) return 0n;
  const sum = paidReceipts(receipts, order.orderTotalSat).reduce((s, r) => s + r.amount, 0n);
  return sum > order.orderTotalSat ? sum - order.orderTotalSat : 0n;
}

/** A receipt with the confirmations of its transaction. */
export type ReceiptOutput = RefundInput & { readonly confirmations: number };

/**
 * The receipts that paid for an order paid on chain: the earliest confirmed (most
 * confirmations first, then by outpoint) until they reach its total. The order was paid when
 * its confirmed receipts first reached the total, so any later receipt was not needed: it is
 * the client's. What the last of them paid over the total is the client's too
 * ({@link overpaidBy}).
 */
export function paidReceipts(receipts: readonly ReceiptOutput[], total: bigint): ReceiptOutput[] {
  const ordered = [...receipts]
    .filter((r) => r.confirmations > 0)
    .sort(
      (a, b) =>
        b.confirmations - a.confirmations || (outpointKey(a.outpoint) < outpointKey(b.outpoint) ? -1 : 1),
    );
  const paid: ReceiptOutput[] = [];
  let sum = 0n;
  for (const r of ordered) {
    if (sum >= total) break;
    paid.push(r);
    sum += r.amount;
  }
  return paid;
}

/**
 * The outpoints refunds not yet confirmed spend: those of the live refunds on record, and of
 * unconfirmed wallet transactions labelled as the order's refund (an earlier version's).
 */
export function refundingOutpoints(
  refunds: readonly Pick<Lsps1Refund, 'rawTx' | 'replacedBy' | 'confirmedAt'>[],
  txs: readonly OnchainTransaction[],
  label: string,
): Set<string> {
  const live = refunds.filter((r) => r.replacedBy === null && r.confirmedAt === null);
  return new Set([
    ...live.flatMap((r) => spentOutpoints(r.rawTx).map(outpointKey)),
    ...txs
      .filter((t) => t.label === label && t.confirmations === 0)
      .flatMap((t) => t.inputs.map(outpointKey)),
  ]);
}

/**
 * The outpoints the wallet has put to another use than the order's custody: spent by an
 * unconfirmed transaction that is no refund of the order (`refunding`), or leased under another
 * lock than the order's (`lockId`: a funding holds them while it is negotiated or withheld).
 */
export function inUseElsewhere(
  txs: readonly OnchainTransaction[],
  refunding: ReadonlySet<string>,
  leases: readonly OutputLease[],
  lockId: string,
): Set<string> {
  const inUse = new Set<string>();
  for (const t of txs)
    if (t.confirmations === 0)
      for (const i of t.inputs) if (!refunding.has(outpointKey(i))) inUse.add(outpointKey(i));
  for (const l of leases) if (l.lockId !== lockId) inUse.add(outpointKey(l.outpoint));
  return inUse;
}

/** The outpoints `txs` spend in confirmed transactions (spent for good). */
export function spentForGood(txs: readonly OnchainTransaction[]): Set<string> {
  const spent = new Set<string>();
  for (const t of txs) if (t.confirmations > 0) for (const i of t.inputs) spent.add(outpointKey(i));
  return spent;
}

/** `txid:index`. */
export function outpointKey(o: Outpoint): string {
  return `${o.txid}:${o.outputIndex}`;
}

/**
 * True when an ended order still holds what its client can be given back: an overpayment not
 * refunded, or confirmed receipts in no refund that would pay for their own refund at the
 * lowest fee rate and leave more than dust (a receipt below that is worth less than moving it
 * costs, ever). Only with a refund address to send them to. A receipt not confirmed yet does
 * not count: it may never confirm (dropped, replaced), and once it confirms the late-receipt
 * scan finds it above its cursor.
 */
export function holdsClientCoins(
  order: Pick<Lsps1OrderRecord, 'refundOnchainAddress'>,
  sorted: SortedReceipts,
  minFeeRate: number,
): boolean {
  const to = order.refundOnchainAddress;
  if (!to) return false;
  if (sorted.overpaid) return true;
  if (sorted.unrefunded.length === 0) return false;
  const total = sorted.unrefunded.reduce((s, r) => s + r.amount, 0n);
  try {
    return total - BigInt(minFeeRate) * BigInt(refundVsize(sorted.unrefunded, to)) >= REFUND_DUST_LIMIT;
  } catch {
    return true; // its size unknown: kept, rather than let go
  }
}
