/**
 * What a tenant's outgoing payment costs: the amount, the routing fee of the schedule (which
 * is also the fee limit given to the node) and, when it uses a liquidity reservation, the
 * utilization fee on what it takes from it. Sats charged round up.
 */
import { type FeeSchedule, routingFee } from '../fees/schedule.ts';
import { type Msat, msatToSatCeil, type Sat } from '../money.ts';

/** The charges of a payment, before any reservation. */
export interface PaymentQuote {
  /** The invoice amount, in sat rounded up. */
  readonly amount: Sat;
  /** The schedule's routing fee on the amount, in sat rounded up. */
  readonly routingFee: Sat;
  /** The most the node may pay the network (the routing fee, exact). */
  readonly feeLimit: Msat;
  /** Outbound liquidity the payment may take: amount plus fee limit, in sat rounded up. */
  readonly liquidity: Sat;
}

/** Quotes paying `amount`. */
export function quotePayment(schedule: FeeSchedule, amount: Msat): PaymentQuote {
  const feeLimit = routingFee(schedule, amount);
  return {
    amount: msatToSatCeil(amount),
    routingFee: msatToSatCeil(feeLimit),
    feeLimit,
    liquidity: msatToSatCeil((amount + feeLimit) as Msat),
  };
}

/**
 * How much of a reservation with `remaining` sat a payment takes: all the liquidity it may
 * need, or the whole remainder when that covers the amount but not the fee limit too (the
 * rest of the fee then comes from the LSP's unreserved liquidity). `undefined` when the
 * remainder does not cover the amount.
 */
export function reservationTake(quote: PaymentQuote, remaining: Sat): Sat | undefined {
  if (remaining < quote.amount) return undefined;
  return (remaining < quote.liquidity ? remaining : quote.liquidity) as Sat;
}
