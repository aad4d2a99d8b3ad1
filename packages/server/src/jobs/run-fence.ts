/**
 * The fence of one run of a job (see `@blgv/store`'s `lease-fence.ts`): the token of the
 * lease's holding it runs under, and the moment, on this process's monotonic clock, past
 * which the lease may no longer be held. The runner moves that moment on with each renewal in
 * time, and revokes the fence for good when the run is stopped because the lease was lost or
 * could not be renewed in time: from then on everything the run still tries is refused, even
 * if the same token is held again later (a new run gets a new fence).
 */
import { performance } from 'node:perf_hooks';
import type { LeaseFence } from '@blgv/store';

/** A fence the runner keeps up to date. */
export class RunFence implements LeaseFence {
  readonly lease: string;
  readonly token: bigint;
  #deadline: number;
  #revoked = false;
  readonly #onRefused: (fence: RunFence, where: string, by: 'clock' | 'database') => void;

  /**
   * `deadline` is a `performance.now()` instant; `onRefused` hears of every refused write or
   * action.
   */
  constructor(
    lease: string,
    token: bigint,
    deadline: number,
    onRefused: (fence: RunFence, where: string, by: 'clock' | 'database') => void,
  ) {
    this.lease = lease;
    this.token = token;
    this.#deadline = deadline;
    this.#onRefused = onRefused;
  }

  /** The instant (monotonic clock) past which the lease may no longer be held here. */
  get deadline(): number {
    return this.#deadline;
  }

  /** True once the fence is revoked for good. */
  get revoked(): boolean {
    return this.#revoked;
  }

  held(): boolean {
    return !this.#revoked && performance.now() < this.#deadline;
  }

  refused(where: string, by: 'clock' | 'database'): void {
    this.#onRefused(this, where, by);
  }

  /** A renewal sent at some instant succeeded: the lease is held until `deadline` (never earlier). */
  extend(deadline: number): void {
    if (deadline > this.#deadline) this.#deadline = deadline;
  }

  /** Nothing under this fence is allowed any more. */
  revoke(): void {
    this.#revoked = true;
  }
}
