-- LSPS2 JIT channels: one row per `lsps2.buy`. `state` belongs to the JIT channel state machine
-- (see core/lsps2); every transition is written here before it is acted on. `payment_hash` is
-- unique: one payment can never open two channels.
create table lsps2_jit_channels (
  id uuid primary key,
  owner_kind text not null check (owner_kind in ('node', 'tenant')),
  owner text not null,
  client_pubkey text not null,
  -- scids in LND's alias range exceed a signed bigint: stored as decimal text.
  jit_scid text not null unique,
  min_fee_msat bigint not null check (min_fee_msat >= 0),
  proportional bigint not null check (proportional >= 0),
  valid_until timestamptz not null,
  min_lifetime integer not null,
  max_client_to_self_delay integer not null,
  min_payment_size_msat bigint not null,
  max_payment_size_msat bigint not null,
  payment_size_msat bigint,
  state text not null,
  payment_hash text unique,
  fee_msat bigint,
  channel_capacity_sat bigint,
  funding_txid text,
  funding_output_index integer,
  channel_scid text,
  failure text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index lsps2_jit_channels_active on lsps2_jit_channels (state)
  where state not in ('completed', 'failed', 'expired');
