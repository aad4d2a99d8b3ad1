-- LSPS1 channel orders. `state` is the order state machine's state (see core/lsps1); every
-- transition is written here before its effects run, so a restarted server resumes it.
create table lsps1_orders (
  id uuid primary key,
  owner_kind text not null check (owner_kind in ('node', 'tenant')),
  owner text not null,
  client_pubkey text not null,
  client_host text,
  lsp_balance_sat bigint not null check (lsp_balance_sat > 0),
  client_balance_sat bigint not null check (client_balance_sat >= 0),
  required_channel_confirmations integer not null,
  funding_confirms_within_blocks integer not null,
  channel_expiry_blocks integer not null,
  token text not null default '',
  refund_onchain_address text,
  announce_channel boolean not null,
  fee_total_sat bigint not null check (fee_total_sat >= 0),
  order_total_sat bigint not null check (order_total_sat > 0),
  payment_hash text not null unique,
  invoice text not null,
  preimage_ciphertext text not null,
  invoice_expires_at timestamptz not null,
  state text not null,
  failure text,
  funding_txid text,
  funding_output_index integer,
  funded_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index lsps1_orders_owner on lsps1_orders (owner_kind, owner);
create index lsps1_orders_active on lsps1_orders (state) where state not in ('completed', 'failed', 'expired');
