/**
 * The job that moves reservations whose time is up to `expired`: once at start (catching up
 * on whatever expired while the server was down) and then whenever the next one comes due.
 * On several replicas each runs it; the update only moves live rows, so that is harmless.
 */

import type { Database } from '@blgv/store';
import { ReservationsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { expireDueReservations } from './reservation-steps.ts';

/** Longest sleep between checks, so an expiry on another replica is noticed too. */
const MAX_SLEEP_MS = 60_000;
/** Shortest sleep (the database clock may trail ours by a little). */
const MIN_SLEEP_MS = 50;
/** Back-off after a failed check (e.g. the database restarting). */
const ERROR_SLEEP_MS = 5_000;

/** Runs until `signal` aborts. `onNudge` hands out a function to call when a new expiry is near. */
export async function watchExpiries(
  deps: {
    readonly database: Database;
    readonly log: Logger;
    readonly onNudge: (nudge: (at: Date) => void) => void;
  },
  signal: AbortSignal,
): Promise<void> {
  const repo = new ReservationsRepository(deps.database.db);
  let wakeAt = Number.POSITIVE_INFINITY;
  let wake: (() => void) | undefined;
  deps.onNudge((at) => {
    if (at.getTime() < wakeAt) wake?.();
  });
  while (!signal.aborted) {
    let sleepMs = MAX_SLEEP_MS;
    try {
      for (const r of await expireDueReservations(deps.database, deps.log)) {
        deps.log.info({ id: r.id, tenant: r.tenantId, used: Number(r.used) }, 'reservation expired');
      }
      const next = await repo.nextExpiry();
      if (next) sleepMs = Math.min(MAX_SLEEP_MS, Math.max(MIN_SLEEP_MS, next.getTime() - Date.now()));
    } catch (err) {
      if (signal.aborted) return;
      deps.log.error({ err }, 'reservation expiry check failed');
      sleepMs = ERROR_SLEEP_MS;
    }
    wakeAt = Date.now() + sleepMs;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      // A timer for the next expiry due (this job's schedule, not a wait in a test).
      const timer = setTimeout(done, sleepMs);
      wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
