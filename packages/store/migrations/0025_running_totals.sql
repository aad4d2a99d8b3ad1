-- Running totals (issue 24, item 3): what `/metrics` reports since the start (revenue by source,
-- channels sold, JIT channels opened, rebalances, every node's forwards by channel pair and
-- payments by status), kept by triggers in the statement that writes each row they sum, so a
-- scrape reads a few small rows instead of summing the ledger and the forwarding history, and
-- no code path (or crash) can make them drift. Each trigger is per statement: it adds what the
-- statement's new rows contribute and takes away what its old rows did (a 1,000-row insert is
-- one update of each total it touches).
--
-- Totals that would be one hot row for every tenant are kept per tenant (`ledger_totals`): a
-- ledger entry already locks its tenant's row, so no new lock is shared between tenants.

-- Every tenant's ledger, summed by kind: the revenue from reservations, utilization and hosting.
create table ledger_totals (
  tenant_id uuid not null,
  kind text not null,
  entries bigint not null,
  amount_sat bigint not null,
  primary key (tenant_id, kind)
);

-- Every node's stored forwards by channel pair (`lsp` is the LSP's own node).
create table forward_totals (
  node_id text not null,
  chan_in text not null,
  chan_out text not null,
  forwards bigint not null,
  amt_out_msat bigint not null,
  fee_msat bigint not null,
  primary key (node_id, chan_in, chan_out)
);
-- What the LSP's node forwarded out over one channel (a JIT channel's opening fee).
create index forward_totals_chan_out on forward_totals (node_id, chan_out);

-- Every node's sent payments that ended, by purpose and status.
create table payment_totals (
  node_id text not null,
  purpose text not null,
  status text not null check (status in ('succeeded', 'failed')),
  payments bigint not null,
  primary key (node_id, purpose, status)
);

-- The LSP's own figures, one row each (`count` and `amount_msat` as each row says).
create table business_totals (
  name text primary key check (name in (
    -- channels sold and funded (REST and LSPS1), their opening fees (LSPS1: less the network fee)
    'channel_sales',
    -- what pushes were charged less what was pushed, of channels sold (amount only)
    'push_margin',
    -- LSPS2 JIT channels opened: `forwarding` or `completed` (count only)
    'jit_opened',
    -- JIT channels completed with a fee, and their opening fees
    'jit_opening_fees',
    -- the LSP's node's forwarding fees less the JIT opening fees LND logged as forward fees
    'routing',
    -- rebalances that succeeded, and their fees (the LSP's expense)
    'rebalances'
  )),
  count bigint not null default 0,
  amount_msat bigint not null default 0
);
insert into business_totals (name)
values ('channel_sales'), ('push_margin'), ('jit_opened'), ('jit_opening_fees'), ('routing'), ('rebalances');

-- Moves one business total; nothing (and no lock) when there is nothing to add.
create function add_business_total(total text, n numeric, msat numeric) returns void language plpgsql as $$
begin
  if coalesce(n, 0) <> 0 or coalesce(msat, 0) <> 0 then
    update business_totals
      set count = count + coalesce(n, 0)::bigint, amount_msat = amount_msat + coalesce(msat, 0)::bigint
      where name = total;
  end if;
end
$$;

-- Routing revenue depends on two tables at once (a JIT channel's fee is taken out of the LSP's
-- forwards over its channel, as far as they reach it): the statements that change either side
-- take this lock before they read the other, so of two concurrent ones the second sees the first.
create function lock_routing_total() returns void language sql as $$
  select pg_advisory_xact_lock(hashtext('running_totals'), hashtext('routing'))
$$;

-- What a completed JIT channel's fee takes out of routing: its fee, at most what the LSP's node
-- has been stored forwarding out over its channel (LND logs the JIT forward with the fee).
create function jit_routing_deduction(fee_msat bigint, channel_scid text) returns numeric language sql stable as $$
  select least(fee_msat, coalesce((select sum(t.fee_msat) from forward_totals t
                                   where t.node_id = 'lsp' and t.chan_out = channel_scid), 0))
$$;

-- The push charged for a channel request: the negated sum of its `channel_push` entries.
create function charged_push_sat(request_id uuid) returns numeric language sql stable as $$
  select coalesce(-sum(amount_sat), 0) from ledger_entries
  where kind = 'channel_push' and reference = request_id::text
$$;

-- A reference as the uuid it names (a channel request's id), or null.
create function uuid_or_null(reference text) returns uuid language sql immutable as $$
  select case when reference ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then reference::uuid end
$$;

-- Ledger entries (append-only): per tenant and kind; a push charged for a channel already sold
-- moves the push margin (the request's trigger counted the pushes charged before its sale). The
-- requests are locked first, so a sale committing meanwhile is seen (and it, waiting for this
-- statement's transaction, sees these entries).
create function ledger_entries_totals() returns trigger language plpgsql as $$
begin
  insert into ledger_totals (tenant_id, kind, entries, amount_sat)
    select tenant_id, kind, count(*), sum(amount_sat) from new_rows group by 1, 2 order by 1, 2
    on conflict (tenant_id, kind) do update
      set entries = ledger_totals.entries + excluded.entries,
          amount_sat = ledger_totals.amount_sat + excluded.amount_sat;
  if exists (select 1 from new_rows where kind = 'channel_push') then
    perform 1 from channel_requests
      where id in (select uuid_or_null(reference) from new_rows where kind = 'channel_push')
      order by id for share;
    perform add_business_total('push_margin', 0,
      (select -sum(e.amount_sat) * 1000 from new_rows e join channel_requests r on r.id = uuid_or_null(e.reference)
       where e.kind = 'channel_push' and r.state in ('pending', 'open', 'closed')));
  end if;
  return null;
end
$$;
create trigger ledger_entries_totals after insert on ledger_entries
  referencing new table as new_rows for each statement execute function ledger_entries_totals();

-- Stored forwards (kept once stored): per node and channel pair; the LSP's node's fees are
-- routing revenue, less what they now cover of a completed JIT channel's fee.
create function node_forwards_totals() returns trigger language plpgsql as $$
declare
  fees numeric;
begin
  fees := (select sum(fee_msat) from new_rows where node_id = 'lsp');
  if fees is not null then
    perform lock_routing_total();
  end if;
  insert into forward_totals (node_id, chan_in, chan_out, forwards, amt_out_msat, fee_msat)
    select node_id, chan_in, chan_out, count(*), sum(amt_out_msat), sum(fee_msat)
    from new_rows group by 1, 2, 3 order by 1, 2, 3
    on conflict (node_id, chan_in, chan_out) do update
      set forwards = forward_totals.forwards + excluded.forwards,
          amt_out_msat = forward_totals.amt_out_msat + excluded.amt_out_msat,
          fee_msat = forward_totals.fee_msat + excluded.fee_msat;
  if fees is not null then
    perform add_business_total('routing', 0, fees - coalesce((
      select sum(least(j.fee_msat, s.total) - least(j.fee_msat, s.total - a.added))
      from (select chan_out, sum(fee_msat) as added from new_rows where node_id = 'lsp' group by 1) a
      join lsps2_jit_channels j
        on j.channel_scid = a.chan_out and j.state = 'completed' and j.fee_msat is not null
      cross join lateral (select sum(t.fee_msat) as total from forward_totals t
                          where t.node_id = 'lsp' and t.chan_out = a.chan_out) s), 0));
  end if;
  return null;
end
$$;
create trigger node_forwards_totals after insert on node_forwards
  referencing new table as new_rows for each statement execute function node_forwards_totals();

-- Sent payments: the ended ones by node, purpose and status (an update may end one, or classify
-- it again; a delete forgets one).
create function node_payments_totals() returns trigger language plpgsql as $$
begin
  if TG_OP = 'INSERT' then
    insert into payment_totals (node_id, purpose, status, payments)
      select node_id, purpose, status, count(*) from new_rows
      where status in ('succeeded', 'failed') group by 1, 2, 3 order by 1, 2, 3
      on conflict (node_id, purpose, status) do update set payments = payment_totals.payments + excluded.payments;
  elsif TG_OP = 'UPDATE' then
    insert into payment_totals (node_id, purpose, status, payments)
      select node_id, purpose, status, sum(d) from (
        select node_id, purpose, status, 1 as d from new_rows where status in ('succeeded', 'failed')
        union all
        select node_id, purpose, status, -1 from old_rows where status in ('succeeded', 'failed')
      ) moved group by 1, 2, 3 having sum(d) <> 0 order by 1, 2, 3
      on conflict (node_id, purpose, status) do update set payments = payment_totals.payments + excluded.payments;
  else
    insert into payment_totals (node_id, purpose, status, payments)
      select node_id, purpose, status, -count(*) from old_rows
      where status in ('succeeded', 'failed') group by 1, 2, 3 order by 1, 2, 3
      on conflict (node_id, purpose, status) do update set payments = payment_totals.payments + excluded.payments;
  end if;
  return null;
end
$$;
create trigger node_payments_totals_insert after insert on node_payments
  referencing new table as new_rows for each statement execute function node_payments_totals();
create trigger node_payments_totals_update after update on node_payments
  referencing old table as old_rows new table as new_rows for each statement execute function node_payments_totals();
create trigger node_payments_totals_delete after delete on node_payments
  referencing old table as old_rows for each statement execute function node_payments_totals();

-- Channel requests: sold once `pending` (funded), `open` or `closed`; a sold request counts its
-- opening fee and its push margin (the push charged, read now, less the push made).
create function channel_requests_totals() returns trigger language plpgsql as $$
declare
  n numeric := 0;
  fees numeric := 0;
  margin numeric := 0;
begin
  select count(*), sum(fee_sat) * 1000, sum(charged_push_sat(id) - push_sat) * 1000
    into n, fees, margin
    from new_rows where state in ('pending', 'open', 'closed');
  if TG_OP = 'UPDATE' then
    select n - count(*), coalesce(fees, 0) - coalesce(sum(fee_sat) * 1000, 0),
           coalesce(margin, 0) - coalesce(sum(charged_push_sat(id) - push_sat) * 1000, 0)
      into n, fees, margin
      from old_rows where state in ('pending', 'open', 'closed');
  end if;
  perform add_business_total('channel_sales', n, fees);
  perform add_business_total('push_margin', 0, margin);
  return null;
end
$$;
create trigger channel_requests_totals_insert after insert on channel_requests
  referencing new table as new_rows for each statement execute function channel_requests_totals();
create trigger channel_requests_totals_update after update on channel_requests
  referencing old table as old_rows new table as new_rows for each statement execute function channel_requests_totals();

-- LSPS1 orders: sold once funded; the fee is the order's less its network fee (the miners').
create function lsps1_orders_totals() returns trigger language plpgsql as $$
declare
  n numeric := 0;
  fees numeric := 0;
begin
  select count(*), sum(fee_total_sat - network_fee_sat) * 1000 into n, fees
    from new_rows where funded_at is not null;
  if TG_OP = 'UPDATE' then
    select n - count(*), coalesce(fees, 0) - coalesce(sum(fee_total_sat - network_fee_sat) * 1000, 0)
      into n, fees
      from old_rows where funded_at is not null;
  end if;
  perform add_business_total('channel_sales', n, fees);
  return null;
end
$$;
create trigger lsps1_orders_totals_insert after insert on lsps1_orders
  referencing new table as new_rows for each statement execute function lsps1_orders_totals();
create trigger lsps1_orders_totals_update after update on lsps1_orders
  referencing old table as old_rows new table as new_rows for each statement execute function lsps1_orders_totals();

-- JIT channels: opened once `forwarding`, `releasing` (its withheld funding being published) or
-- `completed`; a completed one with a fee counts the fee, and takes it out of routing as far as
-- the LSP's forwards over its channel reach it.
create function lsps2_jit_channels_totals() returns trigger language plpgsql as $$
declare
  opened numeric := 0;
  completed numeric := 0;
  fees numeric := 0;
  deducted numeric := 0;
  done boolean;
begin
  done := exists (select 1 from new_rows where state = 'completed' and fee_msat is not null);
  if TG_OP = 'UPDATE' then
    done := done or exists (select 1 from old_rows where state = 'completed' and fee_msat is not null);
  end if;
  if done then
    perform lock_routing_total();
  end if;
  select count(*) filter (where state in ('forwarding', 'releasing', 'completed')),
         count(*) filter (where state = 'completed' and fee_msat is not null),
         coalesce(sum(fee_msat) filter (where state = 'completed'), 0),
         coalesce(sum(jit_routing_deduction(fee_msat, channel_scid))
                  filter (where state = 'completed' and fee_msat is not null), 0)
    into opened, completed, fees, deducted
    from new_rows;
  if TG_OP = 'UPDATE' then
    select opened - count(*) filter (where state in ('forwarding', 'releasing', 'completed')),
           completed - count(*) filter (where state = 'completed' and fee_msat is not null),
           fees - coalesce(sum(fee_msat) filter (where state = 'completed'), 0),
           deducted - coalesce(sum(jit_routing_deduction(fee_msat, channel_scid))
                               filter (where state = 'completed' and fee_msat is not null), 0)
      into opened, completed, fees, deducted
      from old_rows;
  end if;
  perform add_business_total('jit_opened', opened, 0);
  perform add_business_total('jit_opening_fees', completed, fees);
  perform add_business_total('routing', 0, -deducted);
  return null;
end
$$;
create trigger lsps2_jit_channels_totals_insert after insert on lsps2_jit_channels
  referencing new table as new_rows for each statement execute function lsps2_jit_channels_totals();
create trigger lsps2_jit_channels_totals_update after update on lsps2_jit_channels
  referencing old table as old_rows new table as new_rows for each statement execute function lsps2_jit_channels_totals();

-- Rows of a table in one state, counted with their `fee_msat` summed, into one business total:
-- `execute function state_fee_totals('<total>', '<state>')` (rebalances that succeeded; 0026,
-- wrapped invoices completed).
create function state_fee_totals() returns trigger language plpgsql as $$
declare
  n numeric := 0;
  fees numeric := 0;
begin
  select count(*), coalesce(sum(fee_msat), 0) into n, fees from new_rows where state = TG_ARGV[1];
  if TG_OP = 'UPDATE' then
    select n - count(*), fees - coalesce(sum(fee_msat), 0) into n, fees from old_rows where state = TG_ARGV[1];
  end if;
  perform add_business_total(TG_ARGV[0], n, fees);
  return null;
end
$$;

-- Rebalances: the succeeded ones and their fees.
create trigger rebalances_totals_insert after insert on rebalances
  referencing new table as new_rows for each statement execute function state_fee_totals('rebalances', 'succeeded');
create trigger rebalances_totals_update after update on rebalances
  referencing old table as old_rows new table as new_rows
  for each statement execute function state_fee_totals('rebalances', 'succeeded');

-- Back-fill from the rows already there. Creating the triggers above locked each table against
-- writes until this migration commits, so no row is missed or counted twice.
insert into ledger_totals (tenant_id, kind, entries, amount_sat)
  select tenant_id, kind, count(*), sum(amount_sat) from ledger_entries group by 1, 2;
insert into forward_totals (node_id, chan_in, chan_out, forwards, amt_out_msat, fee_msat)
  select node_id, chan_in, chan_out, count(*), sum(amt_out_msat), sum(fee_msat) from node_forwards group by 1, 2, 3;
insert into payment_totals (node_id, purpose, status, payments)
  select node_id, purpose, status, count(*) from node_payments
  where status in ('succeeded', 'failed') group by 1, 2, 3;
update business_totals set
  count = (select count(*) from channel_requests where state in ('pending', 'open', 'closed'))
        + (select count(*) from lsps1_orders where funded_at is not null),
  amount_msat = coalesce((select sum(fee_sat) * 1000 from channel_requests where state in ('pending', 'open', 'closed')), 0)
              + coalesce((select sum(fee_total_sat - network_fee_sat) * 1000 from lsps1_orders where funded_at is not null), 0)
  where name = 'channel_sales';
update business_totals set
  amount_msat = coalesce((select sum(charged_push_sat(id) - push_sat) * 1000 from channel_requests
                          where state in ('pending', 'open', 'closed')), 0)
  where name = 'push_margin';
update business_totals set
  count = (select count(*) from lsps2_jit_channels where state in ('forwarding', 'releasing', 'completed'))
  where name = 'jit_opened';
update business_totals set
  count = (select count(*) from lsps2_jit_channels where state = 'completed' and fee_msat is not null),
  amount_msat = coalesce((select sum(fee_msat) from lsps2_jit_channels where state = 'completed'), 0)
  where name = 'jit_opening_fees';
update business_totals set
  amount_msat = coalesce((select sum(fee_msat) from forward_totals where node_id = 'lsp'), 0)
              - coalesce((select sum(jit_routing_deduction(fee_msat, channel_scid)) from lsps2_jit_channels
                          where state = 'completed' and fee_msat is not null), 0)
  where name = 'routing';
update business_totals set
  count = (select count(*) from rebalances where state = 'succeeded'),
  amount_msat = coalesce((select sum(fee_msat) from rebalances where state = 'succeeded'), 0)
  where name = 'rebalances';

-- The business figures over a window read only the window.
-- Revenue: the ledger's revenue entries, sales, completed JIT channels (and the JIT latency's
-- completions in the event log).
create index ledger_entries_revenue on ledger_entries (created_at)
  where kind in ('reservation_fee', 'reservation_purchase_fee', 'reservation_refund', 'utilization_fee',
                 'hosting_monthly_fee', 'hosting_transaction_fee', 'hosting_fee_refund');
create index channel_requests_created on channel_requests (created_at);
create index lsps1_orders_funded on lsps1_orders (created_at) where funded_at is not null;
create index lsps2_jit_channels_created on lsps2_jit_channels (created_at);
create index lsps2_jit_channels_completed on lsps2_jit_channels (updated_at) where state = 'completed';
-- A forward's JIT channel, found by the channel it went out on.
create index lsps2_jit_channels_channel on lsps2_jit_channels (channel_scid) where state = 'completed';
create index events_jit_completed on events (at) where subject_kind = 'jit_channel' and state = 'completed';
-- Uptime over a window: the intervals that reach into it (each node's latest is found by its key).
create index hosted_node_checks_until on hosted_node_checks (node_id, until);
