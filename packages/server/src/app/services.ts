/**
 * The services behind the HTTP routes and LSPS methods, built once from config and passed
 * down. Tests build them the same way.
 */
import { type FeeSchedule, type LightningBackend, sat } from '@blgv/core';
import {
  ApiKeysRepository,
  type Database,
  LiquidityPurchasesRepository,
  Lsps2JitChannelsRepository,
  PaymentPurposesRepository,
  RebalancesRepository,
  TenantsRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import { Accounts } from '../accounts/accounts.ts';
import { runAudit } from '../audit/audit.ts';
import { ApiKeys } from '../auth/api-keys.ts';
import { SecretBox } from '../auth/secret-box.ts';
import { ChannelService } from '../channels/channel-service.ts';
import type { Config } from '../config/config.ts';
import { EventLog } from '../events/event-log.ts';
import { ChannelFunder } from '../funding/channel-funder.ts';
import { HostingService } from '../hosting/hosting-service.ts';
import type { HostingRuntime } from '../hosting/hosting-setup.ts';
import { NodeArchives } from '../hosting/node-archives.ts';
import { SpendableReader } from '../liquidity/liquidity-lock.ts';
import { ReservationService } from '../liquidity/reservation-service.ts';
import { liquiditySourceFromConfig } from '../liquidity/upstream-source-config.ts';
import { lsps0Methods, protocolsOf } from '../lsps0/lsps-methods.ts';
import { LspsRouter } from '../lsps0/lsps-router.ts';
import { lsps1Methods } from '../lsps1/lsps-methods.ts';
import { Lsps1Service } from '../lsps1/lsps1-service.ts';
import { OrderReceipts } from '../lsps1/order-receipts.ts';
import { FeePromises } from '../lsps2/fee-promise.ts';
import { JitForwarder } from '../lsps2/jit-forwarder.ts';
import { lsps2Methods } from '../lsps2/lsps-methods.ts';
import { Lsps2Service } from '../lsps2/lsps2-service.ts';
import { lsps5Methods } from '../lsps5/lsps-methods.ts';
import { Lsps5Notifier } from '../lsps5/lsps5-notifier.ts';
import { Lsps5Service } from '../lsps5/lsps5-service.ts';
import { PeerPresence } from '../lsps5/peer-presence.ts';
import { MetricsService } from '../monitoring/metrics-service.ts';
import { LSP_NODE_ID } from '../monitoring/node-monitor.ts';
import { recordedRouteProbe } from '../monitoring/own-payments.ts';
import { PaymentService } from '../payments/payment-service.ts';
import { Wakeup } from '../poll.ts';
import { RoutingFeeSettingsStore } from '../routing/fee-settings.ts';
import { QuoteService } from '../routing/quote-service.ts';
import { WebhookService } from '../webhooks/webhook-service.ts';
import { outboundPolicyFromConfig, retryPolicyFromConfig } from '../webhooks/webhook-setup.ts';
import { wrappedFromConfig } from '../wrapped/wrapped-setup.ts';
import { lspJobs, PEER_MESSAGES_JOB } from './lsp-jobs.ts';
import type { LspServices } from './lsp-services.ts';

export type { LspServices } from './lsp-services.ts';

/** The fee schedule from config, in integers. */
export function feeScheduleFrom(config: Config): FeeSchedule {
  const f = config.fees;
  return {
    channelOpening: {
      baseFee: sat(f.channelOpening.baseFee),
      capacityFeePpm: BigInt(f.channelOpening.capacityFeePpm),
    },
    liquidity: {
      reservationFee: sat(f.liquidity.reservationFee),
      utilizationFeePpm: BigInt(f.liquidity.utilizationFeePpm),
    },
    routing: {
      baseFee: BigInt(f.routing.baseFeeMsat) as FeeSchedule['routing']['baseFee'],
      feeRatePpm: BigInt(f.routing.feeRatePpm),
    },
    hosting: { monthlyFee: sat(f.hosting.monthlyFee), transactionFee: sat(f.hosting.transactionFee) },
  };
}

/** Builds the services. */
export function createServices(deps: {
  config: Config;
  database: Database;
  lightning: LightningBackend;
  log: Logger;
  /** Drivers of hosted nodes; no `/v1/nodes` without them. */
  hosting?: HostingRuntime;
}): LspServices {
  const { config, database, lightning, log } = deps;
  const box = config.secretsKey
    ? new SecretBox(Buffer.from(config.secretsKey, 'hex'))
    : SecretBox.ephemeral();
  const apiKeys = new ApiKeys(new ApiKeysRepository(database.db), box, {
    readNonces: new ApiKeysRepository(database.relaxedDb),
    unknownCacheMs: config.auth.unknownKeyCacheSeconds * 1000,
  });
  const accounts = new Accounts({
    database,
    lightning,
    limits: config.topups,
    log: log.child({ sub: 'accounts' }),
  });
  const fees = feeScheduleFrom(config);
  // Coins paid to LSPS1 orders' addresses are leased for them, also right before any funding
  // picks its inputs.
  const receipts = new OrderReceipts({
    database,
    lightning,
    feeRates: { minFeeRate: config.channels.minFeeRate, maxFeeRate: config.channels.maxFeeRate },
    watchAfterEndMs: config.lsps1.onchain.watchAfterEndSeconds * 1000,
    log: log.child({ sub: 'lsps1' }),
  });
  const funder = new ChannelFunder({
    database,
    lightning,
    guard: receipts,
    log: log.child({ sub: 'funding' }),
  });
  const channels = new ChannelService({
    database,
    lightning,
    accounts,
    schedule: fees,
    limits: config.channels,
    funder,
    log: log.child({ sub: 'channels' }),
  });
  const lsps1 = new Lsps1Service({
    database,
    lightning,
    box,
    schedule: fees,
    limits: {
      ...config.lsps1,
      onchain: config.lsps1.onchain,
      minLspBalance: config.channels.minCapacity,
      maxLspBalance: config.channels.maxCapacity,
      openTimeoutSeconds: config.channels.openTimeoutSeconds,
      minFeeRate: config.channels.minFeeRate,
      maxFeeRate: config.channels.maxFeeRate,
    },
    funder,
    receipts,
    log: log.child({ sub: 'lsps1' }),
  });
  const lsps5Outbox = new Wakeup();
  const presence = new PeerPresence(lightning);
  const lsps5Notifier = new Lsps5Notifier({
    database,
    lightning,
    presence,
    cooldownSeconds: config.lsps5.cooldownSeconds,
    wakeSeconds: config.lsps5.wakeSeconds,
    wakeGraceSeconds: config.lsps5.wakeGraceSeconds,
    outbox: lsps5Outbox,
    log: log.child({ sub: 'lsps5' }),
  });
  const jitForwarder = new JitForwarder({
    database,
    lightning,
    schedule: fees,
    funder,
    waker: lsps5Notifier,
    limits: {
      ...config.lsps2,
      openTimeoutSeconds: config.channels.openTimeoutSeconds,
      minFeeRate: config.channels.minFeeRate,
      maxFeeRate: config.channels.maxFeeRate,
    },
    log: log.child({ sub: 'jit' }),
  });
  const lsps2 = new Lsps2Service({
    database,
    lightning,
    schedule: fees,
    limits: {
      ...config.lsps2,
      minFeeRate: config.channels.minFeeRate,
      maxFeeRate: config.channels.maxFeeRate,
    },
    promises: new FeePromises(box.deriveKey('lsps2-promise')),
    log: log.child({ sub: 'lsps2' }),
  });
  const wrapped = wrappedFromConfig(config, { database, lightning, funder, fees, log });
  const spendable = new SpendableReader({ database, lightning });
  const upstream = liquiditySourceFromConfig(config, {
    lightning,
    database,
    log: log.child({ sub: 'upstream' }),
  });
  const reservations = new ReservationService({
    database,
    spendable,
    accounts,
    schedule: fees,
    limits: config.reservations,
    ...(upstream
      ? {
          external: {
            source: upstream,
            maxFeeBase: sat(config.reservations.externalMaxFeeBase),
            maxFeePpm: BigInt(config.reservations.externalMaxFeePpm),
            timeoutMs: config.reservations.externalTimeoutSeconds * 1000,
          },
        }
      : {}),
    log: log.child({ sub: 'reservations' }),
  });
  const payments = new PaymentService({
    database,
    lightning,
    accounts,
    spendable,
    schedule: fees,
    limits: config.payments,
    log: log.child({ sub: 'payments' }),
  });
  const lsps5 = new Lsps5Service({
    database,
    policy: outboundPolicyFromConfig(config),
    maxWebhooks: config.lsps5.maxWebhooks,
    maxTotalWebhooks: config.lsps5.maxTotalWebhooks,
    ...(config.lsps5.requireRelationship ? { requireRelationship: lightning } : {}),
    outbox: lsps5Outbox,
    log: log.child({ sub: 'lsps5' }),
  });
  // Each LSPS service registers its methods; LSPS0 lists the protocols they serve.
  const served = [lsps1Methods(lsps1), lsps2Methods(lsps2), lsps5Methods(lsps5)];
  const lsps = new LspsRouter([lsps0Methods(protocolsOf(served)), ...served], log.child({ sub: 'lsps' }));
  const hosting = deps.hosting
    ? new HostingService({
        database,
        ...deps.hosting,
        lightning,
        accounts,
        channels,
        box,
        schedule: fees,
        limits: {
          ...config.hosting,
          minChannelSize: config.channels.minCapacity,
          maxChannelSize: config.channels.maxCapacity,
        },
        deletion: {
          forceCloseAfterMs: config.hosting.deletion.forceCloseAfterSeconds * 1000,
          sweepConfirmations: config.hosting.deletion.sweepConfirmations,
          archiveRetentionMs: config.hosting.archiveRetentionSeconds * 1000,
        },
        archives: new NodeArchives({ dir: deps.hosting.archiveDir, key: box.deriveKey('node-archive') }),
        log: log.child({ sub: 'hosting' }),
      })
    : undefined;
  const webhooks = new WebhookService({
    database,
    box,
    policy: outboundPolicyFromConfig(config),
    retry: retryPolicyFromConfig(config),
    maxEndpointsPerTenant: config.webhooks.maxEndpointsPerTenant,
    log: log.child({ sub: 'webhooks' }),
  });
  const routingFees = new RoutingFeeSettingsStore({ database, config: config.routing.fees, schedule: fees });
  const peerMessages = Promise.withResolvers<void>();
  const runner = lspJobs({
    onPeerMessagesListening: () => peerMessages.resolve(),
    config,
    database,
    lightning,
    log,
    fees,
    apiKeys,
    accounts,
    funder,
    channels,
    lsps1,
    jitForwarder,
    wrapped: wrapped?.runner,
    reservations,
    upstream,
    payments,
    lsps,
    hosting,
    box,
    lsps5: { presence, notifier: lsps5Notifier, outbox: lsps5Outbox },
    routingFees,
  });
  return {
    hosting,
    webhooks,
    metrics: new MetricsService({ database }),
    publicUrl: deps.hosting?.publicUrl,
    prometheusToken: config.monitoring.prometheusToken,
    fees,
    lsps1,
    lsps2,
    jitForwarder,
    wrapped,
    lsps,
    lsps5Notifier,
    events: new EventLog(database),
    routingFees,
    records: {
      jitChannel: (jitScid) => new Lsps2JitChannelsRepository(database.db).byScid(jitScid.toString()),
      purchase: (id) => new LiquidityPurchasesRepository(database.db).get(id),
      rebalances: (limit, states) => new RebalancesRepository(database.db).list(limit, states),
    },
    apiKeys,
    tenants: new TenantsRepository(database.db),
    accounts,
    funder,
    channels,
    reservations,
    payments,
    quotes: new QuoteService({
      lightning: {
        estimateRouteFee: recordedRouteProbe(
          lightning,
          new PaymentPurposesRepository(database.db),
          LSP_NODE_ID,
        ),
        routeProbability: (request, signal) => lightning.routeProbability(request, signal),
        decodePaymentRequest: (request, signal) => lightning.decodePaymentRequest(request, signal),
        getInfo: (signal) => lightning.getInfo(signal),
      },
      settings: config.routing.quotes,
      log: log.child({ sub: 'routing' }),
    }),
    audit: () =>
      runAudit({
        database,
        lightning,
        hostingPeriodSeconds: config.hosting.billingPeriodSeconds,
        refundMaxFeeRate: config.channels.maxFeeRate,
      }),
    jobs: runner,
    startJobs(signal) {
      runner.start(signal);
      return runner;
    },
    async untilPeerMessages(timeoutMs) {
      const late = AbortSignal.timeout(timeoutMs);
      const timedOut = new Promise<'late'>((resolve) =>
        late.addEventListener('abort', () => resolve('late'), { once: true }),
      );
      const known = await Promise.race([runner.firstPass().then(() => 'passed' as const), timedOut]);
      if (known === 'late') return known;
      if (!runner.status().some((j) => j.name === PEER_MESSAGES_JOB && j.running)) return 'elsewhere';
      return Promise.race([peerMessages.promise.then(() => 'listening' as const), timedOut]);
    },
  };
}
