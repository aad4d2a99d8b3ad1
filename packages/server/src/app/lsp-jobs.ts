/**
 * The LSP's background jobs, each under its lease (see {@link JobRunner}): which parts must run
 * together in one replica, and what each job is.
 */
import type { FeeSchedule, LightningBackend } from '@blgv/core';
import type { Database } from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import { watchTopups } from '../accounts/topup-watcher.ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import { maintainForwardingPolicy } from '../channels/forwarding-policy.ts';
import type { Config } from '../config/config.ts';
import { keepLogsBounded } from '../events/log-retention.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { billHostedNodes } from '../hosting/hosting-billing.ts';
import type { HostingService } from '../hosting/hosting-service.ts';
import { keepNodes } from '../hosting/node-keeper.ts';
import { every, JobRunner, together } from '../jobs/job-runner.ts';
import type { ReservationService } from '../liquidity/reservation-service.ts';
import type { UpstreamLsps1Source } from '../liquidity/upstream-lsps1-source.ts';
import type { LspsRouter } from '../lsps0/lsps-router.ts';
import { servePeerMessages } from '../lsps0/peer-transport.ts';
import type { Lsps1Service } from '../lsps1/lsps1-service.ts';
import type { JitForwarder } from '../lsps2/jit-forwarder.ts';
import { lsps5Job } from '../lsps5/lsps5-job.ts';
import type { Lsps5Notifier } from '../lsps5/lsps5-notifier.ts';
import type { PeerPresence } from '../lsps5/peer-presence.ts';
import { monitorNodes } from '../monitoring/node-monitor.ts';
import type { PaymentService } from '../payments/payment-service.ts';
import type { Wakeup } from '../poll.ts';
import { runRoutingFees } from '../routing/fee-job.ts';
import type { RoutingFeeSettingsStore } from '../routing/fee-settings.ts';
import { runRebalancing } from '../routing/rebalance-job.ts';
import { deliverWebhooks } from '../webhooks/webhook-delivery.ts';
import { outboundPolicyFromConfig, retryPolicyFromConfig } from '../webhooks/webhook-setup.ts';
import type { WrappedRunner } from '../wrapped/wrapped-runner.ts';

const NONCE_PRUNE_INTERVAL_MS = 60_000;

/** The job that serves LSPS over peer messages. */
export const PEER_MESSAGES_JOB = 'lsps-peer-messages';

/** What the jobs drive. */
export interface LspJobDeps {
  readonly config: Config;
  readonly database: Database;
  readonly lightning: LightningBackend;
  readonly log: Logger;
  readonly fees: FeeSchedule;
  readonly apiKeys: ApiKeys;
  readonly accounts: Accounts;
  readonly funder: ChannelFunder;
  readonly channels: ChannelService;
  readonly lsps1: Lsps1Service;
  readonly jitForwarder: JitForwarder;
  /** Wrapped invoices' job (it funds channels), when enabled. */
  readonly wrapped: WrappedRunner | undefined;
  readonly reservations: ReservationService;
  readonly upstream: UpstreamLsps1Source | undefined;
  readonly payments: PaymentService;
  readonly lsps: LspsRouter;
  /** Told when the LSPS peer-message job listens (each time its stream is established). */
  readonly onPeerMessagesListening?: () => void;
  readonly hosting: HostingService | undefined;
  /** Opens webhook secrets. */
  readonly box: SecretBox;
  /** LSPS5: who is connected, what is queued, and the wakeup of its outbox. */
  readonly lsps5: {
    readonly presence: PeerPresence;
    readonly notifier: Lsps5Notifier;
    readonly outbox: Wakeup;
  };
  /** The routing fee policy's settings (the `routing-fees` job reads them each pass). */
  readonly routingFees: RoutingFeeSettingsStore;
}

/** The job runner with every job of the LSP added (not started). */
export function lspJobs(deps: LspJobDeps): JobRunner {
  const { config, database, lightning, log, fees, apiKeys, accounts, funder, channels, lsps1 } = deps;
  const { jitForwarder, reservations, upstream, payments, lsps, hosting } = deps;
  const runner = new JobRunner({
    database,
    leaseMs: config.jobs.leaseSeconds * 1000,
    ...(config.jobs.replicaName ? { holder: config.jobs.replicaName } : {}),
    log: log.child({ sub: 'jobs' }),
  });
  // Everything that funds channels runs in one replica: the funder's recovery cancels
  // every attempt it does not drive itself, so no other replica may be driving one.
  runner.add(
    together('channel-opening', [
      (s) => funder.run(s),
      (s) => channels.track(s),
      (s) => lsps1.run(s),
      ...(config.lsps2.enabled ? [(s: AbortSignal) => jitForwarder.run(s)] : []),
      ...(deps.wrapped ? [(s: AbortSignal) => deps.wrapped?.run(s) ?? Promise.resolve()] : []),
    ]),
  );
  runner.add({
    name: 'topup-watcher',
    run: (s) => watchTopups({ accounts, database, lightning, log: log.child({ sub: 'topups' }) }, s),
  });
  runner.add({ name: 'reservation-expiry', run: (s) => reservations.run(s) });
  if (upstream) runner.add({ name: 'upstream-liquidity', run: (s) => upstream.run(s) });
  runner.add({ name: 'payment-resolver', run: (s) => payments.run(s) });
  runner.add({
    name: 'forwarding-policy',
    run: (s) =>
      maintainForwardingPolicy(
        {
          lightning,
          schedule: fees,
          timeLockDelta: config.lsps2.cltvExpiryDelta,
          log: log.child({ sub: 'fees' }),
        },
        s,
      ),
  });
  // Moves public channels' fees from the schedule's (set by forwarding-policy) with their liquidity.
  runner.add({
    name: 'routing-fees',
    run: (s) =>
      runRoutingFees(
        {
          database,
          lightning,
          settings: deps.routingFees,
          timeLockDelta: config.lsps2.cltvExpiryDelta,
          log: log.child({ sub: 'routing-fees' }),
        },
        s,
      ),
  });
  // Refills depleted public channels by circular payments within the economic bound (off by default).
  if (config.routing.rebalance.enabled)
    runner.add({
      name: 'routing-rebalance',
      run: (s) =>
        runRebalancing(
          { database, lightning, settings: config.routing.rebalance, log: log.child({ sub: 'rebalance' }) },
          s,
        ),
    });
  const upstreamUri = config.liquidity.upstream?.uri;
  runner.add({
    name: PEER_MESSAGES_JOB,
    run: (s) =>
      servePeerMessages(
        {
          lightning,
          router: lsps,
          log: log.child({ sub: 'lsps0' }),
          bounds: {
            ratePerSecond: config.lsps0.peerRatePerSecond,
            burst: config.lsps0.peerBurst,
            maxInFlight: config.lsps0.peerMaxInFlight,
          },
          // Answers from our upstream LSP are read by the upstream source, not served.
          servers: new Set(upstreamUri ? [upstreamUri.split('@')[0]?.toLowerCase() ?? ''] : []),
          ...(deps.onPeerMessagesListening ? { onListening: deps.onPeerMessagesListening } : {}),
        },
        s,
      ),
  });
  runner.add({
    name: 'nonce-pruning',
    run: (s) => every(NONCE_PRUNE_INTERVAL_MS, () => apiKeys.pruneNonces(), s),
  });
  runner.add({
    name: 'log-retention',
    run: (s) =>
      keepLogsBounded(
        {
          database,
          eventSeconds: config.events.retentionSeconds,
          deliverySeconds: config.webhooks.deliveryRetentionSeconds,
          notificationSeconds: config.lsps5.notificationRetentionSeconds,
          log: log.child({ sub: 'retention' }),
        },
        s,
      ),
  });
  runner.add({
    name: 'webhooks',
    run: (s) =>
      deliverWebhooks(
        {
          database,
          box: deps.box,
          policy: outboundPolicyFromConfig(config),
          retry: retryPolicyFromConfig(config),
          intervalMs: config.webhooks.intervalMs,
          concurrency: config.webhooks.concurrency,
          log: log.child({ sub: 'webhooks' }),
        },
        s,
      ),
  });
  runner.add(
    lsps5Job({
      database,
      lightning,
      ...deps.lsps5,
      policy: outboundPolicyFromConfig(config),
      limits: config.lsps5,
      log: log.child({ sub: 'lsps5' }),
    }),
  );
  runner.add({
    name: 'node-monitor',
    run: (s) =>
      monitorNodes(
        {
          database,
          lightning,
          hosting,
          intervalMs: config.monitoring.intervalMs,
          log: log.child({ sub: 'monitor' }),
        },
        s,
      ),
  });
  if (hosting) {
    runner.add({
      name: 'hosted-nodes',
      run: (s) =>
        keepNodes(
          { hosting, intervalMs: config.hosting.checkIntervalMs, log: log.child({ sub: 'keeper' }) },
          s,
        ),
    });
    runner.add({
      name: 'hosting-billing',
      run: (s) =>
        billHostedNodes(
          {
            database,
            hosting,
            schedule: fees,
            intervalMs: config.hosting.billingIntervalMs,
            log: log.child({ sub: 'billing' }),
          },
          s,
        ),
    });
    // Removed nodes' archives past their retention, and what the LSP and the driver kept of those nodes.
    runner.add({
      name: 'hosting-archives',
      run: (s) =>
        every(
          config.hosting.archivePurgeIntervalMs,
          async () => {
            await hosting.deletions.purgeExpired();
            // What the driver kept of deleted nodes for the same period (Kubernetes: their volumes).
            await hosting.orchestrator.purgeRetained?.();
          },
          s,
        ),
    });
  }
  return runner;
}
