-- What live reservations hold, as running totals (issue 24, items 3 and 5). Every allocation
-- batch reads, under the allocation lock, what all active reservations still hold and what each
-- of its tenants' do; summing them cost a batch some 3 ms in Postgres with 11,000 active
-- reservations, and grew with their number (docs/performance.md, reservations). Now it reads one
-- row per tenant, less what reservations past their time still hold until the expiry job marks
-- them (the `liquidity_reservations_live` index finds those few).
--
-- Kept as 0025's totals are: by a per-statement trigger in the statement that writes each
-- reservation, so no code path (or crash) can make them drift. A statement locks the rows of
-- the tenants it touches in tenant order (as allocations lock tenants), so two statements
-- cannot wait for each other.

-- Each tenant's active reservations: the sum of amount_sat - used_sat (expired or not).
create table reservation_totals (
  tenant_id uuid primary key,
  reserved_sat bigint not null
);

create function liquidity_reservations_totals() returns trigger language plpgsql as $$
begin
  if TG_OP = 'INSERT' then
    insert into reservation_totals as total (tenant_id, reserved_sat)
      select tenant_id, sum(amount_sat - used_sat) from new_rows where state = 'active'
      group by tenant_id order by tenant_id
      on conflict (tenant_id) do update set reserved_sat = total.reserved_sat + excluded.reserved_sat;
  elsif TG_OP = 'UPDATE' then
    insert into reservation_totals as total (tenant_id, reserved_sat)
      select tenant_id, sum(held) from (
        select tenant_id, amount_sat - used_sat as held from new_rows where state = 'active'
        union all
        select tenant_id, -(amount_sat - used_sat) from old_rows where state = 'active'
      ) moved
      group by tenant_id having sum(held) <> 0 order by tenant_id
      on conflict (tenant_id) do update set reserved_sat = total.reserved_sat + excluded.reserved_sat;
  else
    insert into reservation_totals as total (tenant_id, reserved_sat)
      select tenant_id, -sum(amount_sat - used_sat) from old_rows where state = 'active'
      group by tenant_id order by tenant_id
      on conflict (tenant_id) do update set reserved_sat = total.reserved_sat + excluded.reserved_sat;
  end if;
  return null;
end
$$;
create trigger liquidity_reservations_totals_insert after insert on liquidity_reservations
  referencing new table as new_rows for each statement execute function liquidity_reservations_totals();
create trigger liquidity_reservations_totals_update after update on liquidity_reservations
  referencing old table as old_rows new table as new_rows
  for each statement execute function liquidity_reservations_totals();
create trigger liquidity_reservations_totals_delete after delete on liquidity_reservations
  referencing old table as old_rows for each statement execute function liquidity_reservations_totals();

-- Back-fill. Creating the triggers above locked the table against writes until this migration
-- commits, so no reservation is missed or counted twice.
insert into reservation_totals (tenant_id, reserved_sat)
  select tenant_id, sum(amount_sat - used_sat) from liquidity_reservations where state = 'active'
  group by tenant_id;
