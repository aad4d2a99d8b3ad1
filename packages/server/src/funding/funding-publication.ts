/**
 * A committed funding transaction on its way out: its transitions, the leases on its inputs,
 * and publishing it.
 */
import { type FundingEvent, type FundingPort, fundingMachine } from '@blgv/core';
import {
  type ChannelFunding,
  ChannelFundingsRepository,
  type Database,
  type Kysely,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import { applyStep } from '../machines/apply-step.ts';

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

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Applies a funding's event through the one driver (only from the state read); false when it
 * did not apply. Its effects need what happens after the write's transaction: the funder signs
 * and publishes a committed transaction once its commit is written (`publishFunding`), and
 * unwinds a cancelled one itself (negotiations, leases, the sweep).
 */
export async function moveFunding(
  db: Kysely<Schema>,
  funding: Pick<ChannelFunding, 'id' | 'state'>,
  event: FundingEvent,
  log: Logger,
): Promise<boolean> {
  const byTheFunder = () => {};
  const step = await applyStep(fundingMachine, funding, event, undefined, {
    db,
    log,
    persist: (step, db) =>
      new ChannelFundingsRepository(db).transition(funding.id, funding.state, step.state, step.failure),
    effects: { sign_and_publish: byTheFunder, unwind: byTheFunder },
  });
  return step !== undefined;
}

/**
 * Signs and publishes a committed funding transaction (nothing when it is out already),
 * renewing its inputs' leases first; then records it published and releases the leases.
 */
export async function publishFunding(deps: FundingWallet, fundingId: string): Promise<void> {
  const repo = new ChannelFundingsRepository(deps.database.db);
  const f = await repo.get(fundingId);
  if (!f) throw new Error(`no funding ${fundingId}`);
  if (f.state === 'published') return;
  if (f.state !== 'publishing' || !f.psbt || !f.txid)
    throw new Error(`funding ${fundingId} is ${f.state}, not committed`);
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  await renewLeases(deps, f, signal);
  const tx = await deps.lightning.signPsbt(f.psbt, signal);
  if (tx.txid !== f.txid) throw new Error(`signed txid ${tx.txid} differs from committed ${f.txid}`);
  await deps.lightning.publishTransaction(tx, `blgv funding ${fundingId}`, signal);
  await moveFunding(deps.database.db, f, { type: 'published' }, deps.log);
  // The inputs are spent now; their leases only clutter the wallet's list.
  for (const input of f.lockedInputs) {
    await deps.lightning.releaseOutput(f.lockId, input, signal).catch(() => {});
  }
  deps.log.info({ funding: fundingId, txid: f.txid }, 'funding transaction published');
}

/**
 * Leases a committed funding's inputs again for {@link LOCK_SECONDS}, under its own id, so
 * the lease never lapses while its publication is pending. An input the wallet no longer
 * holds unspent was spent (by this transaction, once it confirmed): nothing to hold. One
 * another id holds means the lease lapsed and something else took it: said loudly, and the
 * publication still tried (it wins if the other spend never reaches the chain).
 */
async function renewLeases(deps: FundingWallet, f: ChannelFunding, signal: AbortSignal): Promise<void> {
  for (const input of f.lockedInputs) {
    try {
      await deps.lightning.leaseOutput(f.lockId, input, LOCK_SECONDS, signal);
    } catch (err) {
      const reason = reasonOf(err);
      if (/unknown output/i.test(reason)) continue;
      if (!/already locked/i.test(reason)) throw err;
      deps.log.error(
        { funding: f.id, input: `${input.txid}:${input.outputIndex}`, err: reason },
        'an input of a committed funding is leased by someone else',
      );
    }
  }
}
