-- API keys: the key id travels with each request; the secret is kept encrypted (AES-256-GCM
-- under the server's secrets key) because verifying an HMAC needs it.
create table api_keys (
  id text primary key,
  tenant_id uuid not null references tenants(id),
  scope text not null check (scope in ('admin', 'tenant')),
  secret_ciphertext text not null,
  label text not null default '',
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index api_keys_tenant on api_keys (tenant_id);

-- Nonces seen per key within the signature window: a replay is refused across restarts and
-- replicas. Rows older than the window are pruned.
create table api_nonces (
  key_id text not null,
  nonce text not null,
  seen_at timestamptz not null default now(),
  primary key (key_id, nonce)
);
create index api_nonces_seen_at on api_nonces (seen_at);

-- The append-only account ledger; a tenant's balance is the sum of its entries.
-- (kind, reference) is unique so a credit or charge can never be recorded twice.
create table ledger_entries (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references tenants(id),
  kind text not null check (kind in ('topup', 'channel_fee', 'channel_fee_refund')),
  amount_sat bigint not null check (amount_sat <> 0),
  reference text not null,
  description text not null default '',
  created_at timestamptz not null default now(),
  unique (kind, reference)
);
create index ledger_entries_tenant on ledger_entries (tenant_id, id);

-- Top-up invoices a tenant pays to credit its balance.
create table topups (
  payment_hash text primary key,
  tenant_id uuid not null references tenants(id),
  amount_sat bigint not null check (amount_sat > 0),
  payment_request text not null,
  state text not null check (state in ('open', 'settled', 'canceled')),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  settled_at timestamptz
);
create index topups_open on topups (state) where state = 'open';

-- Channels sold through the REST API, followed from queued to open to closed.
create table channel_requests (
  id uuid primary key,
  tenant_id uuid not null references tenants(id),
  idempotency_key text,
  client_pubkey text not null,
  capacity_sat bigint not null check (capacity_sat > 0),
  push_sat bigint not null check (push_sat >= 0),
  fee_rate_sat_per_vbyte bigint,
  private boolean not null,
  fee_sat bigint not null check (fee_sat >= 0),
  state text not null check (state in ('queued', 'opening', 'pending', 'open', 'closed', 'failed')),
  funding_txid text,
  funding_output_index integer,
  failure text,
  estimated_blocks integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, idempotency_key)
);
create index channel_requests_state on channel_requests (state);
create index channel_requests_outpoint on channel_requests (funding_txid, funding_output_index);
