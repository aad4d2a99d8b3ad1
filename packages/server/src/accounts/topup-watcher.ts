/**
 * Credits top-ups when LND settles their invoices: catches up on open top-ups at start, then
 * follows LND's invoice stream (which resumes from the last index after a reconnect).
 */
import { type LightningBackend, msatToSatFloor, parseHex32 } from '@blgv/core';
import type { Database } from '@blgv/store';
import { LedgerRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from './accounts.ts';

/** Runs until `signal` aborts. */
export async function watchTopups(
  deps: { accounts: Accounts; database: Database; lightning: LightningBackend; log: Logger },
  signal: AbortSignal,
): Promise<void> {
  const { accounts, lightning, log } = deps;
  const invoices = lightning.subscribeInvoices({}, { signal });
  for (const topup of await new LedgerRepository(deps.database.db).openTopups()) {
    const status = await lightning
      .lookupInvoice(parseHex32(topup.paymentHash), AbortSignal.timeout(10_000))
      .catch(() => undefined);
    if (status?.state === 'settled')
      await accounts.creditSettled(topup.paymentHash, msatToSatFloor(status.amountPaid));
    else if (status?.state === 'canceled' || topup.expiresAt.getTime() < Date.now())
      await accounts.cancelTopup(topup.paymentHash);
  }
  try {
    for await (const invoice of invoices) {
      if (invoice.state !== 'settled') continue;
      await accounts
        .creditSettled(invoice.paymentHash, msatToSatFloor(invoice.amountPaid))
        .catch((err: unknown) => {
          log.error({ err, paymentHash: invoice.paymentHash }, 'crediting a top-up failed');
        });
    }
  } catch (err) {
    if (!signal.aborted) log.error({ err }, 'top-up watcher stopped');
  }
}
