/**
 * The database schema as Kysely sees it. Each table's interface matches its migration.
 */

import type { ChannelRequestState } from '@blgv/core';
import type { ColumnType, Generated } from 'kysely';
import type { ChannelFundingsTable } from './channel-fundings-repository.ts';
import type { HostedNodeDeletionsTable } from './hosted-node-deletions-repository.ts';
import type { HostedNodeMacaroonsTable } from './hosted-node-macaroons-repository.ts';
import type { HostedNodePaymentsTable } from './hosted-node-payments-repository.ts';
import type { HostedNodeChecksTable, HostedNodesTable } from './hosted-nodes-repository.ts';
import type { Lsps1RefundsTable } from './lsps1-refunds-repository.ts';
import type { Lsps2JitChannelsTable } from './lsps2-jit-channels-repository.ts';
import type {
  Lsps5ClientsTable,
  Lsps5CooldownsTable,
  Lsps5NotificationsTable,
  Lsps5WebhooksTable,
} from './lsps5-repository.ts';
import type {
  NodeForwardsTable,
  NodePaymentsTable,
  NodeSnapshotsTable,
} from './node-monitoring-repository.ts';
import type { PaymentsTable } from './payments-repository.ts';
import type { LiquidityReservationsTable } from './reservations-repository.ts';
import type { TenantDebtsTable } from './tenant-debts-repository.ts';
import type {
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from './webhooks-repository.ts';

/** `tenants`: the customers of the LSP; every record of theirs points here. */
export interface TenantsTable {
  id: string;
  name: string;
  /** The running balance, kept with each ledger entry (0007). */
  balance_sat: ColumnType<bigint, never, never>;
  created_at: ColumnType<Date, never, never>;
}

/** `schema_migrations`: which numbered migrations have run. */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<Date>;
}

/** `api_keys`: key ids, scopes and encrypted secrets. */
export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  scope: 'admin' | 'tenant';
  secret_ciphertext: string;
  label: Generated<string>;
  created_at: ColumnType<Date, never, never>;
  revoked_at: Date | null;
}

/** `api_nonces`: nonces seen per key within the signature window. */
export interface ApiNoncesTable {
  key_id: string;
  nonce: string;
  seen_at: Generated<Date>;
  /** The request's timestamp plus the signature window: until then a replay could be accepted. */
  expires_at: Date;
}

/** Kinds of ledger entries. */
export type LedgerKind =
  | 'topup'
  | 'channel_fee'
  | 'channel_fee_refund'
  | 'channel_push'
  | 'channel_network_fee'
  | 'channel_refund'
  | 'reservation_purchase_fee'
  | 'reservation_refund'
  | 'reservation_fee'
  | 'payment'
  | 'routing_fee'
  | 'utilization_fee'
  | 'payment_refund'
  | 'hosting_monthly_fee'
  | 'hosting_transaction_fee'
  | 'hosting_fee_refund';

/** `ledger_entries`: the append-only account ledger. */
export interface LedgerEntriesTable {
  id: Generated<bigint>;
  tenant_id: string;
  kind: LedgerKind;
  amount_sat: bigint;
  reference: string;
  description: Generated<string>;
  created_at: ColumnType<Date, never, never>;
}

/** States of a top-up invoice. */
export type TopupState = 'open' | 'settled' | 'canceled';

/** `topups`: invoices that credit a tenant's balance when paid. */
export interface TopupsTable {
  payment_hash: string;
  tenant_id: string;
  amount_sat: bigint;
  payment_request: string;
  state: TopupState;
  expires_at: Date;
  created_at: ColumnType<Date, never, never>;
  settled_at: Date | null;
}

/** States of a channel sold over REST (the machine in `core/channels`). */
export type { ChannelRequestState };

/** `channel_requests`: channels sold through the REST API. */
export interface ChannelRequestsTable {
  id: string;
  /** Insertion order, the key the tenant's list pages by (0015). */
  seq: ColumnType<bigint, never, never>;
  tenant_id: string;
  idempotency_key: string | null;
  /** Digest of the body the key was first used with (0010). */
  idempotency_fingerprint: string | null;
  client_pubkey: string;
  capacity_sat: bigint;
  push_sat: bigint;
  fee_rate_sat_per_vbyte: bigint | null;
  private: boolean;
  fee_sat: bigint;
  /** The channel's share of its funding transaction, charged (0007). */
  network_fee_sat: Generated<bigint>;
  funding_id: string | null;
  state: ChannelRequestState;
  funding_txid: string | null;
  funding_output_index: number | null;
  failure: string | null;
  estimated_blocks: number;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** `lsps1_orders`: LSPS1 channel orders and their state machine's state. */
export interface Lsps1OrdersTable {
  id: string;
  owner_kind: 'node' | 'tenant';
  owner: string;
  client_pubkey: string;
  client_host: string | null;
  lsp_balance_sat: bigint;
  client_balance_sat: bigint;
  required_channel_confirmations: number;
  funding_confirms_within_blocks: number;
  channel_expiry_blocks: number;
  token: string;
  refund_onchain_address: string | null;
  announce_channel: boolean;
  fee_total_sat: bigint;
  /** The part of `fee_total_sat` that pays the funding transaction (0007). */
  network_fee_sat: Generated<bigint>;
  funding_id: Generated<string | null>;
  order_total_sat: bigint;
  payment_hash: string;
  invoice: string;
  preimage_ciphertext: string;
  invoice_expires_at: Date;
  state: string;
  failure: string | null;
  funding_txid: string | null;
  funding_output_index: number | null;
  funded_at: Date | null;
  /** A fresh address of ours, when the order may be paid on-chain (0006). */
  onchain_address: string | null;
  onchain_start_height: number | null;
  onchain_confirmations: number | null;
  onchain_expires_at: Date | null;
  payment_method: 'bolt11' | 'onchain' | null;
  refund_txid: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** `liquidity_purchases`: channels bought from an upstream LSP (the purchase state machine). */
export interface LiquidityPurchasesTable {
  id: string;
  upstream_pubkey: string;
  amount_sat: bigint;
  max_fee_sat: bigint;
  order_id: string;
  lsp_balance_sat: bigint;
  client_balance_sat: bigint;
  fee_total_sat: bigint;
  /** The part of `fee_total_sat` that pays the funding transaction (0007). */
  network_fee_sat: Generated<bigint>;
  funding_id: Generated<string | null>;
  order_total_sat: bigint;
  pay_address: string;
  refund_address: string;
  state: string;
  failure: string | null;
  payment_txid: string | null;
  onchain_fee_sat: bigint | null;
  funding_outpoint: string | null;
  outbound_sat: bigint | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** `job_cursors`: where a job's stream resumes (0007). */
export interface JobCursorsTable {
  name: string;
  value: bigint;
  updated_at: Generated<Date>;
}

/** `events` (0009). */
export interface EventsTable {
  id: Generated<bigint>;
  position: bigint | null;
  xid: ColumnType<string, never, never>;
  at: ColumnType<Date, never, never>;
  subject_kind: string;
  subject_id: string;
  tenant_id: string | null;
  state: string;
  facts: ColumnType<Record<string, unknown>, string, never>;
}

/** `job_leases`. */
export interface JobLeasesTable {
  name: string;
  holder: string;
  acquired_at: ColumnType<Date, never, never>;
  expires_at: Date;
}

/** All tables. */
export interface Schema {
  channel_fundings: ChannelFundingsTable;
  events: EventsTable;
  job_cursors: JobCursorsTable;
  job_leases: JobLeasesTable;
  tenants: TenantsTable;
  schema_migrations: SchemaMigrationsTable;
  api_keys: ApiKeysTable;
  api_nonces: ApiNoncesTable;
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
}
