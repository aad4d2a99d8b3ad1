-- Liquidity reservations and the payments tenants send through the LSP node.

-- Outbound liquidity of the LSP node set aside for a tenant until expires_at. Only `active`
-- reservations hold liquidity: amount_sat - used_sat of them is not offered to anyone else.
create table liquidity_reservations (
  id uuid primary key,
  tenant_id uuid not null references tenants(id),
  amount_sat bigint not null check (amount_sat > 0),
  used_sat bigint not null default 0 check (used_sat >= 0 and used_sat <= amount_sat),
  state text not null check (state in ('active', 'released', 'expired', 'exhausted')),
  reservation_fee_sat bigint not null check (reservation_fee_sat >= 0),
  utilization_fee_ppm bigint not null check (utilization_fee_ppm >= 0),
  fee_rate_ppm bigint not null check (fee_rate_ppm >= 0),
  max_fee_rate_ppm bigint not null,
  duration_ms bigint not null check (duration_ms > 0),
  expires_at timestamptz not null,
  -- Liquidity bought from outside to serve this request (the LSP bears its cost).
  external_reference text,
  external_fee_sat bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index liquidity_reservations_live on liquidity_reservations (expires_at)
  where state in ('active', 'exhausted');
create index liquidity_reservations_tenant on liquidity_reservations (tenant_id, created_at);

-- Payments tenants send. One row per payment hash: a payment that failed may be attempted
-- again (attempt + 1), each attempt charged and refunded under its own ledger references.
create table payments (
  payment_hash text primary key,
  tenant_id uuid not null references tenants(id),
  attempt integer not null default 1 check (attempt >= 1),
  payment_request text not null,
  destination text not null,
  amount_msat bigint not null check (amount_msat > 0),
  reservation_id uuid references liquidity_reservations(id),
  -- Liquidity the attempt took from its reservation (0 without one).
  reserved_sat bigint not null default 0 check (reserved_sat >= 0),
  -- Outbound liquidity the attempt may take while in flight (amount + fee limit).
  liquidity_sat bigint not null check (liquidity_sat > 0),
  fee_limit_msat bigint not null check (fee_limit_msat >= 0),
  amount_sat bigint not null,
  routing_fee_sat bigint not null,
  utilization_fee_sat bigint not null,
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  failure text,
  network_fee_msat bigint,
  htlc_count integer,
  preimage text,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index payments_pending on payments (status) where status = 'pending';
create index payments_tenant on payments (tenant_id, created_at);

-- Bumped each time a payment succeeds: a reservation made against a balance read before the
-- bump reads it again (the payment's money left the node's balance meanwhile).
create sequence liquidity_epoch;
-- Marked used, so the first bump is visible in last_value.
select setval('liquidity_epoch', 1);

alter table ledger_entries drop constraint ledger_entries_kind_check;
alter table ledger_entries add constraint ledger_entries_kind_check check (kind in (
  'topup', 'channel_fee', 'channel_fee_refund',
  'reservation_fee', 'payment', 'routing_fee', 'utilization_fee', 'payment_refund'
));
