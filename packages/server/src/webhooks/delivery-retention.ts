/**
 * Keeps the outbound logs bounded: tenants' webhook deliveries (with every attempt of each) and
 * LSPS5 notifications that finished longer ago than their retention are removed, a chunk per
 * statement, on every look (a quarter of the shorter retention apart, at most an hour). Pending
 * ones stay whatever their age: they are still to be sent.
 */
import { type Database, Lsps5Repository, WebhooksRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { every } from '../jobs/job-runner.ts';

/** Rows removed in one statement: a short lock, however much piled up. */
const CHUNK = 5_000;
/** The longest between two looks. */
const MAX_INTERVAL_MS = 3_600_000;

/** What the retention job needs. */
export interface DeliveryRetention {
  readonly database: Database;
  /** How long a finished tenant's delivery is kept (`webhooks.deliveryRetentionSeconds`). */
  readonly deliverySeconds: number;
  /** How long a finished LSPS5 notification is kept (`lsps5.notificationRetentionSeconds`). */
  readonly notificationSeconds: number;
  readonly log: Logger;
}

/** How often the job looks: a quarter of the shorter retention, between 1 s and an hour. */
export function retentionInterval(
  r: Pick<DeliveryRetention, 'deliverySeconds' | 'notificationSeconds'>,
): number {
  const quarter = (Math.min(r.deliverySeconds, r.notificationSeconds) * 1000) / 4;
  return Math.max(1_000, Math.min(MAX_INTERVAL_MS, quarter));
}

/** Removes what outlived its retention now, then again on every look, until `signal` aborts. */
export function keepDeliveriesBounded(deps: DeliveryRetention, signal: AbortSignal): Promise<void> {
  return every(retentionInterval(deps), () => pruneOnce(deps), signal);
}

/** One look: every chunk past its retention removed. Returns how many of each went. */
export async function pruneOnce(
  deps: DeliveryRetention,
): Promise<{ deliveries: number; notifications: number }> {
  const now = Date.now();
  const deliveries = await drain((limit) =>
    new WebhooksRepository(deps.database.db).pruneFinished(
      new Date(now - deps.deliverySeconds * 1000),
      limit,
    ),
  );
  const notifications = await drain((limit) =>
    new Lsps5Repository(deps.database.db).pruneFinishedNotifications(
      new Date(now - deps.notificationSeconds * 1000),
      limit,
    ),
  );
  if (deliveries + notifications > 0)
    deps.log.info({ deliveries, notifications }, 'finished deliveries past their retention removed');
  return { deliveries, notifications };
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
