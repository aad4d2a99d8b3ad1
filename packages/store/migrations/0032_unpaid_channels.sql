-- Channels the LSP closed because their client never paid (issue 22): a member of a withheld
-- batch whose client never settled, its channel published with the batch's other members'. What
-- it cost is the LSP's own expense, never a tenant's: its share of the funding transaction's fee
-- (the fee divided equally among the batch's channels, rounded up) and, on chain later, the
-- close. One row per member (its funding owner), written once, an event in the log; the figures
-- and /metrics report them beside the rebalances' cost, from a running total kept as 0025's.
create table unpaid_channels (
  -- The channel's owner in its funding: `jit:<lsps2_jit_channels.id>` or `wrapped:<wrapped_invoices.id>`.
  id text primary key,
  created_at timestamptz not null default now(),
  -- `closing`: the LSP asked LND to close it (`closing_txid`); `not_open`: found no longer open (closed
  -- by its client, or by the LSP before a restart).
  state text not null check (state in ('closing', 'not_open')),
  client_pubkey text not null,
  funding_id uuid not null references channel_fundings(id),
  channel_point text not null,
  capacity_sat bigint not null check (capacity_sat > 0),
  funding_share_sat bigint not null check (funding_share_sat >= 0),
  closing_txid text,
  check ((state = 'closing') = (closing_txid is not null))
);
create index unpaid_channels_created on unpaid_channels (created_at);
create trigger unpaid_channels_event after insert on unpaid_channels for each row
  execute function append_event('unpaid_channel', 'state', 'none', 'client_pubkey', 'funding_id',
    'channel_point', 'capacity_sat', 'funding_share_sat', 'closing_txid');

alter table business_totals drop constraint business_totals_name_check;
alter table business_totals add constraint business_totals_name_check check (name in (
  'channel_sales', 'push_margin', 'jit_opened', 'jit_opening_fees', 'routing', 'rebalances', 'wrapped_fees',
  'unpaid_channels'
));
insert into business_totals (name) values ('unpaid_channels');

-- How many, and their funding shares (msat, as every business total); rows are never deleted.
create function unpaid_channels_totals() returns trigger language plpgsql as $$
declare
  n numeric := 0;
  share numeric := 0;
begin
  select count(*), coalesce(sum(funding_share_sat), 0) * 1000 into n, share from new_rows;
  perform add_business_total('unpaid_channels', n, share);
  return null;
end
$$;
create trigger unpaid_channels_totals_insert after insert on unpaid_channels
  referencing new table as new_rows for each statement execute function unpaid_channels_totals();
