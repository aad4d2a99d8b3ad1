-- Rebalancing (issue 20, item 4): every circular payment the routing-rebalance job made, refused
-- or saw fail, with its reason (one event each in the log). What a made one cost is the LSP's
-- own expense (never a tenant's ledger): the figures and /metrics sum `fee_msat` of the
-- succeeded ones, and the audit checks each against LND's record of the payment.
create table rebalances (
  id uuid primary key,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  state text not null check (state in ('sending', 'succeeded', 'refused', 'failed')),
  source_channel_point text not null,
  source_scid text not null,
  target_channel_point text not null,
  target_scid text not null,
  target_peer text not null,
  amount_sat bigint not null,
  -- The economic bound (capped by what was left of the day's budget): LND's fee limit.
  max_fee_msat bigint not null,
  fee_msat bigint,
  payment_hash text,
  reason text not null
);
create index rebalances_created on rebalances (created_at);
create trigger rebalances_event after insert or update on rebalances for each row
  execute function append_event('rebalance', 'state', 'none', 'source_channel_point', 'target_channel_point',
    'amount_sat', 'max_fee_msat', 'fee_msat', 'payment_hash', 'reason');
