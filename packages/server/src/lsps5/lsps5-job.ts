/**
 * The `lsps5` job (one replica at a time, under its lease), in three parts:
 *
 * - the outbox: each notification due is signed (LND `SignMessage` over bLIP-55's string, with
 *   the timestamp of this attempt) and POSTed; only an HTTP 200 delivers. Anything else is
 *   retried after `retryBaseMs`, doubling, until `maxAttempts`, then given up. An event
 *   notification whose client has connected meanwhile is dropped (it is awake). A webhook gets
 *   its notifications one at a time, in order (`webhook_registered` first).
 * - peers: a client that disconnects (it was online, now offline) has its cooldowns cleared.
 * - scans, every `scanIntervalMs`: `expiry_soon` for HTLCs close to forcing a close on a
 *   channel with a client that is not connected; and retention (webhooks of a client with no
 *   channel go after `retentionDays`, counted from when it was last seen with one, or from when
 *   they were set, whichever is later).
 */
import {
  type ChannelsPort,
  type NodePort,
  type PeersPort,
  parsePubkey,
  type WebhookDeliveryEvent,
  webhookDeliveryMachine,
} from '@blgv/core';
import { LSPS5_HEADERS, Lsps5Method, lsps5SignedMessage } from '@blgv/protocol';
import { type Database, type DueLsps5Notification, Lsps5Repository } from '@blgv/store';
import type { Logger } from 'pino';
import type { Job } from '../jobs/job-runner.ts';
import { every, together } from '../jobs/job-runner.ts';
import { applyStep } from '../machines/apply-step.ts';
import type { Wakeup } from '../poll.ts';
import { type OutboundPolicy, postWebhook } from '../webhooks/outbound.ts';
import { SendPool } from '../webhooks/send-pool.ts';
import { expiringSoon } from './expiry-soon.ts';
import type { Lsps5Notifier } from './lsps5-notifier.ts';
import type { PeerPresence } from './peer-presence.ts';

/** The job's settings (from config). */
export interface Lsps5JobLimits {
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly intervalMs: number;
  readonly scanIntervalMs: number;
  readonly retentionDays: number;
  readonly forceCloseMarginBlocks: number;
}

/** What the job needs. */
export interface Lsps5JobDeps {
  readonly database: Database;
  /** Signing notifications, peers going offline (cooldowns), and the height and channels for `expiry_soon`. */
  readonly lightning: Pick<NodePort, 'getInfo' | 'signMessage'> &
    Pick<PeersPort, 'peerEvents'> &
    Pick<ChannelsPort, 'listChannels' | 'pendingChannels'>;
  readonly presence: PeerPresence;
  readonly notifier: Lsps5Notifier;
  readonly policy: OutboundPolicy;
  readonly limits: Lsps5JobLimits;
  /** Woken when a notification is queued in this process. */
  readonly outbox: Wakeup;
  readonly log: Logger;
}

/**
 * The delivery machine's context for LSPS5 notifications: `maxAttempts` attempts, each delay
 * double the last from `retryBaseMs`, no jitter and no time window.
 */
function notificationRetry(limits: Lsps5JobLimits) {
  return {
    policy: {
      baseDelayMs: limits.retryBaseMs,
      maxDelayMs: Number.POSITIVE_INFINITY,
      windowMs: Number.POSITIVE_INFINITY,
      maxAttempts: limits.maxAttempts,
      jitter: false,
    },
  };
}

/** Notifications in flight at most (one per webhook at a time). */
const MAX_IN_FLIGHT = 32;

/** The job. */
export function lsps5Job(deps: Lsps5JobDeps): Job {
  return together('lsps5', [
    (s) => sendOutbox(deps, s),
    (s) => clearCooldownsOnDisconnect(deps, s),
    // A failed scan (LND busy, say) waits for the next one; it does not restart the job.
    (s) =>
      every(
        deps.limits.scanIntervalMs,
        () => scan(deps, s).catch((err: unknown) => deps.log.warn({ err }, 'LSPS5 scan failed')),
        s,
      ),
  ]);
}

/**
 * Sends what is due without waiting for a batch to finish (the webhooks' {@link SendPool}, one
 * notification per webhook at a time, in order): a webhook slow to answer (up to the policy's
 * timeout) holds only its own notifications, never the others'. A failed send (LND cannot sign,
 * say) is logged and retried on a later pass. A new notification wakes the outbox at once.
 */
async function sendOutbox(deps: Lsps5JobDeps, signal: AbortSignal): Promise<void> {
  const repo = new Lsps5Repository(deps.database.db);
  const pool = new SendPool<DueLsps5Notification>({
    read: (limit, _perKey, inFlight) =>
      repo.due(
        limit,
        [...inFlight].map((id) => BigInt(id)),
      ),
    id: (n) => n.id.toString(),
    key: (n) => n.webhookId,
    send: (n) => sendOne(deps, repo, n, signal),
    failed: (err, n) =>
      n
        ? deps.log.warn({ err, notification: n.id.toString() }, 'LSPS5 notification send failed')
        : deps.log.warn({ err }, 'reading due LSPS5 notifications failed; next pass'),
    concurrency: MAX_IN_FLIGHT,
    perKey: 1,
    signal,
  });
  try {
    while (!signal.aborted) {
      await pool.fill();
      await deps.outbox.wait(deps.limits.intervalMs, signal);
    }
  } finally {
    await pool.stop();
  }
}

async function sendOne(
  deps: Lsps5JobDeps,
  repo: Lsps5Repository,
  n: DueLsps5Notification,
  signal: AbortSignal,
): Promise<void> {
  const log = { notification: n.id.toString(), client: n.clientPubkey, method: n.method };
  if (
    n.method !== Lsps5Method.WebhookRegistered &&
    (await deps.presence.isOnline(parsePubkey(n.clientPubkey), signal))
  ) {
    await recordStep(
      deps,
      repo,
      n,
      { type: 'dropped' },
      {
        status: undefined,
        error: 'the client connected before it was sent',
        countsAsAttempt: false,
      },
    );
    deps.log.info(log, 'LSPS5 notification dropped: the client is connected');
    return;
  }
  const timestamp = new Date().toISOString();
  const signature = await deps.lightning.signMessage(
    new TextEncoder().encode(lsps5SignedMessage(timestamp, n.body)),
    AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
  );
  const result = await postWebhook(
    new URL(n.url),
    n.body,
    { [LSPS5_HEADERS.timestamp]: timestamp, [LSPS5_HEADERS.signature]: signature },
    deps.policy,
  );
  // bLIP-55: only 200 OK is a success.
  const delivered = result.status === 200;
  const attempts = n.attempts + 1;
  const error = delivered ? undefined : result.ok ? `answered ${result.status}` : result.error;
  const at = new Date();
  const event = {
    type: 'attempted',
    ok: delivered,
    at,
    attemptsBefore: n.attempts,
    firstAttemptAt: at,
  } as const;
  const step = await recordStep(deps, repo, n, event, {
    status: result.status,
    error,
    countsAsAttempt: true,
  });
  const gaveUp = step?.gaveUp === true;
  if (delivered) deps.log.info({ ...log, attempt: attempts }, 'LSPS5 notification delivered');
  else if (gaveUp) deps.log.warn({ ...log, attempts, error }, 'LSPS5 notification given up');
  else deps.log.info({ ...log, attempt: attempts, error }, 'LSPS5 notification attempt failed');
}

/** Applies a notification's event through the delivery machine, recording the attempt with it. */
function recordStep(
  deps: Lsps5JobDeps,
  repo: Lsps5Repository,
  n: DueLsps5Notification,
  event: WebhookDeliveryEvent,
  attempt: {
    readonly status: number | undefined;
    readonly error: string | undefined;
    readonly countsAsAttempt: boolean;
  },
) {
  return applyStep(
    webhookDeliveryMachine,
    { id: String(n.id), state: 'pending' },
    event,
    notificationRetry(deps.limits),
    {
      db: deps.database.db,
      quiet: true,
      log: deps.log,
      persist: (step) =>
        repo.recordAttempt(n, { ...attempt, state: step.state, nextAttemptAt: step.nextAttemptAt }),
      effects: {},
    },
  );
}

/** bLIP-55: the cooldown resets once the client comes online and then goes offline. */
async function clearCooldownsOnDisconnect(deps: Lsps5JobDeps, signal: AbortSignal): Promise<void> {
  const repo = new Lsps5Repository(deps.database.db);
  for await (const e of deps.lightning.peerEvents({ signal })) {
    if (!e.online) await repo.clearCooldowns(e.pubkey);
  }
}

async function scan(deps: Lsps5JobDeps, signal: AbortSignal): Promise<void> {
  const call = () => AbortSignal.any([signal, AbortSignal.timeout(10_000)]);
  const repo = new Lsps5Repository(deps.database.db);
  const clients = await repo.clients();
  if (clients.length === 0) return;
  const [info, channels, pending, online] = await Promise.all([
    deps.lightning.getInfo(call()),
    deps.lightning.listChannels(call()),
    deps.lightning.pendingChannels(call()),
    deps.presence.online(call()),
  ]);
  const registered = new Set(clients);
  const sleeping = channels.filter((c) => registered.has(c.remotePubkey) && !online.has(c.remotePubkey));
  for (const [client, timeout] of expiringSoon(
    sleeping,
    info.blockHeight,
    deps.limits.forceCloseMarginBlocks,
  )) {
    const outcome = await deps.notifier.notify(client, Lsps5Method.ExpirySoon, { timeout }, signal);
    deps.log.debug({ client, timeout, outcome }, 'expiry_soon');
  }
  const withChannel = new Set([...channels, ...pending].map((c) => c.remotePubkey as string));
  await repo.recordChannels(new Map(clients.map((c) => [c, withChannel.has(c)])));
  const pruned = await repo.prune(deps.limits.retentionDays * 86_400);
  if (pruned > 0) deps.log.info({ pruned }, 'LSPS5 webhooks of clients without channels pruned');
}
