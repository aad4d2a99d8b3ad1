-- Custody of hosted nodes (issue 18): deletions that never destroy coins, archives kept for a
-- retention period, and creations that survive crashes and lost answers.

-- One deletion per node: what the tenant asked (closeChannels, sweepAddress: asked again, they
-- are replaced), what the keeper did (closes asked per channel, sweeps seen in the node's
-- wallet), what the node held at the last look and why it is not removed yet, and the archive
-- its data was kept in once removed (purged after the retention period).
create table hosted_node_deletions (
  node_id text primary key references hosted_nodes(id),
  close_channels boolean not null,
  sweep_address text,
  requested_at timestamptz not null default now(),
  -- The chain height when asked: sweeps are looked for from here.
  start_height integer,
  -- { "<txid>:<index>": { coopAskedAt, coopLastAskedAt, forcedAt? } }
  closes jsonb not null default '{}',
  -- [{ txid, amount, address, confirmations }]: the node's sweeps to sweep_address.
  sweeps jsonb not null default '[]',
  phase text not null default 'closing_channels' check (phase in (
    'closing_channels', 'waiting_for_closes', 'sweeping', 'waiting_for_sweep', 'removing', 'blocked', 'removed'
  )),
  -- The holdings summary at the last look (null before the first) and why the node stays.
  holdings jsonb,
  reasons jsonb not null default '[]',
  checked_at timestamptz,
  removed_at timestamptz,
  -- Where the node's data was archived (driver's reference), until when, and when purged.
  archive_ref text,
  archive_expires_at timestamptz,
  archive_purged_at timestamptz,
  -- Deleted before this table existed: no record of what it held (the audit says so apart).
  legacy boolean not null default false
);
create index hosted_node_deletions_archives on hosted_node_deletions (archive_expires_at)
  where archive_ref is not null and archive_purged_at is null;

insert into hosted_node_deletions (node_id, close_channels, sweep_address, requested_at, phase, legacy, removed_at)
  select id, close_channels, sweep_address, updated_at,
         case when state = 'deleted' then 'removed' else 'closing_channels' end,
         state = 'deleted',
         case when state = 'deleted' then updated_at end
    from hosted_nodes where state in ('deleting', 'deleted');
-- Replaced by hosted_node_deletions.
alter table hosted_nodes drop column sweep_address;
alter table hosted_nodes drop column close_channels;

-- Creation: a client whose answer was lost repeats `POST /v1/nodes` with the same
-- Idempotency-Key and gets the same node (charged once); `request_hash` tells a repeat from a
-- different request under the same key. The creating process beats `creation_heartbeat_at`; a
-- node left `creating` without a beat is finished (or failed and refunded) by the keeper. The
-- seed is shown again to a repeated request until the tenant acknowledges it or
-- `seed_available_until` passes.
alter table hosted_nodes add column idempotency_key text;
alter table hosted_nodes add column request_hash text;
alter table hosted_nodes add column creation_heartbeat_at timestamptz;
alter table hosted_nodes add column seed_available_until timestamptz;
alter table hosted_nodes add column seed_acknowledged_at timestamptz;
create unique index hosted_nodes_idempotency on hosted_nodes (tenant_id, idempotency_key)
  where idempotency_key is not null;
