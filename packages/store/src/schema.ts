/**
 * The database schema as Kysely sees it: every table by name. Each table's interface lives in
 * `tables/`, by area, and matches its migrations; repositories import them and this, and
 * nothing here imports a repository.
 */

import type { ChannelFundingsTable, ChannelRequestsTable, UnpaidChannelsTable } from './tables/channels.ts';
import type { EventsTable } from './tables/events.ts';
import type {
  HostedNodeChecksTable,
  HostedNodeDeletionsTable,
  HostedNodeMacaroonsTable,
  HostedNodePaymentsTable,
  HostedNodesTable,
} from './tables/hosting.ts';
import type { JobCursorsTable, JobLeasesTable } from './tables/jobs.ts';
import type { LedgerEntriesTable, TenantDebtsTable, TopupsTable } from './tables/ledger.ts';
import type { LiquidityPurchasesTable, LiquidityReservationsTable } from './tables/liquidity.ts';
import type { Lsps1OrdersTable, Lsps1RefundsTable } from './tables/lsps1.ts';
import type { Lsps2JitChannelsTable } from './tables/lsps2.ts';
import type {
  Lsps5ClientsTable,
  Lsps5CooldownsTable,
  Lsps5NotificationsTable,
  Lsps5WebhooksTable,
} from './tables/lsps5.ts';
import type { SchemaMigrationsTable } from './tables/migrations.ts';
import type {
  LspOwnPaymentsTable,
  NodeForwardsTable,
  NodePaymentsTable,
  NodeSnapshotsTable,
} from './tables/monitoring.ts';
import type { PaymentsTable } from './tables/payments.ts';
import type { RebalancesTable, RoutingFeeChangesTable, RoutingPolicyTable } from './tables/routing.ts';
import type { ApiKeysTable, ApiNonceDigestsTable, TenantsTable } from './tables/tenants.ts';
import type {
  BusinessTotalsTable,
  ForwardTotalsTable,
  LedgerTotalsTable,
  PaymentTotalsTable,
  ReservationTotalsTable,
} from './tables/totals.ts';
import type {
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from './tables/webhooks.ts';
import type { WrappedFeeQuotesTable, WrappedInvoicesTable } from './tables/wrapped.ts';

/** All tables. */
export interface Schema {
  channel_fundings: ChannelFundingsTable;
  events: EventsTable;
  job_cursors: JobCursorsTable;
  job_leases: JobLeasesTable;
  tenants: TenantsTable;
  schema_migrations: SchemaMigrationsTable;
  api_keys: ApiKeysTable;
  api_nonce_digests: ApiNonceDigestsTable;
  ledger_entries: LedgerEntriesTable;
  topups: TopupsTable;
  channel_requests: ChannelRequestsTable;
  lsps1_orders: Lsps1OrdersTable;
  lsps1_refunds: Lsps1RefundsTable;
  liquidity_purchases: LiquidityPurchasesTable;
  lsps2_jit_channels: Lsps2JitChannelsTable;
  liquidity_reservations: LiquidityReservationsTable;
  payments: PaymentsTable;
  hosted_nodes: HostedNodesTable;
  hosted_node_checks: HostedNodeChecksTable;
  hosted_node_deletions: HostedNodeDeletionsTable;
  hosted_node_payments: HostedNodePaymentsTable;
  hosted_node_macaroons: HostedNodeMacaroonsTable;
  tenant_debts: TenantDebtsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  lsps5_webhooks: Lsps5WebhooksTable;
  lsps5_clients: Lsps5ClientsTable;
  lsps5_cooldowns: Lsps5CooldownsTable;
  lsps5_notifications: Lsps5NotificationsTable;
  node_snapshots: NodeSnapshotsTable;
  node_forwards: NodeForwardsTable;
  node_payments: NodePaymentsTable;
  routing_fee_changes: RoutingFeeChangesTable;
  routing_policy: RoutingPolicyTable;
  rebalances: RebalancesTable;
  unpaid_channels: UnpaidChannelsTable;
  lsp_own_payments: LspOwnPaymentsTable;
  wrapped_fee_quotes: WrappedFeeQuotesTable;
  wrapped_invoices: WrappedInvoicesTable;
  ledger_totals: LedgerTotalsTable;
  forward_totals: ForwardTotalsTable;
  payment_totals: PaymentTotalsTable;
  business_totals: BusinessTotalsTable;
  reservation_totals: ReservationTotalsTable;
}
