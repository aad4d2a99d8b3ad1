/**
 * Allocates reservations. Requests that arrive while one allocation transaction runs wait and
 * then go together in the next: one lock, one read of what is committed, the tenants' rows
 * locked and their positions read once, each request decided in memory in arrival order
 * (`decideBatch`), and the grants written with one statement for the reservation rows and one
 * for their fees in the ledger, however many there are.
 */
import { type ReservationQuote, type Sat, sat } from '@blgv/core';
import { type Database, LedgerRepository, type Reservation, ReservationsRepository } from '@blgv/store';
import { type SpendableReader, withAvailableLiquidity } from './liquidity-lock.ts';
import { decideBatch, type Grant } from './reservation-batch.ts';

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
      async (trx, available) => {
        const reservations = new ReservationsRepository(trx);
        const ledger = new LedgerRepository(trx);
        const tenants = [...new Set(requests.map((r) => r.tenantId))];
        await ledger.lockTenants(tenants);
        const reserved = await reservations.reservedByTenants(tenants);
        const balances = await ledger.balances(tenants);
        const positions = new Map(
          tenants.map((t) => [
            t,
            { reserved: reserved.get(t) ?? sat(0), balance: balances.get(t) ?? sat(0) },
          ]),
        );
        const decisions = decideBatch(requests, available, positions, Date.now());
        const grants = decisions.filter((d): d is Grant => d.ok);
        const stored = await reservations.insertMany(grants.map((g) => g.reservation));
        const charges = grants.flatMap((g) => (g.charge ? [g.charge] : []));
        const charged = await ledger.appendCharges(charges);
        if (charged.size !== charges.length) {
          throw new Error(
            `reservation fees: ${charged.size} of ${charges.length} charged (a reference reused)`,
          );
        }
        // Credits one by one: each pays the tenant's open debts first, as every credit does.
        for (const g of grants) if (g.refund) await ledger.append(g.refund);
        const byId = new Map(stored.map((r) => [r.id, r]));
        return decisions.map((d, i): AllocationOutcome => {
          if (!d.ok) return d;
          const reservation = byId.get(requests[i]?.id ?? '');
          if (!reservation) throw new Error(`reservation ${requests[i]?.id} was not stored`);
          return { ok: true, reservation };
        });
      },
    );
  }
}
