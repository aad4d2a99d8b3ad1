/**
 * The database side of a payment: starting an attempt (liquidity checked, reservation taken,
 * charges written, `pending` record) and recording its outcome (refund and reservation given
 * back on failure) each happen in one transaction, so no payment is ever half-written.
 */
import {
  ErrorCode,
  type FeeSchedule,
  LspError,
  type PaymentEvent,
  type PaymentQuote,
  type PaymentResult,
  paymentMachine,
  reservationRemaining,
  reservationTake,
  type Sat,
  sat,
  utilizationFee,
} from '@blgv/core';
import type { Kysely, Schema } from '@blgv/store';
import {
  type Database,
  LedgerRepository,
  type Payment,
  type PaymentAttempt,
  type PaymentOutcome,
  PaymentsRepository,
  type Reservation,
  ReservationsRepository,
  type Transaction,
} from '@blgv/store';
import type { Logger } from 'pino';
import { requireBalance, ShortBalance } from '../accounts/short-balance.ts';
import { type SpendableReader, withAvailableLiquidity } from '../liquidity/liquidity-lock.ts';
import { moveReservation } from '../liquidity/reservation-steps.ts';
import { applyStep } from '../machines/apply-step.ts';

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
  deps: {
    readonly database: Database;
    readonly spendable: SpendableReader;
    readonly schedule: FeeSchedule;
    readonly log: Logger;
  },
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

    const taken = draft.reservationId ? await takeReservation(trx, draft, quote, deps.log) : undefined;
    const reserved = taken?.take ?? sat(0n);
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
    // At the reservation's own rate, within what it was quoted (its earlier payments' fees count).
    const utilization = taken
      ? utilizationFee(
          taken.reservation,
          quote.amount,
          await payments.utilizationCharged(taken.reservation.id),
        )
      : sat(0n);
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

/**
 * Records the final outcome of an attempt through the payment machine; a failure's refund (its
 * charges back, its reservation restored) is written in the same transaction.
 */
export async function recordOutcome(
  database: Database,
  p: Payment,
  result: PaymentResult & { readonly message?: string },
  log: Logger,
): Promise<Payment> {
  const outcome: PaymentOutcome =
    result.status === 'succeeded'
      ? {
          status: 'succeeded',
          networkFeeMsat: result.fee,
          htlcCount: result.htlcCount,
          preimage: result.preimage,
          ...(result.attempts ? { htlcAttempts: result.attempts } : {}),
        }
      : {
          status: 'failed',
          failure: result.message ?? result.reason,
          htlcCount: result.htlcCount,
          ...(result.attempts ? { htlcAttempts: result.attempts } : {}),
        };
  const event: PaymentEvent =
    outcome.status === 'succeeded' ? { type: 'succeeded' } : { type: 'failed', reason: outcome.failure };
  let finished: Payment | undefined;
  const step = await applyStep(paymentMachine, { id: p.paymentHash, state: p.status }, event, undefined, {
    db: database.db,
    atomic: true,
    log,
    quiet: true,
    persist: async (_, trx) => {
      finished = await new PaymentsRepository(trx).finish(p.paymentHash, p.attempt, outcome, p.sendTry);
      // Its money left the node: balances read before now are stale.
      if (finished?.status === 'succeeded') await new ReservationsRepository(trx).bumpEpoch();
      return finished !== undefined;
    },
    effects: {
      refund: async (_, { db }) => {
        if (finished)
          await refundAttempt(db, finished, outcome.status === 'failed' ? outcome.failure : '', log);
      },
    },
  });
  if (!step || !finished) return (await new PaymentsRepository(database.db).get(p.paymentHash)) ?? p; // recorded already
  return finished;
}

/**
 * A failed attempt's refund: its charges back (the amount and routing fee as `payment_refund`,
 * the utilization fee as `utilization_fee_refund`, so the utilization revenue counts net of it),
 * what it took of a reservation restored.
 */
async function refundAttempt(
  db: Kysely<Schema>,
  finished: Payment,
  failure: string,
  log: Logger,
): Promise<void> {
  const ledger = new LedgerRepository(db);
  const refunds = [
    ['payment_refund', finished.amount + finished.routingFee],
    ['utilization_fee_refund', finished.utilizationFee],
  ] as const;
  for (const [kind, amount] of refunds) {
    if (amount === 0n) continue;
    await ledger.append({
      tenantId: finished.tenantId,
      kind,
      amount: sat(amount),
      reference: attemptReference(finished),
      description: `refund of failed payment ${finished.paymentHash}: ${failure}`,
    });
  }
  if (!finished.reservationId || finished.reserved <= 0n) return;
  const r = await new ReservationsRepository(db).get(finished.reservationId, { lock: true });
  if (r) await moveReservation(db, r, { type: 'restore', amount: finished.reserved }, log);
}

/** The ledger reference of one attempt's charges and refund. */
function attemptReference(p: Pick<Payment, 'paymentHash' | 'attempt'>): string {
  return `${p.paymentHash}:${p.attempt}`;
}

async function takeReservation(
  trx: Transaction<Schema>,
  draft: AttemptDraft,
  quote: PaymentQuote,
  log: Logger,
): Promise<{ take: Sat; reservation: Reservation }> {
  const id = draft.reservationId ?? '';
  const r = await new ReservationsRepository(trx).get(id, { lock: true });
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
  if (!(await moveReservation(trx, r, { type: 'use', amount: take }, log)))
    throw new LspError(ErrorCode.ReservationInactive, `reservation ${id} is ${r.state}`);
  return { take, reservation: r };
}
