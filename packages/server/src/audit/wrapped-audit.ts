/**
 * The audit of wrapped invoices: each completed one was paid its amount and fee (the LSP's hold
 * invoice settled for both), paid the wallet exactly its invoice, and has its channel in LND;
 * each failed or expired one collected nothing and paid the wallet nothing (its withheld funding,
 * if any, is judged with the fundings: withdrawn, nothing live, no input leased).
 */
import { parseHex32 } from '@blgv/core';
import { type Database, WrappedInvoicesRepository } from '@blgv/store';
import type { AuditSink } from './custody-checks.ts';
import type { LndSnapshot } from './lnd-snapshot.ts';

const MOVING = new Set(['awaiting_payment', 'opening', 'paying', 'settling']);

/** Checks every wrapped invoice against LND; answers the fees the completed ones earned (msat). */
export async function auditWrappedInvoices(
  database: Database,
  lnd: Pick<LndSnapshot, 'invoice' | 'payment' | 'channel'>,
  sink: AuditSink,
): Promise<bigint> {
  let earned = 0n;
  for (const w of await new WrappedInvoicesRepository(database.db).all()) {
    const subject = `wrapped_invoice:${w.id}`;
    sink.checked('wrapped_invoices');
    if (MOVING.has(w.state)) {
      sink.inFlight('wrapped_invoices');
      continue;
    }
    const hash = parseHex32(w.paymentHash);
    const [held, sent] = await Promise.all([
      lnd.invoice(hash),
      lnd.payment(hash).catch(() => 'unanswered' as const),
    ]);
    if (sent === 'unanswered') {
      sink.inFlight('wrapped_invoices');
      continue;
    }
    if (w.state !== 'completed') {
      if (held?.state === 'settled')
        sink.flag('wrapped_collected_but_failed', subject, `${w.state}, yet the LSP's invoice was settled`);
      if (sent?.status === 'succeeded')
        sink.flag('wrapped_wallet_paid_but_failed', subject, `${w.state}, yet the wallet's invoice was paid`);
      continue;
    }
    const owed = w.walletAmount + w.fee;
    if (held?.state !== 'settled' || held.amountPaid < owed)
      sink.flag(
        'wrapped_fee_not_collected',
        subject,
        `completed, but the LSP's invoice is ${held?.state ?? 'missing'} with ${held?.amountPaid ?? 0n} of ${owed} msat paid`,
      );
    else earned += held.amountPaid - w.walletAmount;
    if (sent?.status !== 'succeeded' || sent.amount !== w.walletAmount)
      sink.flag(
        'wrapped_wallet_not_paid',
        subject,
        `completed, but the wallet's ${w.walletAmount} msat invoice is ${sent?.status ?? 'unpaid'}${sent?.status === 'succeeded' ? ` with ${sent.amount} msat` : ''}`,
      );
    if (w.fundingTxid && w.fundingOutputIndex !== null && !lnd.channel(w.fundingTxid, w.fundingOutputIndex))
      sink.flag(
        'wrapped_channel_missing',
        subject,
        `completed, but LND has no channel at ${w.fundingTxid}:${w.fundingOutputIndex}`,
      );
  }
  return earned;
}
