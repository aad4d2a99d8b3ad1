/**
 * The table of payments tenants send through the LSP node.
 */
import type { ColumnType } from 'kysely';

/** Where a payment is. */
export type PaymentStatus = 'pending' | 'succeeded' | 'failed';

/** `payments` (0004). */
export interface PaymentsTable {
  payment_hash: string;
  /** Insertion order, the key the tenant's list pages by (0015). */
  seq: ColumnType<bigint, never, never>;
  tenant_id: string;
  attempt: number;
  /** The try of this attempt being sent (0024): one part first, then split. */
  send_try: ColumnType<number, number | undefined, number>;
  payment_request: string;
  destination: string;
  amount_msat: bigint;
  reservation_id: string | null;
  reserved_sat: bigint;
  liquidity_sat: bigint;
  fee_limit_msat: bigint;
  amount_sat: bigint;
  routing_fee_sat: bigint;
  utilization_fee_sat: bigint;
  status: PaymentStatus;
  failure: string | null;
  network_fee_msat: bigint | null;
  htlc_count: number | null;
  preimage: string | null;
  /** The HTLC attempts of the last attempt, JSON (0019): see payment-attempts-json.ts. */
  htlc_attempts: string | null;
  expires_at: Date;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}
