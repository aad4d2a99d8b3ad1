/**
 * Credits top-ups when LND settles their invoices. LND's invoice stream is followed from the
 * settle index stored after the last credit, so settlements made while the server was down
 * are credited once after restart. Open top-ups are looked at again each time the stream is
 * (re)established and every minute: a stream started with no stored position (settle index 0)
 * replays nothing, so a top-up paid before it was up is found that way, not a minute later. One
 * is given up only when LND says its invoice is cancelled (an expired one is cancelled first).
 * Every step that fails is retried with backoff.
 */
import { type InvoiceStatus, type InvoicesPort, msatToSatFloor, parseHex32 } from '@blgv/core';
import { type Database, JobCursorsRepository, LedgerRepository, type Topup } from '@blgv/store';
import type { Logger } from 'pino';
import { retryUntilDone } from '../jobs/retry.ts';
import { pause, Wakeup } from '../poll.ts';
import type { Accounts } from './accounts.ts';

/** The cursor holding LND's settle index of the last settlement looked at. */
export const TOPUP_CURSOR = 'topups.settle_index';
/** How often open top-ups are looked at again. */
const SWEEP_INTERVAL_MS = 60_000;
const CALL_TIMEOUT_MS = 10_000;

interface Deps {
  readonly accounts: Accounts;
  readonly database: Database;
  readonly lightning: Pick<InvoicesPort, 'cancelInvoice' | 'lookupInvoice' | 'subscribeInvoices'>;
  readonly log: Logger;
}

/** Runs until `signal` aborts. */
export async function watchTopups(deps: Deps, signal: AbortSignal): Promise<void> {
  const sweepNow = new Wakeup();
  await Promise.all([followSettlements(deps, sweepNow, signal), sweepOpenTopups(deps, sweepNow, signal)]);
}

/**
 * Follows LND's settlements from the stored settle index, crediting each top-up once; wakes the
 * sweep each time the stream is up (it finds what settled before).
 */
async function followSettlements(deps: Deps, sweepNow: Wakeup, signal: AbortSignal): Promise<void> {
  const { database, lightning, log } = deps;
  const cursors = new JobCursorsRepository(database.db);
  while (!signal.aborted) {
    await retryUntilDone(
      async () => {
        const settleIndex = (await cursors.get(TOPUP_CURSOR)) ?? 0n;
        const stream = lightning.subscribeInvoices(
          { settleIndex },
          { signal, onConnected: () => sweepNow.wake() },
        );
        for await (const invoice of stream) {
          if (invoice.state !== 'settled' || invoice.settleIndex === 0n) continue;
          await retryUntilDone(() => credit(deps, invoice), {
            what: 'crediting a top-up',
            signal,
            log,
            subject: { paymentHash: invoice.paymentHash },
          });
          await cursors.advance(TOPUP_CURSOR, invoice.settleIndex);
        }
      },
      { what: 'following settled invoices', signal, log },
    ).catch(() => {});
    if (!signal.aborted) await pause(1_000, signal); // the stream ended: subscribe again
  }
}

/** Credits the top-up an invoice pays, if it is one of ours and still open. */
async function credit(deps: Deps, invoice: InvoiceStatus): Promise<void> {
  const topup = await new LedgerRepository(deps.database.db).getTopup(invoice.paymentHash);
  if (topup?.state !== 'open') return;
  await deps.accounts.creditSettled(invoice.paymentHash, msatToSatFloor(invoice.amountPaid));
}

/**
 * At start, every minute and each time the settlement stream is up: settles or gives up open
 * top-ups by what LND says.
 */
async function sweepOpenTopups(deps: Deps, sweepNow: Wakeup, signal: AbortSignal): Promise<void> {
  const { database, log } = deps;
  while (!signal.aborted) {
    try {
      for (const topup of await new LedgerRepository(database.db).openTopups()) {
        if (signal.aborted) return;
        await resolveTopup(deps, topup);
      }
    } catch (err) {
      if (!signal.aborted) log.warn({ err }, 'looking at open top-ups failed; trying again later');
    }
    await sweepNow.wait(SWEEP_INTERVAL_MS, signal); // the sweep's schedule, or the stream just up
  }
}

/** Credits a settled top-up, or gives up one whose invoice LND cancelled (or we cancel, expired). */
async function resolveTopup(deps: Deps, topup: Topup): Promise<void> {
  const { accounts, lightning, log } = deps;
  const hash = parseHex32(topup.paymentHash);
  let status = await lightning.lookupInvoice(hash, AbortSignal.timeout(CALL_TIMEOUT_MS));
  if (status.state === 'open' && topup.expiresAt.getTime() < Date.now()) {
    // Expired unpaid: LND refuses payments to it; cancel it so the answer is final.
    await lightning.cancelInvoice(hash, AbortSignal.timeout(CALL_TIMEOUT_MS));
    status = await lightning.lookupInvoice(hash, AbortSignal.timeout(CALL_TIMEOUT_MS));
  }
  if (status.state === 'settled') await credit(deps, status);
  else if (status.state === 'canceled') {
    if (await accounts.cancelTopup(topup.paymentHash))
      log.info({ paymentHash: topup.paymentHash }, 'top-up expired unpaid');
  }
}
