-- What closing a channel its client never paid for cost the LSP on chain (0032 kept only its
-- share of the funding): once LND lists its close resolved, the channel's capacity less what the
-- close settled back to the LSP (a cooperative close: its fee; a force close: its commitment's
-- fee and anchors, the later sweep not counted). Null until then. A running total beside 0032's.
alter table unpaid_channels add column close_fee_sat bigint check (close_fee_sat >= 0);

alter table business_totals drop constraint business_totals_name_check;
alter table business_totals add constraint business_totals_name_check check (name in (
  'channel_sales', 'push_margin', 'jit_opened', 'jit_opening_fees', 'routing', 'rebalances', 'wrapped_fees',
  'unpaid_channels', 'unpaid_channel_closes'
));
insert into business_totals (name) values ('unpaid_channel_closes');

-- Each close priced once (its fee never changes after): counted when it is first written.
create function unpaid_channel_closes_total() returns trigger language plpgsql as $$
begin
  perform add_business_total('unpaid_channel_closes', 1, new.close_fee_sat * 1000);
  return null;
end
$$;
create trigger unpaid_channel_closes_total after update of close_fee_sat on unpaid_channels
  for each row when (old.close_fee_sat is null and new.close_fee_sat is not null)
  execute function unpaid_channel_closes_total();
