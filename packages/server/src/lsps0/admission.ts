/**
 * Bounds on what strangers may leave open at the LSP: unpaid LSPS1 orders (each a hold invoice
 * and a watcher) and unexpired LSPS2 buys (each a JIT scid). A request past the owner's cap or
 * the global one is refused with LSPS error 1 (`client_rejected`) before anything is created.
 * One owner's requests are admitted one at a time, so concurrent requests cannot slip past the
 * cap together (in this replica: peer messages are all served by the one that holds their job).
 */
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

/** Admits requests within the caps. */
export class Admission {
  readonly #what: string;
  readonly #limits: AdmissionLimits;
  readonly #count: OpenCounter;
  readonly #queues = new KeyedQueue();

  /** `what` names the open things in refusals, e.g. `unpaid orders`. */
  constructor(what: string, limits: AdmissionLimits, count: OpenCounter) {
    this.#what = what;
    this.#limits = limits;
    this.#count = count;
  }

  /** Runs `create` once the owner is within its caps (after its earlier requests); else refuses. */
  async admit<T>(owner: OrderOwner, create: () => Promise<T>): Promise<T> {
    const id = owner.kind === 'node' ? owner.pubkey : owner.tenantId;
    const key = `${owner.kind}:${id}`;
    return this.#queues.run(key, async () => {
      const open = await this.#count(owner.kind, id);
      const cap =
        owner.kind === 'tenant' ? (this.#limits.perTenant ?? this.#limits.perOwner) : this.#limits.perOwner;
      if (open.owner >= cap)
        throw refused(`you have ${open.owner} ${this.#what}, the most allowed; pay or let one expire first`);
      if (open.all >= this.#limits.total)
        throw refused(`the LSP holds as many ${this.#what} as it takes now; try again later`);
      return create();
    });
  }
}

function refused(message: string): RpcError {
  return new RpcError(Lsps0Error.ClientRejected, 'Client rejected', { message });
}
