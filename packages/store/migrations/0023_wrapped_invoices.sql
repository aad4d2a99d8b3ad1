-- Wrapped invoices (issue 21): JIT channels for wallets on a stock node, the Flow 2.0 way. A fee
-- quote (`POST /api/v1/fee`) is kept until it expires so the proposal that names it is priced as
-- quoted; each proposal makes one wrapped invoice (a hold invoice of the LSP's for the wallet's
-- payment hash). `state` belongs to the wrapped invoice machine (core/wrapped); `payment_hash`
-- is unique: one payment, one wrapping. The preimage is stored once the wallet released it (it
-- is then public on the payer's side too) so a restart can settle the hold invoice.
create table wrapped_fee_quotes (
  id uuid primary key,
  tenant_id uuid references tenants (id),
  wallet_pubkey text not null,
  amount_msat bigint not null check (amount_msat > 0),
  fee_msat bigint not null check (fee_msat >= 0),
  -- Where the fee came from (the funding fee rate it covers).
  fee_rate_sat_per_vbyte bigint not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index wrapped_fee_quotes_expires on wrapped_fee_quotes (expires_at);

create table wrapped_invoices (
  id uuid primary key,
  fee_id uuid not null references wrapped_fee_quotes (id),
  tenant_id uuid references tenants (id),
  wallet_pubkey text not null,
  payment_hash text not null unique,
  wallet_invoice text not null,
  wallet_amount_msat bigint not null check (wallet_amount_msat > 0),
  wallet_cltv integer not null,
  fee_msat bigint not null check (fee_msat >= 0),
  wrapped_invoice text not null,
  wrapped_cltv integer not null,
  expires_at timestamptz not null,
  state text not null,
  channel_capacity_sat bigint,
  funding_id text,
  funding_txid text,
  funding_output_index integer,
  channel_scid text,
  preimage text,
  failure text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index wrapped_invoices_active on wrapped_invoices (state)
  where state not in ('completed', 'failed', 'expired');
create index wrapped_invoices_wallet on wrapped_invoices (wallet_pubkey, state);
create trigger wrapped_invoices_event after insert or update on wrapped_invoices for each row
  execute function append_event('wrapped_invoice', 'state', 'tenant_id', 'wallet_pubkey', 'payment_hash',
    'wallet_amount_msat', 'fee_msat', 'channel_capacity_sat', 'funding_txid', 'funding_output_index',
    'channel_scid', 'failure');
