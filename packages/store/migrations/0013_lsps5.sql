-- LSPS5 (bLIP-55): webhooks a client node registers (over peer messages the node itself owns
-- them; over HTTP a tenant names the client node and owns what it registers), one per
-- (owner, client node, app_name); and the notifications for them, kept as an outbox until
-- delivered (only an HTTP 200 delivers) or given up after a few attempts.
create table lsps5_webhooks (
  id text primary key,
  owner_kind text not null check (owner_kind in ('node', 'tenant')),
  owner text not null,
  client_pubkey text not null,
  app_name text not null,
  url text not null,
  created_at timestamptz not null default now(),
  -- When the URL was last set (a new app_name or a changed webhook).
  updated_at timestamptz not null default now(),
  unique (owner_kind, owner, client_pubkey, app_name)
);
create index lsps5_webhooks_client on lsps5_webhooks (client_pubkey);

-- Retention: since when the client node has had no channel with the LSP (null while it has one,
-- or before the retention job first looked). Webhooks go once this and their own `updated_at`
-- are both older than the retention period.
create table lsps5_clients (
  client_pubkey text primary key,
  no_channel_since timestamptz
);

-- The per-method cooldown: when a notification of `method` was last sent to the client's
-- webhooks. Cleared when the client disconnects (it came online, then went offline).
create table lsps5_cooldowns (
  client_pubkey text not null,
  method text not null,
  sent_at timestamptz not null,
  primary key (client_pubkey, method)
);

create table lsps5_notifications (
  id bigint generated always as identity primary key,
  webhook_id text not null references lsps5_webhooks(id) on delete cascade,
  client_pubkey text not null,
  method text not null,
  -- The JSON-RPC notification exactly as POSTed (and signed).
  body text not null,
  state text not null check (state in ('pending', 'delivered', 'failed', 'dropped')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status integer,
  last_error text,
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index lsps5_notifications_due on lsps5_notifications (next_attempt_at) where state = 'pending';
create index lsps5_notifications_webhook on lsps5_notifications (webhook_id, id) where state = 'pending';
