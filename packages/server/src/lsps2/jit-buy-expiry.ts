/**
 * The periodic scan of JIT buys: buys whose fee params ran out (and whose last parts could no
 * longer be waiting) move to `expired`, so they stop counting against the buy caps and their
 * scids lead nowhere; forwards whose end was missed are settled from LND's history, and withheld
 * fundings a crash left are released or withdrawn.
 */
import type { Database } from '@blgv/store';
import { Lsps2JitChannelsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { pause } from '../poll.ts';
import type { ApplyJitEvent } from './jit-step.ts';

/** How often buys whose fee params ran out are looked for. */
const BUY_EXPIRY_SCAN_MS = 10_000;

/** Scans every {@link BUY_EXPIRY_SCAN_MS} until `signal` aborts; a failed pass is logged. */
export async function expireBuys(
  deps: {
    database: Database;
    /** How long parts of a payment may wait for the rest (config). */
    mppTimeoutSeconds: number;
    /** True while parts are held for a JIT channel (it is not expired under them). */
    isHeld: (id: string) => boolean;
    /** Writes a JIT channel's step (the forwarder's one driver call). */
    apply: ApplyJitEvent;
    /** Completes the forwards whose end was missed and the withheld fundings left. */
    settleMissed: (signal: AbortSignal) => Promise<void>;
    log: Logger;
  },
  signal: AbortSignal,
): Promise<void> {
  const repo = new Lsps2JitChannelsRepository(deps.database.db);
  while (!signal.aborted) {
    try {
      const before = new Date(Date.now() - deps.mppTimeoutSeconds * 1000);
      for (const record of await repo.expiredBuys(before)) {
        if (deps.isHeld(record.id)) continue;
        await deps.apply(record, { type: 'params_expired' });
      }
      await deps.settleMissed(signal);
    } catch (err) {
      if (!signal.aborted) deps.log.warn({ err }, 'expiring JIT buys failed');
    }
    await pause(BUY_EXPIRY_SCAN_MS, signal);
  }
}
