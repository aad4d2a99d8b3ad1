/**
 * The fence of a background job's lease: what a job's writes and actions carry so that a
 * replica that lost the lease (it stalled past it, another replica took the job over) cannot
 * act any more.
 *
 * The job runner runs each job inside {@link withLeaseFence}; everything the job does from
 * there (through any service, any repository) carries the fence in its async context, and:
 *
 * - every write to the database checks, in the write's own transaction, that the lease row
 *   still carries the fence's token and has not run out (`fenced-dialect.ts`), holding a key
 *   share lock on the row until the transaction ends, so a takeover waits for it;
 * - before a write, and before an action outside the database (a webhook POST, a hosted node's
 *   start, a machine's effect: {@link assertLeaseHeld}), the fence is asked locally whether the
 *   lease can still be held by this replica's monotonic clock. The runner gives up a lease a
 *   safety margin before it can run out, whatever hangs, so a replica frozen past its lease
 *   refuses everything it tries once it runs again, before asking anything.
 *
 * A refused write or action throws `lease_lost`. Work that runs outside any job (an API
 * request) carries no fence and is not checked.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ErrorCode, LspError } from '@blgv/core';

/** One holding of one job's lease, as the runner hands it to the job's run. */
export interface LeaseFence {
  /** The lease's (job's) name. */
  readonly lease: string;
  /** The fencing token of this holding: greater than every earlier holding's. */
  readonly token: bigint;
  /**
   * True while this replica can still hold the lease by its own monotonic clock (renewed in
   * time, not lost, not given up). Cheap: no database.
   */
  held(): boolean;
  /** Told of each write or action refused under this fence (`where` says what it was). */
  refused(where: string, by: 'clock' | 'database'): void;
}

const fences = new AsyncLocalStorage<LeaseFence>();

/** Runs `run` with `fence` carried by everything it does. */
export function withLeaseFence<T>(fence: LeaseFence, run: () => T): T {
  return fences.run(fence, run);
}

/** The fence of the job this code runs for, if any. */
export function currentLeaseFence(): LeaseFence | undefined {
  return fences.getStore();
}

/** The `lease_lost` error of a fence. */
export function leaseLost(fence: LeaseFence, what: string): LspError {
  return new LspError(
    ErrorCode.LeaseLost,
    `${what} refused: this replica no longer holds the lease of job ${fence.lease} (token ${fence.token})`,
    { lease: fence.lease, token: fence.token.toString() },
  );
}

/**
 * Throws `lease_lost` when the code runs for a job whose lease this replica can no longer hold
 * (by its own clock); does nothing outside a job. Called right before an action outside the
 * database that another replica may take too (a webhook POST, a node's start or stop, a
 * machine's effect).
 */
export function assertLeaseHeld(what: string): void {
  const fence = fences.getStore();
  if (!fence || fence.held()) return;
  fence.refused(what, 'clock');
  throw leaseLost(fence, what);
}
