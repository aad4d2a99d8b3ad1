/**
 * What a tenant's outgoing payment costs: the amount, the routing fee of the schedule (which
 * is also the fee limit given to the node, unless the tenant's limit is lower: see
 * {@link paymentFeeLimit}) and, when it uses a liquidity reservation, the utilization fee on
 * what it takes from it. Sats charged round up.
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

/** The most a tenant lets the network take for one payment (either, both or neither). */
export interface FeeLimitRequest {
  /** At most this many sat. */
  readonly maxFeeSat?: Sat;
  /** At most this many millionths of the amount (rounded down to the msat). */
  readonly maxFeePpm?: bigint;
}

/**
 * The fee limit the node pays within: the schedule's routing fee (what the tenant is charged,
 * `quote.feeLimit`), lowered to the tenant's limits when they are lower. Without a limit from
 * the tenant, `defaults` (from config) apply the same way; without those either, the routing
 * fee is the limit. A limit never raises it: the charge always covers what the network may take.
 */
export function paymentFeeLimit(
  quote: Pick<PaymentQuote, 'feeLimit'>,
  amount: Msat,
  requested: FeeLimitRequest,
  defaults: FeeLimitRequest = {},
): Msat {
  const given = requested.maxFeeSat !== undefined || requested.maxFeePpm !== undefined;
  const limits = given ? requested : defaults;
  let limit: bigint = quote.feeLimit;
  if (limits.maxFeeSat !== undefined) limit = min(limit, limits.maxFeeSat * 1000n);
  if (limits.maxFeePpm !== undefined) limit = min(limit, (amount * limits.maxFeePpm) / 1_000_000n);
  return limit as Msat;
}

/** A margin over a quoted routing fee: `percent` of it plus `sat`. */
export interface QuoteMargin {
  readonly percent: number;
  readonly sat: number;
}

/**
 * `defaults` lowered to a quoted routing fee plus `margin` (rounded up to the sat), for a
 * payment whose tenant gives no limit: the node then pays at most what the graph said the route
 * costs, and a margin. The lower of the two when `defaults` has a `maxFeeSat` already.
 */
export function quotedFeeLimit(
  defaults: FeeLimitRequest,
  quotedFee: Msat,
  margin: QuoteMargin,
): FeeLimitRequest {
  const withMargin = (quotedFee * BigInt(100 + margin.percent) + 99n) / 100n + BigInt(margin.sat) * 1000n;
  const fromQuote = msatToSatCeil(withMargin as Msat);
  const maxFeeSat =
    defaults.maxFeeSat !== undefined && defaults.maxFeeSat < fromQuote ? defaults.maxFeeSat : fromQuote;
  return { ...defaults, maxFeeSat };
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
