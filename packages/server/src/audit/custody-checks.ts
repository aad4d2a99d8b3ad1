/**
 * The audit's custody checks of LSPS1 and LSPS2 money that never touches the ledger.
 *
 * LSPS1 on-chain receipts: whatever an order's address received either paid for its channel
 * (the order was paid on chain and funded: the receipts that first reached its total) or goes
 * back to the refund address: spent by nothing but the order's refunds, and, once the order
 * is over, refunded on chain (a refund confirmed, or in flight), unless too little arrived to
 * pay for its own refund. What the receipt that crossed a completed order's total paid over it
 * goes back too when it is worth its refund even at the highest fee rate.
 *
 * LSPS2 opening fees: a completed JIT channel's opening fee was actually collected, in the
 * fees of settled forwards on the new channel in LND's forwarding history.
 */
import { ErrorCode, FINAL_ORDER_STATES, isLspError, type OnchainTransaction } from '@blgv/core';
import type { JitChannelRecord, Lsps1OrderRecord, Lsps1Refund } from '@blgv/store';
import { REFUND_LABEL_PREFIX } from '../lsps1/lsps1-refunds.ts';
import { outpointKey, overpaidBy, paidReceipts, type ReceiptOutput } from '../lsps1/receipt-custody.ts';
import {
  outputsTo,
  overpaymentFloor,
  type RefundInput,
  refundPsbt,
  spentOutpoints,
} from '../lsps1/refund-transaction.ts';
import type { LndSnapshot } from './lnd-snapshot.ts';

/** Where checks report to. */
export interface AuditSink {
  flag(check: string, subject: string, message: string): void;
  checked(what: string): void;
  inFlight(what: string): void;
}

/** Order states whose on-chain payment paid for a funded channel. */
const FUNDED_ORDER = new Set(['publishing', 'settling', 'completed']);
/** The lowest fee rate a refund could pay (sat/vB). */
const LOWEST_FEE_RATE = 1n;

/** Every LSPS1 order's on-chain receipts: spent only by its refund, and refunded once it ended. */
export async function auditLsps1Receipts(
  orders: readonly Lsps1OrderRecord[],
  refunds: readonly Lsps1Refund[],
  lnd: Pick<LndSnapshot, 'onchain'>,
  sink: AuditSink,
  refundMaxFeeRate?: number,
): Promise<void> {
  const onchain = orders.filter((o) => o.onchainAddress !== null);
  if (onchain.length === 0) return;
  const txs = await lnd.onchain(Math.min(...onchain.map((o) => o.onchainStartHeight ?? 0)));
  const spenders = new Map<string, OnchainTransaction[]>();
  for (const t of txs)
    for (const i of t.inputs) spenders.set(outpointKey(i), [...(spenders.get(outpointKey(i)) ?? []), t]);
  const confirmations = new Map(txs.map((t) => [t.txid as string, t.confirmations]));

  for (const o of onchain) {
    const all = outputsTo(txs, o.onchainAddress ?? '');
    if (all.length === 0) continue;
    const subject = `lsps1:${o.id}`;
    const what = 'lsps1_receipts';
    sink.checked(what);
    // Paid on chain for a channel that is funded: the coins that paid for it are the LSP's;
    // whatever arrived after it was paid is the client's, as for any other order.
    const paid =
      o.paymentMethod === 'onchain' && FUNDED_ORDER.has(o.state)
        ? new Set(paidReceipts(all, o.orderTotalSat).map((r) => outpointKey(r.outpoint)))
        : new Set<string>();
    const receipts = all.filter((r) => !paid.has(outpointKey(r.outpoint)));
    const own = refunds.filter((r) => r.orderId === o.id);
    const label = `${REFUND_LABEL_PREFIX}${o.id}`;
    const refundTxids = new Set<string>([
      ...own.map((r) => r.txid),
      ...txs.filter((t) => t.label === label).map((t) => t.txid),
    ]);
    if (refundMaxFeeRate !== undefined && o.state === 'completed')
      auditOverpayment(o, all, spenders, refundTxids, BigInt(refundMaxFeeRate), sink);
    if (receipts.length === 0) continue;

    const covered = new Set(own.flatMap((r) => spentOutpoints(r.rawTx).map(outpointKey)));
    for (const r of receipts) {
      const key = outpointKey(r.outpoint);
      const other = (spenders.get(key) ?? []).find((t) => !refundTxids.has(t.txid));
      if (other)
        sink.flag(
          'lsps1_receipt_spent',
          subject,
          `${r.amount} sat it received (${key}) spent by ${other.txid}, not by its refund`,
        );
    }
    const confirmed = [...refundTxids].filter((t) => (confirmations.get(t) ?? 0) > 0);
    for (const txid of o.refundOnchainAddress ? confirmed : []) {
      const pays = txs
        .find((t) => t.txid === txid)
        ?.outputs.some((x) => x.address === o.refundOnchainAddress);
      if (!pays)
        sink.flag(
          'lsps1_refund_elsewhere',
          subject,
          `its refund ${txid} pays no output to its refund address`,
        );
    }
    if (!FINAL_ORDER_STATES.includes(o.state)) {
      sink.inFlight(what);
      continue;
    }
    const inNoRefund = receipts.filter(
      (r) => !covered.has(outpointKey(r.outpoint)) && !spenders.has(outpointKey(r.outpoint)),
    );
    // One not confirmed yet is refunded once it confirms (its payer may still replace it).
    const left = inNoRefund.filter((r) => r.confirmations > 0);
    if (left.length > 0 && refundable(left, o.refundOnchainAddress)) {
      const total = left.reduce((s, r) => s + r.amount, 0n);
      sink.flag(
        'lsps1_receipt_not_refunded',
        subject,
        `${o.state}, yet ${total} sat it received (${left.map((r) => outpointKey(r.outpoint)).join(', ')}) was not refunded`,
      );
    } else if (inNoRefund.length > left.length)
      sink.inFlight(what); // waiting for its confirmation
    else if (
      receipts.some((r) => covered.has(outpointKey(r.outpoint)) && !spenders.has(outpointKey(r.outpoint)))
    )
      sink.inFlight(what); // in a refund not seen yet
    else if (
      receipts.some((r) => (spenders.get(outpointKey(r.outpoint)) ?? []).some((t) => t.confirmations === 0))
    )
      sink.inFlight(what); // in a refund not confirmed yet
  }
}

/**
 * A completed order paid on chain whose paying receipts came to more than its total by enough
 * to pay for the overpayment's refund even at the highest rate (`maxRate`): the receipt that
 * crossed the total is spent by nothing but the order's refunds (once the next pass has seen
 * the order complete, by one of them).
 */
function auditOverpayment(
  o: Lsps1OrderRecord,
  all: readonly ReceiptOutput[],
  spenders: ReadonlyMap<string, readonly OnchainTransaction[]>,
  refundTxids: ReadonlySet<string>,
  maxRate: bigint,
  sink: AuditSink,
): void {
  if (!o.onchainAddress || !o.refundOnchainAddress) return;
  const over = overpaidBy(o, all);
  if (over === 0n || over < overpaymentFloor(maxRate, o.onchainAddress, o.refundOnchainAddress)) return;
  const crossing = paidReceipts(all, o.orderTotalSat).at(-1);
  if (!crossing) return;
  const key = outpointKey(crossing.outpoint);
  const spentBy = spenders.get(key) ?? [];
  const other = spentBy.find((t) => !refundTxids.has(t.txid));
  if (other)
    sink.flag(
      'lsps1_overpayment_kept',
      `lsps1:${o.id}`,
      `it was paid ${over} sat over its total (${key}), spent by ${other.txid}, not by its refund`,
    );
  else if (spentBy.length === 0) sink.inFlight('lsps1_receipts'); // the next pass refunds it
}

/** True when `inputs` could pay a refund to `to` at the lowest fee rate and leave more than dust. */
function refundable(inputs: readonly RefundInput[], to: string | null): boolean {
  if (!to) return false;
  try {
    refundPsbt(inputs, to, LOWEST_FEE_RATE);
    return true;
  } catch (err) {
    if (isLspError(err, ErrorCode.InsufficientFunds)) return false;
    throw err;
  }
}

/** How long LND may take to write a settled forward to its forwarding log (it batches every 15 s). */
const FORWARD_LOG_LAG_MS = 60_000;

/** Every completed JIT channel's opening fee in the fees of settled forwards on its channel. */
export async function auditJitFees(
  jits: readonly JitChannelRecord[],
  lnd: Pick<LndSnapshot, 'forwards' | 'channel'>,
  sink: AuditSink,
): Promise<void> {
  const completed = jits.filter((j) => j.state === 'completed' && (j.feeMsat ?? 0n) > 0n);
  if (completed.length === 0) return;
  const since = new Date(Math.min(...completed.map((j) => j.createdAt.getTime())) - 60_000);
  const forwards = await lnd.forwards(since);
  for (const j of completed) {
    const subject = `jit:${j.id}`;
    sink.checked('jit_fees');
    const seen =
      j.fundingTxid && j.fundingOutputIndex !== null
        ? lnd.channel(j.fundingTxid, j.fundingOutputIndex)
        : undefined;
    const scids = new Set<string>([
      j.jitScid,
      ...(j.channelScid ? [j.channelScid] : []),
      ...(seen?.scids ?? []).map(String),
    ]);
    const from = j.createdAt.getTime() - 60_000;
    const collected = forwards
      .filter((f) => scids.has(String(f.outgoingScid)) && f.timestamp.getTime() >= from)
      .reduce((s, f) => s + f.fee, 0n);
    const fee = j.feeMsat ?? 0n;
    if (collected >= fee) continue;
    // Its payment is still on the channel: the forward settles when the client takes it. Or
    // it settled a moment ago: LND writes its forwarding log in batches (every 15 s).
    const justCompleted = Date.now() - j.updatedAt.getTime() < FORWARD_LOG_LAG_MS;
    if ((collected === 0n && (seen?.pendingHtlcs ?? 0) > 0) || justCompleted) {
      sink.inFlight('jit_fees');
      continue;
    }
    sink.flag(
      'jit_fee_not_collected',
      subject,
      `completed with an opening fee of ${fee} msat, but settled forwards on its channel carry ${collected} msat of fees`,
    );
  }
}
