-- Events of inserted rows written once per statement (issue 24, item 5). `append_event` runs once
-- per row: a batch of reservations and their fees (one statement, 2 x N rows) spent 3 of its 5 ms
-- in Postgres in those triggers, under the allocation lock (docs/performance.md, reservations).
-- `append_events` writes the same events (same subject, tenant, state and facts, in the rows'
-- order, in the same transaction) with one insert over the statement's new rows. Used for the
-- inserts of the tables written in batches; updates keep `append_event`, which skips a row whose
-- state did not change.

-- Appends the events of a statement's inserted rows (`new_rows`). Arguments as `append_event`'s.
create function append_events() returns trigger language plpgsql as $$
begin
  insert into events (subject_kind, subject_id, tenant_id, state, facts)
  select TG_ARGV[0],
         coalesce(r ->> 'id', r ->> 'payment_hash', r ->> 'txid'),
         case
           when TG_ARGV[2] = 'tenant_id' then (r ->> 'tenant_id')::uuid
           when TG_ARGV[2] = 'owner' and r ->> 'owner_kind' = 'tenant' then (r ->> 'owner')::uuid
         end,
         r ->> TG_ARGV[1],
         coalesce((
           select jsonb_object_agg(col,
                    case when col ~ '_(sat|msat|ppm)$' and jsonb_typeof(r -> col) = 'number'
                         then to_jsonb((r -> col) #>> '{}') else r -> col end)
           from unnest(TG_ARGV[3:TG_NARGS - 1]) as col
           where r -> col is not null and r -> col <> 'null'::jsonb), '{}'::jsonb)
  from (select to_jsonb(n) as r, row_number() over () as ord from new_rows n) inserted
  order by ord;
  return null;
end
$$;

drop trigger liquidity_reservations_event on liquidity_reservations;
create trigger liquidity_reservations_event after update on liquidity_reservations for each row
  execute function append_event('reservation', 'state', 'tenant_id', 'amount_sat', 'used_sat',
    'reservation_fee_sat', 'fee_rate_ppm', 'external_fee_sat', 'expires_at');
create trigger liquidity_reservations_events_insert after insert on liquidity_reservations
  referencing new table as new_rows for each statement
  execute function append_events('reservation', 'state', 'tenant_id', 'amount_sat', 'used_sat',
    'reservation_fee_sat', 'fee_rate_ppm', 'external_fee_sat', 'expires_at');

drop trigger ledger_entries_event on ledger_entries;
create trigger ledger_entries_events_insert after insert on ledger_entries
  referencing new table as new_rows for each statement
  execute function append_events('ledger_entry', 'kind', 'tenant_id', 'amount_sat', 'reference');
