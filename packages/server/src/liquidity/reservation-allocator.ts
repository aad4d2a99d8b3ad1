/**
 * Allocates reservations. Requests that arrive while one allocation transaction runs wait and
 * then go together in the next: one lock, one read of what is committed, and each request in
 * turn is granted (reservation row + fee in the ledger) or refused, in arrival order.
 */
import type { ReservationQuote, Sat } from '@blgv/core';
import { type Database, LedgerRepository, type Reservation, ReservationsRepository } from '@blgv/store';
import { type SpendableReader, withAvailableLiquidity } from './liquidity-lock.ts';

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

interface Queued {
  readonly request: AllocationRequest;
  readonly resolve: (outcome: AllocationOutcome) => void;
  readonly reject: (err: unknown) => void;
}

/** Most requests decided in one transaction. */
const MAX_BATCH = 200;

/** Serializes and batches reservation allocations. */
export class ReservationAllocator {
  readonly #database: Database;
  readonly #spendable: SpendableReader;
  #queue: Queued[] = [];
  #draining = false;

  constructor(deps: { database: Database; spendable: SpendableReader }) {
    this.#database = deps.database;
    this.#spendable = deps.spendable;
  }

  /** Grants or refuses one request. */
  allocate(request: AllocationRequest): Promise<AllocationOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          const outcomes = await this.#decide(batch.map((q) => q.request));
          batch.forEach((q, i) => {
            q.resolve(outcomes[i] as AllocationOutcome);
          });
        } catch (err) {
          for (const q of batch) q.reject(err);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #decide(requests: readonly AllocationRequest[]): Promise<AllocationOutcome[]> {
    return withAvailableLiquidity(
      { database: this.#database, spendable: this.#spendable },
      async (trx, availableAtStart) => {
        const reservations = new ReservationsRepository(trx);
        const ledger = new LedgerRepository(trx);
        let available = availableAtStart;
        const outcomes: AllocationOutcome[] = [];
        /** What each tenant holds, counting the grants of this batch. */
        const held = new Map<string, Sat>();
        for (const r of requests) {
          // A tenant that cannot pay the fee is told so first, whatever the liquidity.
          await ledger.lockTenant(r.tenantId);
          const reserved = held.get(r.tenantId) ?? (await reservations.reservedBy(r.tenantId));
          if (reserved + r.amount > r.tenantLimit) {
            outcomes.push({ ok: false, reason: 'tenant_limit', reserved });
            continue;
          }
          const balance = await ledger.balance(r.tenantId);
          const owed = r.external ? r.quote.reservationFee - r.external.held : r.quote.reservationFee;
          if (balance < owed) {
            outcomes.push({ ok: false, reason: 'balance', balance });
            continue;
          }
          if (r.amount > available) {
            outcomes.push({ ok: false, reason: 'liquidity', available });
            continue;
          }
          const reservation = await reservations.insert({
            id: r.id,
            tenantId: r.tenantId,
            amount: r.amount,
            reservationFee: r.quote.reservationFee,
            utilizationFeePpm: r.quote.utilizationFeePpm,
            feeRatePpm: r.quote.feeRatePpm,
            maxFeeRatePpm: r.maxFeeRatePpm,
            durationMs: BigInt(r.durationMs),
            expiresAt: new Date(Date.now() + r.durationMs),
            externalReference: r.external?.reference ?? null,
            externalFee: r.external?.fee ?? null,
          });
          const purchase = r.external?.fee ?? 0n;
          const ownFee = r.quote.reservationFee - purchase;
          if (ownFee > 0n) {
            await ledger.append({
              tenantId: r.tenantId,
              kind: 'reservation_fee',
              amount: -ownFee,
              reference: r.id,
              description: `reservation of ${r.amount} sat for ${r.durationMs} ms`,
            });
          }
          if (r.external && r.external.held > r.external.fee) {
            // The purchase cost less than was held for it: the rest goes back.
            await ledger.append({
              tenantId: r.tenantId,
              kind: 'reservation_refund',
              amount: r.external.held - r.external.fee,
              reference: r.id,
              description: `held for buying liquidity, not needed (it cost ${r.external.fee} sat)`,
            });
          }
          held.set(r.tenantId, (reserved + r.amount) as Sat);
          available = (available - r.amount) as Sat;
          outcomes.push({ ok: true, reservation });
        }
        return outcomes;
      },
    );
  }
}
