-- Keyset paging of GET /v1/channels and GET /v1/payments (newest first, `?cursor=`), as the
-- ledger pages by its identity `id`: each channel request and payment gets `seq`, the order it
-- was inserted in, and the lists read by (tenant_id, seq) instead of (tenant_id, created_at).
-- Existing rows are numbered in the order those lists showed them (created_at, then id or
-- payment hash), so a list read without a cursor shows them as before; new rows follow. The
-- backfill changes no state column, so the event triggers append nothing.
alter table channel_requests add column seq bigint;
update channel_requests set seq = n.seq
  from (select id, row_number() over (order by created_at, id) as seq from channel_requests) n
  where channel_requests.id = n.id;
alter table channel_requests alter column seq set not null;
alter table channel_requests alter column seq add generated always as identity;
select setval(pg_get_serial_sequence('channel_requests', 'seq'), coalesce(max(seq), 0) + 1, false)
  from channel_requests;
-- The list's index (and any other lookup of a tenant's channel requests).
create index channel_requests_tenant_seq on channel_requests (tenant_id, seq);

alter table payments add column seq bigint;
update payments set seq = n.seq
  from (select payment_hash, row_number() over (order by created_at, payment_hash) as seq from payments) n
  where payments.payment_hash = n.payment_hash;
alter table payments alter column seq set not null;
alter table payments alter column seq add generated always as identity;
select setval(pg_get_serial_sequence('payments', 'seq'), coalesce(max(seq), 0) + 1, false) from payments;
create index payments_tenant_seq on payments (tenant_id, seq);
-- 0004's (tenant_id, created_at) was the list's and nothing else's.
drop index payments_tenant;
