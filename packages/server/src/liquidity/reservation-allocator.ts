/**
 * Allocates reservations. Requests that arrive while one allocation transaction runs wait and
 * then go together in the next: the allocation lock and the tenants' rows locked in one
 * statement, what is committed and the tenants' positions read in one, each request decided in
 * memory in arrival order (`decideBatch`), and the grants written with one statement (the reservation rows, their
 * fees in the ledger, the running balances), however many there are. While one batch decides, the next reads
 * the node's balance and waits for the allocation lock (in Postgres, so across replicas too).
 */
import { type Database, LedgerRepository, ReservationsRepository } from '@blgv/store';
import { type SpendableReader, withAvailableLiquidity } from './liquidity-lock.ts';
import {
  type AllocationOutcome,
  type AllocationRequest,
  decideBatch,
  type Grant,
} from './reservation-batch.ts';

export type { AllocationOutcome, AllocationRequest } from './reservation-batch.ts';

interface Queued {
  readonly request: AllocationRequest;
  readonly resolve: (outcome: AllocationOutcome) => void;
  readonly reject: (err: unknown) => void;
}

/** Most requests decided in one transaction. */
const MAX_BATCH = 200;
/**
 * Batches under way at once: one deciding under the allocation lock, the next one (started when
 * the first took the lock) reading the node's balance and waiting for the lock meanwhile.
 */
const MAX_BATCHES = 2;

/** Serializes and batches reservation allocations. */
export class ReservationAllocator {
  readonly #database: Database;
  readonly #spendable: SpendableReader;
  #queue: Queued[] = [];
  /** Batches started and not finished. */
  #active = 0;
  /** A batch has not taken the allocation lock yet: the next starts once it has. */
  #unlocked = false;

  constructor(deps: { database: Database; spendable: SpendableReader }) {
    this.#database = deps.database;
    this.#spendable = deps.spendable;
  }

  /** Grants or refuses one request. */
  allocate(request: AllocationRequest): Promise<AllocationOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#next();
    });
  }

  /**
   * Starts a batch of what is queued when one may start: when none is under way, or when the
   * one under way holds the allocation lock. Batches read the node's balance one after another,
   * each reading begun after every request of its batch was queued (a request queued after
   * liquidity was bought is decided on a reading that sees it).
   */
  #next(): void {
    if (this.#unlocked || this.#active >= MAX_BATCHES || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, MAX_BATCH);
    this.#active++;
    this.#unlocked = true;
    let locked = false;
    const onLocked = () => {
      if (locked) return;
      locked = true;
      this.#unlocked = false;
      this.#next();
    };
    this.#decide(
      batch.map((q) => q.request),
      onLocked,
    )
      .then(
        (outcomes) => {
          batch.forEach((q, i) => {
            q.resolve(outcomes[i] as AllocationOutcome);
          });
        },
        (err: unknown) => {
          for (const q of batch) q.reject(err);
        },
      )
      .finally(() => {
        this.#active--;
        onLocked();
        this.#next();
      });
  }

  #decide(requests: readonly AllocationRequest[], onLocked: () => void): Promise<AllocationOutcome[]> {
    const tenants = [...new Set(requests.map((r) => r.tenantId))];
    return withAvailableLiquidity(
      { database: this.#database, spendable: this.#spendable, onLocked, lockTenants: tenants },
      async (trx, available, positions) => {
        const reservations = new ReservationsRepository(trx);
        const ledger = new LedgerRepository(trx);
        const decisions = decideBatch(requests, available, positions, Date.now());
        const grants = decisions.filter((d): d is Grant => d.ok);
        const stored = await reservations.insertWithCharges(
          grants.map((g) => g.reservation),
          grants.flatMap((g) => (g.charge ? [g.charge] : [])),
        );
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
