/**
 * Deciding a batch of reservation requests in memory, in arrival order, from what was read
 * under the allocation lock: the liquidity available, and each tenant's reserved amount and
 * spendable balance. Pure: the allocator writes what it decides (the reservation rows, the
 * charges, the refunds) in a few statements, whatever the size of the batch. Each decision is
 * the one the request would get alone after those before it: a grant lowers the liquidity, adds
 * to its tenant's reserved amount and takes its fee from the tenant's balance.
 */
import { type ReservationQuote, type Sat, sat } from '@blgv/core';
import type { LedgerEntry, NewReservation, Reservation, TenantPosition } from '@blgv/store';

/** A reservation to allocate, validated and priced. */
export interface AllocationRequest {
  readonly id: string;
  readonly tenantId: string;
  readonly amount: Sat;
  readonly durationMs: number;
  readonly maxFeeRatePpm: bigint;
  readonly quote: ReservationQuote;
  /**
   * Liquidity bought from outside for this request: its cost (charged with the reservation,
   * within `quote.reservationFee`), and what was held from the tenant's balance for it before
   * buying (the difference is given back here).
   */
  readonly external?: { readonly reference: string; readonly fee: Sat; readonly held: Sat };
  /** The most the tenant may hold reserved at once, this reservation included. */
  readonly tenantLimit: Sat;
}

/** What became of one request. */
export type AllocationOutcome =
  | { readonly ok: true; readonly reservation: Reservation }
  /** Not enough liquidity: `available` is what there was. */
  | { readonly ok: false; readonly reason: 'liquidity'; readonly available: Sat }
  /** The tenant's balance does not cover the reservation fee. */
  | { readonly ok: false; readonly reason: 'balance'; readonly balance: Sat }
  /** The tenant already holds `reserved` sat, and this would take it past its limit. */
  | { readonly ok: false; readonly reason: 'tenant_limit'; readonly reserved: Sat };

/** A ledger entry to append. */
export type NewLedgerEntry = Omit<LedgerEntry, 'id' | 'createdAt'>;

/** A request granted: what to write for it. */
export interface Grant {
  readonly ok: true;
  readonly reservation: NewReservation;
  /** The fee the LSP keeps (none when bought liquidity cost all of it). */
  readonly charge?: NewLedgerEntry;
  /** What was held for buying liquidity and not needed, given back (after the charge). */
  readonly refund?: NewLedgerEntry;
}

/** What became of one request of the batch. */
export type Decision = Grant | Exclude<AllocationOutcome, { ok: true }>;

/**
 * Decides each request in order. `positions` has every tenant of the batch (a tenant missing
 * from it has nothing reserved and nothing to spend); `now` dates the expiries.
 */
export function decideBatch(
  requests: readonly AllocationRequest[],
  availableAtStart: Sat,
  positions: ReadonlyMap<string, TenantPosition>,
  now: number,
): Decision[] {
  let available = availableAtStart;
  const held = new Map<string, TenantPosition>(positions);
  return requests.map((r): Decision => {
    const position = held.get(r.tenantId) ?? { reserved: sat(0), balance: sat(0) };
    if (position.reserved + r.amount > r.tenantLimit) {
      return { ok: false, reason: 'tenant_limit', reserved: position.reserved };
    }
    // A tenant that cannot pay the fee is told so first, whatever the liquidity.
    const owed = r.external ? r.quote.reservationFee - r.external.held : r.quote.reservationFee;
    if (position.balance < owed) return { ok: false, reason: 'balance', balance: position.balance };
    if (r.amount > available) return { ok: false, reason: 'liquidity', available };
    const ownFee = r.quote.reservationFee - (r.external?.fee ?? 0n);
    const refund = r.external && r.external.held > r.external.fee ? r.external.held - r.external.fee : 0n;
    held.set(r.tenantId, {
      reserved: sat(position.reserved + r.amount),
      balance: sat(position.balance - ownFee + refund),
    });
    available = sat(available - r.amount);
    return {
      ok: true,
      reservation: {
        id: r.id,
        tenantId: r.tenantId,
        amount: r.amount,
        reservationFee: r.quote.reservationFee,
        utilizationFeePpm: r.quote.utilizationFeePpm,
        feeRatePpm: r.quote.feeRatePpm,
        maxFeeRatePpm: r.maxFeeRatePpm,
        durationMs: BigInt(r.durationMs),
        expiresAt: new Date(now + r.durationMs),
        externalReference: r.external?.reference ?? null,
        externalFee: r.external?.fee ?? null,
      },
      ...(ownFee > 0n
        ? {
            charge: {
              tenantId: r.tenantId,
              kind: 'reservation_fee',
              amount: -ownFee,
              reference: r.id,
              description: `reservation of ${r.amount} sat for ${r.durationMs} ms`,
            },
          }
        : {}),
      ...(refund > 0n && r.external
        ? {
            refund: {
              tenantId: r.tenantId,
              kind: 'reservation_refund',
              amount: refund,
              reference: r.id,
              description: `held for buying liquidity, not needed (it cost ${r.external.fee} sat)`,
            },
          }
        : {}),
    };
  });
}
