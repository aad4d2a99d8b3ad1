export { type Kysely, type KyselyPlugin, sql, type Transaction } from 'kysely';
export { type ApiKeyRecord, ApiKeysRepository } from './api-keys-repository.ts';
export { type AuditedHostedNode, AuditRepository, type BalanceMismatch } from './audit-repository.ts';
export {
  BusinessFiguresRepository,
  type JitLatency,
  LEDGER_REVENUE,
  noRevenue,
  type OpenOrders,
  REVENUE_SOURCES,
  type RevenueDay,
  type RevenueSource,
  sumBySource,
} from './business-figures-repository.ts';
export { type BusinessTotals, BusinessTotalsRepository } from './business-totals-repository.ts';
export {
  type ChannelFunding,
  ChannelFundingsRepository,
  type FundedFacts,
} from './channel-fundings-repository.ts';
export {
  type ChannelRequest,
  ChannelRequestsRepository,
  type ChannelRequestUpdate,
} from './channel-requests-repository.ts';
export { type Database, type DatabaseConfig, openDatabase } from './database.ts';
export { isDatabaseBusy, isDatabaseUnavailable } from './database-errors.ts';
export { type EventQuery, EventsRepository, type LspEvent } from './events-repository.ts';
export { fencedDialect, writes } from './fenced-dialect.ts';
export {
  type DeletionLook,
  type HostedNodeDeletion,
  HostedNodeDeletionsRepository,
} from './hosted-node-deletions-repository.ts';
export {
  HostedNodeMacaroonsRepository,
  type NodeMacaroonRecord,
} from './hosted-node-macaroons-repository.ts';
export {
  HostedNodePaymentsRepository,
  type RecordedPayment,
  type ReportedPayment,
  type UnbilledPayment,
} from './hosted-node-payments-repository.ts';
export {
  type HostedNodeRecord,
  HostedNodesRepository,
  type ProvisionedNode,
} from './hosted-nodes-repository.ts';
export { JobCursorsRepository } from './job-cursors-repository.ts';
export { type JobLease, JobLeasesRepository } from './job-leases-repository.ts';
export type { Page, PageRequest } from './keyset-page.ts';
export {
  assertLeaseHeld,
  currentLeaseFence,
  type LeaseFence,
  leaseLost,
  withLeaseFence,
} from './lease-fence.ts';
export {
  type LedgerEntry,
  LedgerRepository,
  NO_ACCOUNT,
  type TenantAccount,
  type Topup,
} from './ledger-repository.ts';
export {
  type LiquidityPurchaseRecord,
  LiquidityPurchasesRepository,
  type NewLiquidityPurchase,
  type PurchaseUpdate,
} from './liquidity-purchases-repository.ts';
export {
  type Lsps1OrderRecord,
  Lsps1OrdersRepository,
  type NewLsps1Order,
  type OrderUpdate,
} from './lsps1-orders-repository.ts';
export {
  type Lsps1Refund,
  Lsps1RefundsRepository,
  type NewLsps1Refund,
} from './lsps1-refunds-repository.ts';
export {
  type JitChannelRecord,
  type JitChannelUpdate,
  Lsps2JitChannelsRepository,
  type NewJitChannel,
} from './lsps2-jit-channels-repository.ts';
export {
  type DueLsps5Notification,
  type Lsps5NotificationRecord,
  type Lsps5Registrant,
  Lsps5Repository,
  type Lsps5WebhookRecord,
  type NewLsps5Notification,
} from './lsps5-repository.ts';
export {
  MACHINE_TABLES,
  type MachineTable,
  stateCheckName,
  statesOfCheck,
  syncStateChecks,
} from './machine-tables.ts';
export { openMigratedMemoryDatabase } from './memory-template.ts';
export { listMigrations, type Migration, migrate } from './migrate.ts';
export { NODE_LOCK_WAIT_MS, PostgresNodeLocks } from './node-locks.ts';
export {
  type ForwardDay,
  type ForwardTotals,
  NodeMonitoringRepository,
  type NodeSnapshot,
  type PurposeStatusCount,
  type StoredForward,
  type StoredPayment,
} from './node-monitoring-repository.ts';
export {
  type ChannelPairForwards,
  type NodeCheckInterval,
  NodeSeriesRepository,
  type PaymentStatusCount,
} from './node-series-repository.ts';
export { committedToOpens, lockOpenCommitments } from './open-commitments.ts';
export { PaymentPurposesRepository } from './payment-purposes-repository.ts';
export {
  type Payment,
  type PaymentAttempt,
  type PaymentOutcome,
  PaymentsRepository,
} from './payments-repository.ts';
export { PGliteDialect } from './pglite-dialect.ts';
export {
  type RebalanceAttempt,
  type RebalanceRecord,
  type RebalanceState,
  RebalancesRepository,
} from './rebalances-repository.ts';
export {
  type CommittedLiquidity,
  type NewReservation,
  type Reservation,
  ReservationsRepository,
  type TenantPosition,
} from './reservations-repository.ts';
export {
  type RoutingFeeChange,
  type RoutingFeeChangeRecord,
  RoutingFeesRepository,
} from './routing-fees-repository.ts';
export { runningTotalsMismatches, type TotalMismatch } from './running-totals-check.ts';
export type { Schema } from './schema.ts';
export type { ChannelRequestState, FundingChannelRecord, FundingState } from './tables/channels.ts';
export type { EventsTable } from './tables/events.ts';
export type { NodeMacaroonKind, RecordedPaymentStatus } from './tables/hosting.ts';
export type { JobLeasesTable } from './tables/jobs.ts';
export type { DebtKind, LedgerKind, TopupState } from './tables/ledger.ts';
export type { LiquidityReservationsTable } from './tables/liquidity.ts';
export type { Lsps5NotificationState } from './tables/lsps5.ts';
export type { PaymentStatus } from './tables/payments.ts';
export {
  type NewDebt,
  type TenantDebt,
  TenantDebtsRepository,
} from './tenant-debts-repository.ts';
export { isUniqueViolation, type Tenant, TenantsRepository } from './tenants-repository.ts';
export {
  type NewUnpaidChannel,
  type UnpaidChannelCosts,
  type UnpaidChannelRecord,
  UnpaidChannelsRepository,
  type UnpricedClose,
} from './unpaid-channels-repository.ts';
export type {
  AttemptOutcome,
  DeliveryWithAttempts,
  DueDelivery,
  NewWebhookDelivery,
  NewWebhookEndpoint,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
} from './webhook-records.ts';
export { WebhooksRepository } from './webhooks-repository.ts';
export {
  type NewWrappedInvoice,
  type WrappedFeeQuote,
  type WrappedInvoiceRecord,
  WrappedInvoicesRepository,
  type WrappedInvoiceUpdate,
} from './wrapped-invoices-repository.ts';
