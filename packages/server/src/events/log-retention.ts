/**
 * Keeps the LSP's logs bounded: the event log's events, tenants' webhook deliveries (with every
 * attempt of each) and LSPS5 notifications older than their retention are removed, a chunk per
 * statement, on every look (a quarter of the shortest retention apart, at most an hour).
 * Deliveries and notifications still pending stay whatever their age: they are still to be
 * sent (each carries its own copy of its event). The newest event stays too: positions go on
 * from it.
 */
import { type Database, EventsRepository, Lsps5Repository, WebhooksRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { every } from '../jobs/job-runner.ts';

/** Rows removed in one statement: a short lock, however much piled up. */
const CHUNK = 5_000;
/** The longest between two looks. */
const MAX_INTERVAL_MS = 3_600_000;

/** What the retention job needs. */
export interface LogRetention {
  readonly database: Database;
  /** How long an event is kept in the event log (`events.retentionSeconds`). */
  readonly eventSeconds: number;
  /** How long a finished tenant's delivery is kept (`webhooks.deliveryRetentionSeconds`). */
  readonly deliverySeconds: number;
  /** How long a finished LSPS5 notification is kept (`lsps5.notificationRetentionSeconds`). */
  readonly notificationSeconds: number;
  readonly log: Logger;
}

/** How often the job looks: a quarter of the shortest retention, between 1 s and an hour. */
export function retentionInterval(
  r: Pick<LogRetention, 'eventSeconds' | 'deliverySeconds' | 'notificationSeconds'>,
): number {
  const quarter = (Math.min(r.eventSeconds, r.deliverySeconds, r.notificationSeconds) * 1000) / 4;
  return Math.max(1_000, Math.min(MAX_INTERVAL_MS, quarter));
}

/** Removes what outlived its retention now, then again on every look, until `signal` aborts. */
export function keepLogsBounded(deps: LogRetention, signal: AbortSignal): Promise<void> {
  return every(retentionInterval(deps), () => pruneOnce(deps), signal);
}

/** One look: every chunk past its retention removed. Returns how many of each went. */
export async function pruneOnce(
  deps: LogRetention,
): Promise<{ events: number; deliveries: number; notifications: number }> {
  const now = Date.now();
  const before = (seconds: number) => new Date(now - seconds * 1000);
  const deliveries = await drain((limit) =>
    new WebhooksRepository(deps.database.db).pruneFinished(before(deps.deliverySeconds), limit),
  );
  const notifications = await drain((limit) =>
    new Lsps5Repository(deps.database.db).pruneFinishedNotifications(before(deps.notificationSeconds), limit),
  );
  const events = await drain((limit) =>
    new EventsRepository(deps.database.db).pruneBefore(before(deps.eventSeconds), limit),
  );
  if (events + deliveries + notifications > 0)
    deps.log.info({ events, deliveries, notifications }, 'log entries past their retention removed');
  return { events, deliveries, notifications };
}

/** Calls `prune` until a call removes less than a whole chunk; the total removed. */
async function drain(prune: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await prune(CHUNK);
    total += n;
    if (n < CHUNK) return total;
  }
}
