-- Fees that follow liquidity (issue 20, item 3): every fee the routing-fees job set on a
-- channel, or would have set in dry-run, with its reason (one event each in the log), and the
-- policy's settings as changed at runtime (`PUT /v1/admin/routing/policy`; none: the config's).
create table routing_fee_changes (
  id uuid primary key,
  created_at timestamptz not null default now(),
  channel_point text not null,
  scid text not null,
  state text not null check (state in ('applied', 'dry_run')),
  base_fee_msat bigint not null,
  fee_rate_ppm bigint not null,
  previous_fee_rate_ppm bigint not null,
  inbound_fee_rate_ppm bigint not null,
  outbound_share_ppm bigint not null,
  reason text not null
);
create index routing_fee_changes_channel on routing_fee_changes (channel_point, state, created_at);
create trigger routing_fee_changes_event after insert on routing_fee_changes for each row
  execute function append_event('routing_fee', 'state', 'none', 'channel_point', 'scid',
    'base_fee_msat', 'fee_rate_ppm', 'previous_fee_rate_ppm', 'inbound_fee_rate_ppm',
    'outbound_share_ppm', 'reason');

create table routing_policy (
  id smallint primary key check (id = 1),
  settings jsonb not null,
  updated_at timestamptz not null default now()
);
