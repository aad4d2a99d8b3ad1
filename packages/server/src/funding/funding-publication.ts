/**
 * A committed funding transaction on its way out: its transitions, the leases on its inputs,
 * and publishing it.
 */
import {
  type EffectHandlers,
  type FundingEffect,
  type FundingEvent,
  type FundingPort,
  type FundingState,
  fundingMachine,
} from '@blgv/core';
import {
  type ChannelFunding,
  ChannelFundingsRepository,
  type Database,
  type Kysely,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { retryUntilDone } from '../jobs/retry.ts';
import { type AfterCommit, applyStep, type EffectScope } from '../machines/apply-step.ts';

/**
 * How long the inputs of an unpublished funding transaction stay leased (released earlier);
 * renewed by every publication attempt of a committed one.
 */
export const LOCK_SECONDS = 86_400;
/** How long one call to LND may take. */
export const CALL_TIMEOUT_MS = 30_000;

/** What publishing needs. */
export interface FundingWallet {
  readonly database: Database;
  readonly lightning: Pick<FundingPort, 'leaseOutput' | 'publishTransaction' | 'releaseOutput' | 'signPsbt'>;
  readonly log: Logger;
}

/** How the funder performs a funding's effects (see {@link moveFunding}). */
export type FundingEffects = EffectHandlers<FundingEffect, EffectScope<FundingState, FundingEvent>>;

/**
 * Applies a funding's event through the one driver (only from the state read); false when it
 * did not apply. The funder performs the effects: `sign_and_publish` once the commit point's
 * transaction is written (queued on `afterCommit`), `unwind` right after a cancel is recorded.
 */
export async function moveFunding(
  db: Kysely<Schema>,
  funding: Pick<ChannelFunding, 'id' | 'state'>,
  event: FundingEvent,
  io: { readonly log: Logger; readonly effects: FundingEffects; readonly afterCommit?: AfterCommit },
): Promise<boolean> {
  const step = await applyStep(fundingMachine, funding, event, undefined, {
    db,
    log: io.log,
    persist: (step, db) =>
      new ChannelFundingsRepository(db).transition(funding.id, funding.state, step.state, step.failure),
    effects: io.effects,
    ...(io.afterCommit ? { afterCommit: io.afterCommit } : {}),
  });
  return step !== undefined;
}

/**
 * Signs and publishes a committed funding transaction, renewing its inputs' leases first.
 * Returns the funding as read, or undefined when it is out already (nothing to do).
 */
export async function signAndPublish(
  deps: FundingWallet,
  fundingId: string,
): Promise<ChannelFunding | undefined> {
  const repo = new ChannelFundingsRepository(deps.database.db);
  const f = await repo.get(fundingId);
  if (!f) throw new Error(`no funding ${fundingId}`);
  if (f.state === 'published') return undefined;
  if (f.state !== 'publishing' || !f.psbt || !f.txid)
    throw new Error(`funding ${fundingId} is ${f.state}, not committed`);
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  await renewLeases(deps, f, signal);
  const tx = await deps.lightning.signPsbt(f.psbt, signal);
  if (tx.txid !== f.txid) throw new Error(`signed txid ${tx.txid} differs from committed ${f.txid}`);
  await deps.lightning.publishTransaction(tx, `blgv funding ${fundingId}`, signal);
  return f;
}

/** Releases a funding's leased inputs (spent now, or never to be: their leases only clutter). */
export async function releaseInputs(deps: FundingWallet, f: ChannelFunding): Promise<void> {
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  for (const input of f.lockedInputs) {
    await deps.lightning.releaseOutput(f.lockId, input, signal).catch(() => {});
  }
}

/**
 * Leases a committed funding's inputs again for {@link LOCK_SECONDS}, under its own id, so
 * the lease never lapses while its publication is pending. An input the wallet no longer
 * holds unspent was spent (by this transaction, once it confirmed): nothing to hold. One
 * another id holds means the lease lapsed and something else took it: said loudly, and the
 * publication still tried (it wins if the other spend never reaches the chain).
 */
export async function renewLeases(
  deps: FundingWallet,
  f: ChannelFunding,
  signal: AbortSignal,
): Promise<void> {
  for (const input of f.lockedInputs) {
    try {
      await deps.lightning.leaseOutput(f.lockId, input, LOCK_SECONDS, signal);
    } catch (err) {
      const reason = errorMessage(err);
      if (/unknown output/i.test(reason)) continue;
      if (!/already locked/i.test(reason)) throw err;
      deps.log.error(
        { funding: f.id, input: `${input.txid}:${input.outputIndex}`, err: reason },
        'an input of a committed funding is leased by someone else',
      );
    }
  }
}

/**
 * One publication attempt: signs and publishes (nothing when it is out already), records it
 * published through `recordPublished`, then releases the spent inputs' leases.
 */
export async function publishOnce(
  deps: FundingWallet,
  fundingId: string,
  recordPublished: (f: ChannelFunding) => Promise<unknown>,
): Promise<void> {
  const f = await signAndPublish(deps, fundingId);
  if (!f) return;
  await recordPublished(f);
  await releaseInputs(deps, f);
  deps.log.info({ funding: fundingId, txid: f.txid }, 'funding transaction published');
}

/** Publications in progress, one per funding, shared by everyone waiting on it. */
export class SharedPublications {
  readonly #running = new Map<string, Promise<void>>();

  /** Retries `attempt` until it succeeds (or `signal` aborts), or joins the run in progress. */
  join(
    fundingId: string,
    attempt: () => Promise<void>,
    options: { readonly signal: AbortSignal; readonly log: Logger },
  ): Promise<void> {
    let running = this.#running.get(fundingId);
    if (!running) {
      running = retryUntilDone(attempt, {
        what: 'publishing a funding transaction',
        signal: options.signal,
        log: options.log,
        subject: { funding: fundingId },
      }).finally(() => this.#running.delete(fundingId));
      this.#running.set(fundingId, running);
    }
    return running;
  }
}
