-- Keyset paging of GET /v1/nodes (newest first, `?cursor=`), as 0015 did for channels and
-- payments: hosted_nodes' key is its text id, so each node gets `seq`, the order it was inserted
-- in, and the tenant's list reads by (tenant_id, seq). Existing nodes are numbered in the order
-- the list showed them (created_at, then id), so their order relative to each other stays;
-- new nodes follow. The backfill changes no state column, so the event trigger appends nothing.
alter table hosted_nodes add column seq bigint;
update hosted_nodes set seq = n.seq
  from (select id, row_number() over (order by created_at, id) as seq from hosted_nodes) n
  where hosted_nodes.id = n.id;
alter table hosted_nodes alter column seq set not null;
alter table hosted_nodes alter column seq add generated always as identity;
select setval(pg_get_serial_sequence('hosted_nodes', 'seq'), coalesce(max(seq), 0) + 1, false)
  from hosted_nodes;
create index hosted_nodes_tenant_seq on hosted_nodes (tenant_id, seq);
-- 0011's (tenant_id) served the list and the tenant's other lookups; (tenant_id, seq) serves both.
drop index hosted_nodes_tenant;
