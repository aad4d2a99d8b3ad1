/**
 * The tables of hosted nodes: the nodes (0011), the keeper's up/down intervals, their deletions
 * (0017), the payments they sent as the LSP recorded them and the macaroons granted on them
 * (0018).
 */
import type { DeletionPhase, HostedNodeState } from '@blgv/core';
import type { ColumnType, Generated } from 'kysely';

/** `hosted_nodes`. */
export interface HostedNodesTable {
  id: string;
  /** Insertion order, the key the tenant's list pages by (0016). */
  seq: ColumnType<bigint, never, never>;
  tenant_id: string;
  alias: string;
  color: string;
  /** The parsed `HostedNodeConfig`, amounts as decimal strings. */
  config: unknown;
  state: HostedNodeState;
  pubkey: string | null;
  rpc_address: string | null;
  public_rpc_address: string | null;
  rest_address: string | null;
  p2p_address: string | null;
  tls_cert: string | null;
  sealed_secrets: string | null;
  sealed_customer_macaroon: string | null;
  paid_until: Date | null;
  /** How far billing from the node's own `ListPayments` reached before 0018; no longer moved. */
  billed_payment_index: Generated<bigint>;
  suspended_at: Date | null;
  failure: string | null;
  backup: string | null;
  backup_at: Date | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: Generated<Date>;
  idempotency_key: string | null;
  request_hash: string | null;
  creation_heartbeat_at: Date | null;
  seed_available_until: Date | null;
  seed_acknowledged_at: Date | null;
  /** The tower the node backs its revoked states up to, once registered (0039). */
  watchtower: string | null;
}

/** `hosted_node_checks`: intervals a node was up (or down). */
export interface HostedNodeChecksTable {
  node_id: string;
  up: boolean;
  since: Generated<Date>;
  until: Generated<Date>;
}

/** `hosted_node_deletions`. */
export interface HostedNodeDeletionsTable {
  node_id: string;
  close_channels: boolean;
  sweep_address: string | null;
  requested_at: Generated<Date>;
  start_height: number | null;
  closes: Generated<unknown>;
  sweeps: Generated<unknown>;
  phase: Generated<DeletionPhase | 'removed'>;
  holdings: unknown;
  reasons: Generated<unknown>;
  checked_at: Date | null;
  removed_at: Date | null;
  archive_ref: string | null;
  archive_expires_at: Date | null;
  archive_purged_at: Date | null;
  legacy: Generated<boolean>;
}

/** Where a recorded payment is. */
export type RecordedPaymentStatus = 'in_flight' | 'succeeded' | 'failed' | 'vanished';

/** `hosted_node_payments`. */
export interface HostedNodePaymentsTable {
  node_id: string;
  payment_index: bigint;
  payment_hash: string;
  status: RecordedPaymentStatus;
  amount_msat: bigint;
  fee_msat: bigint;
  created_at: Date;
  recorded_at: Generated<Date>;
  updated_at: Generated<Date>;
  billed_at: Date | null;
  billed_fee_sat: bigint | null;
}

/** Which macaroon of a node: the customer one, the read-only one (both baked at creation), or an extra one. */
export type NodeMacaroonKind = 'customer' | 'read_only' | 'extra';

/** `hosted_node_macaroons`. */
export interface HostedNodeMacaroonsTable {
  node_id: string;
  root_key_id: bigint;
  kind: NodeMacaroonKind;
  /** `[{ entity, action }]`. */
  permissions: ColumnType<unknown, string, never>;
  created_at: ColumnType<Date, never, never>;
  revoked_at: Date | null;
}
