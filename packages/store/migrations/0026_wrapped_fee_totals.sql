-- Wrapped invoices' fees (issue 21) are revenue of their own (`wrapped_fees`): the fee of each
-- completed wrapped invoice, kept as the other running totals are (0025), by a trigger in the
-- statement that completes it, and back-filled from the invoices already completed. Figures over
-- a window read the completed ones by the time they completed (the index below).
alter table business_totals drop constraint business_totals_name_check;
alter table business_totals add constraint business_totals_name_check check (name in (
  'channel_sales', 'push_margin', 'jit_opened', 'jit_opening_fees', 'routing', 'rebalances', 'wrapped_fees'
));
insert into business_totals (name) values ('wrapped_fees');

create trigger wrapped_invoices_totals_insert after insert on wrapped_invoices
  referencing new table as new_rows for each statement execute function state_fee_totals('wrapped_fees', 'completed');
create trigger wrapped_invoices_totals_update after update on wrapped_invoices
  referencing old table as old_rows new table as new_rows
  for each statement execute function state_fee_totals('wrapped_fees', 'completed');

update business_totals set
  count = (select count(*) from wrapped_invoices where state = 'completed'),
  amount_msat = coalesce((select sum(fee_msat) from wrapped_invoices where state = 'completed'), 0)
  where name = 'wrapped_fees';

create index wrapped_invoices_completed on wrapped_invoices (updated_at) where state = 'completed';
