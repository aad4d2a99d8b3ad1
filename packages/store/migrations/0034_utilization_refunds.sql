-- A failed payment's refund gives its utilization fee back as an entry of its own
-- (`utilization_fee_refund`), beside `payment_refund` (its amount and routing fee): the
-- utilization revenue in the figures and `/metrics` is net of its refunds, as the reservation
-- and hosting revenue are. (Refunds written before this carry the utilization fee inside
-- `payment_refund`.)
alter table ledger_entries drop constraint ledger_entries_kind_check;
alter table ledger_entries add constraint ledger_entries_kind_check check (kind in (
  'topup', 'channel_fee', 'channel_fee_refund', 'channel_push', 'channel_network_fee', 'channel_refund',
  'reservation_fee', 'reservation_purchase_fee', 'reservation_refund',
  'payment', 'routing_fee', 'utilization_fee', 'payment_refund', 'utilization_fee_refund',
  'hosting_monthly_fee', 'hosting_transaction_fee', 'hosting_fee_refund'
));

-- The figures over a window read the revenue entries through this index.
drop index ledger_entries_revenue;
create index ledger_entries_revenue on ledger_entries (created_at)
  where kind in ('reservation_fee', 'reservation_purchase_fee', 'reservation_refund', 'utilization_fee',
                 'utilization_fee_refund', 'hosting_monthly_fee', 'hosting_transaction_fee', 'hosting_fee_refund');
