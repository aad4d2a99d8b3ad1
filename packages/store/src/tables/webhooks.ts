/**
 * The tables of tenants' webhooks (0012): their endpoints, the deliveries made of the event log
 * for each, and every attempt of each delivery.
 */
import type { TenantDeliveryState } from '@blgv/core';
import type { ColumnType, Generated } from 'kysely';

/** `webhook_endpoints`. */
export interface WebhookEndpointsTable {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  description: string | null;
  sealed_secret: string;
  state: 'enabled' | 'disabled';
  disabled_reason: string | null;
  cursor: bigint;
  created_at: ColumnType<Date, never, never>;
  updated_at: Generated<Date>;
}

/** `webhook_deliveries`. */
export interface WebhookDeliveriesTable {
  id: Generated<bigint>;
  endpoint_id: string;
  message_id: string;
  event_position: bigint;
  event_type: string;
  subject: string;
  body: string;
  state: TenantDeliveryState;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  first_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: ColumnType<Date, never, never>;
}

/** `webhook_attempts`. */
export interface WebhookAttemptsTable {
  delivery_id: bigint;
  attempt: number;
  at: Generated<Date>;
  status: number | null;
  error: string | null;
  duration_ms: number;
}
