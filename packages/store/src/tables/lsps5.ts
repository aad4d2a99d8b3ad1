/**
 * The tables of LSPS5 (0013): the webhooks client nodes registered, what retention needs to know
 * about each client, per-method notification cooldowns, and the outbox of notifications.
 */
import type { ColumnType, Generated } from 'kysely';

/** `lsps5_webhooks`. */
export interface Lsps5WebhooksTable {
  id: string;
  owner_kind: 'node' | 'tenant';
  owner: string;
  client_pubkey: string;
  app_name: string;
  url: string;
  created_at: ColumnType<Date, never, never>;
  updated_at: Generated<Date>;
}

/** `lsps5_clients`. */
export interface Lsps5ClientsTable {
  client_pubkey: string;
  no_channel_since: Date | null;
}

/** `lsps5_cooldowns`. */
export interface Lsps5CooldownsTable {
  client_pubkey: string;
  method: string;
  sent_at: Date;
}

/** Where a notification is. */
export type Lsps5NotificationState = 'pending' | 'delivered' | 'failed' | 'dropped';

/** `lsps5_notifications`. */
export interface Lsps5NotificationsTable {
  id: Generated<bigint>;
  webhook_id: string;
  client_pubkey: string;
  method: string;
  body: string;
  state: Lsps5NotificationState;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_status: number | null;
  last_error: string | null;
  created_at: ColumnType<Date, never, never>;
  finished_at: Date | null;
}
