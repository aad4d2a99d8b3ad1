/**
 * The database side of a payment: starting an attempt (liquidity checked, reservation taken,
 * charges written, `pending` record) and recording its outcome (refund and reservation given
 * back on failure) each happen in one transaction, so no payment is ever half-written.
 */
import {
  ErrorCode,
  type FeeSchedule,
  LspError,
  type PaymentQuote,
  type PaymentResult,
  reservationRemaining,
  reservationTake,
  reservationTransition,
  type Sat,
  sat,
  utilizationFee,
} from '@blgv/core';
import type { Schema } from '@blgv/store';
import {
  type Database,
  LedgerRepository,
  type Payment,
  type PaymentAttempt,
  type PaymentOutcome,
  PaymentsRepository,
  ReservationsRepository,
  type Transaction,
} from '@blgv/store';
import { requireBalance, ShortBalance } from '../accounts/short-balance.ts';
import { type SpendableReader, withAvailableLiquidity } from '../liquidity/liquidity-lock.ts';

/** A new attempt, before the reservation and utilization fee are worked out. */
export type AttemptDraft = Omit<PaymentAttempt, 'reserved' | 'utilizationFee'>;

/** What {@link startAttempt} did. */
export type StartedAttempt =
  /** Recorded and charged: send it. */
  | { readonly payment: Payment }
  /** The payment hash is paid or being paid already: the first payment. */
  | { readonly replay: Payment }
  /** The tenant's balance does not cover `required`. Nothing was written. */
  | { readonly short: true; readonly balance: Sat; readonly required: Sat };

/**
 * Starts an attempt: takes its liquidity from the reservation (and what the reservation does
 * not cover from the unreserved liquidity), charges amount + routing fee + utilization fee, and
 * records it `pending`. Throws `not_found`, `reservation_inactive`, `reservation_exceeded`,
 * `conflict` or `lsp_insufficient_funds`, writing nothing.
 */
export function startAttempt(
  deps: { readonly database: Database; readonly spendable: SpendableReader; readonly schedule: FeeSchedule },
  draft: AttemptDraft,
  quote: PaymentQuote,
): Promise<StartedAttempt> {
  return withAvailableLiquidity(deps, async (trx, available): Promise<StartedAttempt> => {
    const payments = new PaymentsRepository(trx);
    const existing = await payments.get(draft.paymentHash, { lock: true });
    if (existing && existing.tenantId !== draft.tenantId) {
      throw new LspError(ErrorCode.Conflict, 'invoice: another account is paying or has paid it', {
        field: 'invoice',
      });
    }
    if (existing && existing.status !== 'failed') return { replay: existing };

    const reserved = draft.reservationId ? await takeReservation(trx, draft, quote) : sat(0n);
    const fromPool = quote.liquidity - reserved;
    if (fromPool > available) {
      throw new LspError(
        ErrorCode.LspInsufficientFunds,
        draft.reservationId
          ? `the payment needs ${fromPool} sat beyond its reservation and the LSP has ${available} sat unreserved`
          : `the LSP has ${available} sat of unreserved liquidity and the payment needs ${quote.liquidity} sat; reserve liquidity first`,
        { required: Number(quote.liquidity), available: Number(available) },
      );
    }
    const utilization = reserved > 0n ? utilizationFee(deps.schedule, quote.amount) : sat(0n);
    const required = sat(quote.amount + quote.routingFee + utilization);
    const ledger = new LedgerRepository(trx);
    // Short: the throw undoes the reservation take, so nothing of a refused payment stays written.
    await requireBalance(ledger, draft.tenantId, required);
    const attempt: PaymentAttempt = { ...draft, reserved, utilizationFee: utilization };
    const payment = existing
      ? await payments.retry(attempt, existing.attempt + 1)
      : await payments.insert(attempt);
    const reference = attemptReference(payment);
    const charges: [kind: 'payment' | 'routing_fee' | 'utilization_fee', amount: Sat][] = [
      ['payment', quote.amount],
      ['routing_fee', quote.routingFee],
      ['utilization_fee', utilization],
    ];
    for (const [kind, amount] of charges) {
      if (amount === 0n) continue;
      await ledger.append({
        tenantId: draft.tenantId,
        kind,
        amount: sat(-amount),
        reference,
        description: `${kind.replace('_', ' ')} of payment ${draft.paymentHash}`,
      });
    }
    return { payment };
  }).catch((err: unknown) => {
    if (err instanceof ShortBalance)
      return { short: true as const, balance: err.balance, required: err.required };
    throw err;
  });
}

/** Records the final outcome of an attempt; a failure refunds it and gives its reservation back. */
export async function recordOutcome(
  database: Database,
  p: Payment,
  result: PaymentResult & { readonly message?: string },
): Promise<Payment> {
  const outcome: PaymentOutcome =
    result.status === 'succeeded'
      ? {
          status: 'succeeded',
          networkFeeMsat: result.fee,
          htlcCount: result.htlcCount,
          preimage: result.preimage,
        }
      : { status: 'failed', failure: result.message ?? result.reason, htlcCount: result.htlcCount };
  return database.db.transaction().execute(async (trx) => {
    const payments = new PaymentsRepository(trx);
    const finished = await payments.finish(p.paymentHash, p.attempt, outcome);
    if (!finished) return (await payments.get(p.paymentHash)) ?? p; // recorded already
    if (finished.status === 'succeeded') {
      // Its money left the node: balances read before now are stale.
      await new ReservationsRepository(trx).bumpEpoch();
      return finished;
    }
    const refund = finished.amount + finished.routingFee + finished.utilizationFee;
    await new LedgerRepository(trx).append({
      tenantId: finished.tenantId,
      kind: 'payment_refund',
      amount: sat(refund),
      reference: attemptReference(finished),
      description: `refund of failed payment ${finished.paymentHash}: ${outcome.status === 'failed' ? outcome.failure : ''}`,
    });
    if (finished.reservationId && finished.reserved > 0n) {
      const reservations = new ReservationsRepository(trx);
      const r = await reservations.get(finished.reservationId, { lock: true });
      const step = r && reservationTransition(r, { type: 'restore', amount: finished.reserved });
      if (r && step?.ok) await reservations.transition(r.id, r.state, { state: step.state, used: step.used });
    }
    return finished;
  });
}

/** The ledger reference of one attempt's charges and refund. */
function attemptReference(p: Pick<Payment, 'paymentHash' | 'attempt'>): string {
  return `${p.paymentHash}:${p.attempt}`;
}

async function takeReservation(
  trx: Transaction<Schema>,
  draft: AttemptDraft,
  quote: PaymentQuote,
): Promise<Sat> {
  const id = draft.reservationId ?? '';
  const reservations = new ReservationsRepository(trx);
  const r = await reservations.get(id, { lock: true });
  if (!r || r.tenantId !== draft.tenantId) {
    throw new LspError(ErrorCode.NotFound, `no reservation ${id}`, { field: 'reservationId' });
  }
  if (r.state !== 'active' || r.expiresAt.getTime() <= Date.now()) {
    const state = r.state === 'active' ? 'expired' : r.state;
    throw new LspError(ErrorCode.ReservationInactive, `reservation ${id} is ${state}`, {
      field: 'reservationId',
      state,
    });
  }
  const remaining = reservationRemaining(r);
  const take = reservationTake(quote, remaining);
  if (take === undefined) {
    throw new LspError(
      ErrorCode.ReservationExceeded,
      `the payment of ${quote.amount} sat exceeds the ${remaining} sat left of reservation ${id}`,
      { field: 'reservationId', remaining: Number(remaining), amount: Number(quote.amount) },
    );
  }
  const step = reservationTransition(r, { type: 'use', amount: take });
  if (!step.ok) throw new LspError(ErrorCode.ReservationInactive, `reservation ${id} is ${r.state}`);
  await reservations.transition(r.id, r.state, { state: step.state, used: step.used });
  return take;
}
