/**
 * The tables of the account ledger: its entries, top-up invoices, and debts not yet in it.
 */
import type { ColumnType, Generated } from 'kysely';

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
  | 'utilization_fee_refund'
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

/** Ledger kinds a debt can be of. */
export type DebtKind = 'hosting_transaction_fee';

/** `tenant_debts` (0018): charges a balance could not cover when due, paid by the next credit. */
export interface TenantDebtsTable {
  id: ColumnType<bigint, never, never>;
  tenant_id: string;
  kind: DebtKind;
  reference: string;
  amount_sat: bigint;
  description: Generated<string>;
  created_at: ColumnType<Date, never, never>;
  paid_at: Date | null;
}
