/**
 * Liquidity reservations (the spec's `LiquidityRequest` -> `LiquidityResponse`): outbound
 * liquidity of the LSP node set aside for one tenant for a while. The fee arithmetic and the
 * reservation's small state machine live here; the server persists every transition.
 */
import { type FeeSchedule, PPM, ppmOfCeil } from '../fees/schedule.ts';
import type { Channel } from '../lightning/types.ts';
import { type Machine, moved, type Step, states } from '../machine.ts';
import type { Sat } from '../money.ts';

/** Where a reservation is. Only `active` holds liquidity. */
export type ReservationState = 'active' | 'released' | 'expired' | 'exhausted';

/** What can happen to a reservation. */
export type ReservationEvent =
  /** The tenant gave it back early. */
  | { readonly type: 'release' }
  /** Its duration ran out. */
  | { readonly type: 'expire' }
  /** A payment took `amount` of it. */
  | { readonly type: 'use'; readonly amount: Sat }
  /** A failed payment gave `amount` back. */
  | { readonly type: 'restore'; readonly amount: Sat };

/** The part of a reservation the machine looks at. */
export interface ReservationSnapshot {
  readonly state: ReservationState;
  readonly amount: Sat;
  readonly used: Sat;
}

/**
 * The answer of {@link reservationTransition} (the one machine shape: see `machine.ts`): the next
 * state with what is used of it, or the refusal (`inactive` or `exceeded`).
 */
export type ReservationStep = Step<ReservationState, never, { readonly used: Sat }>;

const refused = (reason: 'inactive' | 'exceeded') => ({ ok: false, reason }) as const;

/**
 * The reservation state machine. `use` needs an active reservation with enough left and moves
 * it to `exhausted` when nothing is left; `restore` gives back what a failed payment took (an
 * exhausted reservation becomes active again); `release` and `expire` end an active or
 * exhausted one. A `restore` on an ended reservation only lowers `used`.
 */
export function reservationTransition(r: ReservationSnapshot, event: ReservationEvent): ReservationStep {
  const live = r.state === 'active' || r.state === 'exhausted';
  switch (event.type) {
    case 'release':
      return live ? moved('released', [], { used: r.used }) : refused('inactive');
    case 'expire':
      return live ? moved('expired', [], { used: r.used }) : refused('inactive');
    case 'use': {
      if (r.state !== 'active') return refused('inactive');
      const used = (r.used + event.amount) as Sat;
      if (used > r.amount) return refused('exceeded');
      return moved(used === r.amount ? 'exhausted' : 'active', [], { used });
    }
    case 'restore': {
      const used = (r.used > event.amount ? r.used - event.amount : 0n) as Sat;
      return moved(r.state === 'exhausted' ? 'active' : r.state, [], { used });
    }
  }
}

/** What is left of a reservation to pay with (nothing once it has ended). */
export function reservationRemaining(r: ReservationSnapshot): Sat {
  return (r.state === 'active' ? r.amount - r.used : 0n) as Sat;
}

/** The fees of a reservation of `amount`. */
export interface ReservationQuote {
  /** Charged when the reservation is made. */
  readonly reservationFee: Sat;
  /** Charged on each payment, on what it uses. */
  readonly utilizationFeePpm: bigint;
  /** The utilization fee if the whole reservation is used. */
  readonly maxUtilizationFee: Sat;
  /**
   * The effective rate if the whole reservation is used, in ppm of `amount`, rounded up:
   * `ceil((reservationFee + maxUtilizationFee) * 1e6 / amount)`.
   */
  readonly feeRatePpm: bigint;
}

/** Quotes a reservation of `amount` (> 0) sat. */
export function quoteReservation(schedule: FeeSchedule, amount: Sat): ReservationQuote {
  if (amount <= 0n) throw new RangeError('a reservation amount must be positive');
  const { reservationFee, utilizationFeePpm } = schedule.liquidity;
  const maxUtilizationFee = ppmOfCeil(amount, utilizationFeePpm) as Sat;
  const total = reservationFee + maxUtilizationFee;
  return {
    reservationFee,
    utilizationFeePpm,
    maxUtilizationFee,
    feeRatePpm: (total * PPM + amount - 1n) / amount,
  };
}

/**
 * The most liquidity bought from outside may cost for a reservation to stay within
 * `maxFeeRatePpm` when fully used: what that rate allows on `amount`, minus the reservation's
 * own fees. Zero when nothing is left for it.
 */
export function purchaseBudget(quote: ReservationQuote, amount: Sat, maxFeeRatePpm: bigint): Sat {
  const allowed = (amount * maxFeeRatePpm) / PPM;
  const left = allowed - quote.reservationFee - quote.maxUtilizationFee;
  return (left > 0n ? left : 0n) as Sat;
}

/**
 * A reservation's quote with the cost of liquidity bought for it: the purchase is charged with
 * the reservation fee, and counts in the effective rate.
 */
export function withPurchaseFee(quote: ReservationQuote, amount: Sat, purchaseFee: Sat): ReservationQuote {
  const total = quote.reservationFee + purchaseFee + quote.maxUtilizationFee;
  return {
    ...quote,
    reservationFee: (quote.reservationFee + purchaseFee) as Sat,
    feeRatePpm: (total * PPM + amount - 1n) / amount,
  };
}

/**
 * The utilization fee of a payment of `paid` sat made with a reservation of `amount` sat sold
 * at `utilizationFeePpm` (the rate on the reservation, whatever the schedule says now), of
 * which `charged` sat of utilization fees are already charged to its payments (those not
 * failed): the payment's own fee, rounded up, but never more than what is left of the
 * reservation's quoted maximum (`ceil(amount × ppm / 1e6)`, the `maxUtilizationFee` its
 * `feeRatePpm` counts). So many small payments cost no more than the reservation was quoted.
 */
export function utilizationFee(
  reservation: { readonly amount: Sat; readonly utilizationFeePpm: bigint },
  paid: Sat,
  charged: Sat,
): Sat {
  const own = ppmOfCeil(paid, reservation.utilizationFeePpm);
  const left = ppmOfCeil(reservation.amount, reservation.utilizationFeePpm) - charged;
  return (own < left ? own : left > 0n ? left : 0n) as Sat;
}

/**
 * Liquidity the LSP can still promise: the node's spendable outbound balance minus what active
 * reservations have not used yet and what payments in flight may still take. Never negative.
 */
export function availableLiquidity(parts: {
  readonly spendable: Sat;
  readonly reservedRemaining: Sat;
  readonly pendingPayments: Sat;
}): Sat {
  const a = parts.spendable - parts.reservedRemaining - parts.pendingPayments;
  return (a > 0n ? a : 0n) as Sat;
}

/**
 * What the node can send now: over its active channels, the local balance above the channel
 * reserve it must keep.
 */
export function spendableOutbound(
  channels: readonly Pick<Channel, 'active' | 'localBalance' | 'localReserve'>[],
): Sat {
  let total = 0n;
  for (const c of channels) {
    if (c.active && c.localBalance > c.localReserve) total += c.localBalance - c.localReserve;
  }
  return total as Sat;
}

/** The reservation machine, as data; its context is the reservation's amount and what is used. */
export const reservationMachine: Machine<
  ReservationState,
  ReservationEvent,
  never,
  { readonly used: Sat },
  Omit<ReservationSnapshot, 'state'>
> = {
  name: 'reservation',
  states: states<ReservationState>({ active: true, released: true, expired: true, exhausted: true }),
  final: ['released', 'expired'],
  next: (state, event, r) => reservationTransition({ ...r, state }, event),
};
