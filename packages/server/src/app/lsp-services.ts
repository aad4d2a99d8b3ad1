/**
 * What the server's routes, LSPS methods and jobs are handed: the services `createServices`
 * builds once from config (`services.ts`).
 */
import type { FeeSchedule } from '@blgv/core';
import type {
  JitChannelRecord,
  LiquidityPurchaseRecord,
  RebalanceRecord,
  RebalanceState,
  TenantsRepository,
} from '@blgv/store';
import type { Accounts } from '../accounts/accounts.ts';
import type { AuditReport } from '../audit/audit.ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import type { EventLog } from '../events/event-log.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import type { HostingService } from '../hosting/hosting-service.ts';
import type { JobRunner } from '../jobs/job-runner.ts';
import type { ReservationService } from '../liquidity/reservation-service.ts';
import type { LspsRouter } from '../lsps0/lsps-router.ts';
import type { Lsps1Service } from '../lsps1/lsps1-service.ts';
import type { JitForwarder } from '../lsps2/jit-forwarder.ts';
import type { Lsps2Service } from '../lsps2/lsps2-service.ts';
import type { Lsps5Notifier } from '../lsps5/lsps5-notifier.ts';
import type { MetricsService } from '../monitoring/metrics-service.ts';
import type { PaymentService } from '../payments/payment-service.ts';
import type { RoutingFeeSettingsStore } from '../routing/fee-settings.ts';
import type { QuoteService } from '../routing/quote-service.ts';
import type { WebhookService } from '../webhooks/webhook-service.ts';
import type { WrappedParts } from '../wrapped/wrapped-setup.ts';

/** Everything the routes use. */
export interface LspServices {
  readonly fees: FeeSchedule;
  readonly apiKeys: ApiKeys;
  readonly tenants: TenantsRepository;
  readonly accounts: Accounts;
  /** Funds every channel the LSP opens, with one commit point per funding transaction. */
  readonly funder: ChannelFunder;
  readonly channels: ChannelService;
  /** Liquidity reservations (`/v1/liquidity/reservations`). */
  readonly reservations: ReservationService;
  /** Payments for tenants (`/v1/payments`). */
  readonly payments: PaymentService;
  /** Quotes of a payment's routing cost (`/v1/routing/quote`). */
  readonly quotes: QuoteService;
  readonly lsps1: Lsps1Service;
  readonly lsps2: Lsps2Service;
  /** LSPS2's HTLC interceptor; its `run` is started by `startJobs` when LSPS2 is enabled. */
  readonly jitForwarder: JitForwarder;
  /** Wrapped invoices (Flow 2.0 and `/v1/wrapped-invoices`), when `wrapped.enabled`. */
  readonly wrapped: WrappedParts | undefined;
  /** LSPS JSON-RPC, shared by the peer-message and HTTP transports. */
  readonly lsps: LspsRouter;
  /** LSPS5 notifications to client nodes that are not connected. */
  readonly lsps5Notifier: Lsps5Notifier;
  /** Every state transition, in order (`/v1/events`). */
  readonly events: EventLog;
  /** Hosted nodes (`/v1/nodes`), when hosting is configured. */
  readonly hosting: HostingService | undefined;
  /** Tenants' REST webhooks (`/v1/webhooks`). */
  readonly webhooks: WebhookService;
  /** Node metrics and business figures, from what the node monitor stored. */
  readonly metrics: MetricsService;
  /** Base of hosted nodes' endpoints when configured (else the server's own URL). */
  readonly publicUrl: string | undefined;
  /** The bearer token of `GET /metrics` (`monitoring.prometheusToken`); no `/metrics` without one. */
  readonly prometheusToken: string | undefined;
  /** The routing fee policy's settings (`/v1/admin/routing/policy`). */
  readonly routingFees: RoutingFeeSettingsStore;
  /** Records the operator reads through the admin API. */
  readonly records: {
    jitChannel(jitScid: bigint): Promise<JitChannelRecord | undefined>;
    purchase(id: string): Promise<LiquidityPurchaseRecord | undefined>;
    /** Rebalances, newest first (`/v1/admin/routing/rebalances`). */
    rebalances(limit: number, states?: readonly RebalanceState[]): Promise<RebalanceRecord[]>;
  };
  /** Reconciles the ledger with LND. */
  audit(): Promise<AuditReport>;
  /**
   * The background jobs (channel opening, top-up credits, reservation expiry, pending
   * payments, forwarding fees, LSPS peer messages, nonce pruning), each run under its lease.
   */
  readonly jobs: JobRunner;
  /** Starts {@link jobs} until `signal` aborts; its `stopped()` resolves once they have stopped. */
  startJobs(signal: AbortSignal): JobRunner;
  /**
   * Once the jobs are started: resolves `listening` when this replica listens for LSPS peer
   * messages (a message sent before that is lost: LND keeps none for a listener to come),
   * `elsewhere` when another replica holds that job, `late` when neither is known within
   * `timeoutMs`.
   */
  untilPeerMessages(timeoutMs: number): Promise<'listening' | 'elsewhere' | 'late'>;
}
