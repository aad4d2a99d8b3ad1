/**
 * Bounds on what strangers may leave open at the LSP: unpaid LSPS1 orders (each a hold invoice
 * and a watcher) and unexpired LSPS2 buys (each a JIT scid). A request past the owner's cap or
 * the global one is refused with LSPS error 1 (`client_rejected`) before anything is created.
 * One owner's requests are admitted one at a time, so concurrent requests cannot slip past the
 * cap together: in this process by a queue per owner, and across replicas (a tenant's REST
 * requests reach any of them) by the owner's `admission` lock on the database, held from the
 * count to the end of the creation.
 *
 * The global cap is a count, not a turn: requests of different owners at the same moment may
 * pass it together by as many as are in flight.
 */
import { ErrorCode, isLspError, type NodeLocks, oneProcessNodeLocks } from '@blgv/core';
import { Lsps0Error } from '@blgv/protocol';
import { KeyedQueue } from '../keyed-queue.ts';
import type { OrderOwner } from './order-owner.ts';
import { RpcError } from './rpc-error.ts';

/** How many of a thing an owner, and everyone together, may hold open. */
export interface AdmissionLimits {
  readonly perOwner: number;
  /**
   * The cap of a tenant (which serves many client nodes) when it differs from a client node's
   * own `perOwner`.
   */
  readonly perTenant?: number;
  readonly total: number;
}

/** Counts what is open now: the owner's, and everyone's. */
export type OpenCounter = (
  kind: OrderOwner['kind'],
  owner: string,
) => Promise<{ owner: number; all: number }>;

/** How long a request waits for its owner's earlier ones (on any replica) before it is refused. */
const ADMISSION_WAIT_MS = 30_000;

/** Admits requests within the caps. */
export class Admission {
  readonly #what: string;
  readonly #limits: AdmissionLimits;
  readonly #count: OpenCounter;
  readonly #locks: NodeLocks;
  readonly #queues = new KeyedQueue();

  /**
   * `what` names the open things in refusals, e.g. `unpaid orders`; `locks` gives an owner's
   * turn across replicas (the database's; none needed for one process).
   */
  constructor(
    what: string,
    limits: AdmissionLimits,
    count: OpenCounter,
    locks: NodeLocks = oneProcessNodeLocks,
  ) {
    this.#what = what;
    this.#limits = limits;
    this.#count = count;
    this.#locks = locks;
  }

  /** Runs `create` once the owner is within its caps (after its earlier requests); else refuses. */
  async admit<T>(owner: OrderOwner, create: () => Promise<T>): Promise<T> {
    const id = owner.kind === 'node' ? owner.pubkey : owner.tenantId;
    const key = `${owner.kind}:${id}`;
    return this.#queues.run(key, async () => {
      let turn = false;
      try {
        return await this.#locks.withLock(
          key,
          AbortSignal.timeout(ADMISSION_WAIT_MS),
          () => {
            turn = true;
            return this.#within(owner, id, create);
          },
          'admission',
        );
      } catch (err) {
        // No turn within the wait (an earlier request of the owner on another replica still
        // running): refused like a cap, to be asked again.
        if (!turn && isLspError(err, ErrorCode.Conflict))
          throw refused('your earlier request is still being served; try again later');
        throw err;
      }
    });
  }

  /** Counts the owner's open things (in its turn) and creates one if the caps allow. */
  async #within<T>(owner: OrderOwner, id: string, create: () => Promise<T>): Promise<T> {
    const open = await this.#count(owner.kind, id);
    const cap =
      owner.kind === 'tenant' ? (this.#limits.perTenant ?? this.#limits.perOwner) : this.#limits.perOwner;
    if (open.owner >= cap)
      throw refused(`you have ${open.owner} ${this.#what}, the most allowed; pay or let one expire first`);
    if (open.all >= this.#limits.total)
      throw refused(`the LSP holds as many ${this.#what} as it takes now; try again later`);
    return create();
  }
}

function refused(message: string): RpcError {
  return new RpcError(Lsps0Error.ClientRejected, 'Client rejected', { message });
}
