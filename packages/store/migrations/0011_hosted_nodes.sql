-- Hosted Lightning nodes (issue 11): one isolated LND per row, owned by a tenant. Secrets (the
-- wallet seed and password, the admin macaroon) are sealed with the config's secretsKey; the
-- customer's macaroon is sealed too. `paid_until` is how far the monthly fee covers the node.
create table hosted_nodes (
  id text primary key,
  tenant_id uuid not null references tenants(id),
  alias text not null,
  color text not null,
  config jsonb not null,
  state text not null check (state in ('creating', 'running', 'stopped', 'suspended', 'deleting', 'deleted', 'failed')),
  pubkey text,
  rpc_address text,
  public_rpc_address text,
  rest_address text,
  p2p_address text,
  tls_cert text,
  sealed_secrets text,
  sealed_customer_macaroon text,
  paid_until timestamptz,
  -- The highest payment index of the node already billed its transaction fee.
  billed_payment_index bigint not null default 0,
  suspended_at timestamptz,
  failure text,
  -- Where a node being deleted sends its on-chain funds once its channels are closed.
  sweep_address text,
  close_channels boolean not null default false,
  backup text,
  backup_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index hosted_nodes_tenant on hosted_nodes (tenant_id);
create unique index hosted_nodes_pubkey on hosted_nodes (pubkey) where pubkey is not null;

create trigger hosted_nodes_event after insert or update of state on hosted_nodes for each row
  execute function append_event('hosted_node', 'state', 'tenant_id', 'alias', 'pubkey', 'paid_until', 'failure');

-- Up/down intervals of hosted nodes as the keeper sees them (monitoring reads uptime from here).
create table hosted_node_checks (
  node_id text not null references hosted_nodes(id),
  up boolean not null,
  since timestamptz not null default now(),
  until timestamptz not null default now(),
  primary key (node_id, since)
);

alter table ledger_entries drop constraint ledger_entries_kind_check;
alter table ledger_entries add constraint ledger_entries_kind_check check (kind in (
  'topup', 'channel_fee', 'channel_fee_refund', 'channel_push', 'channel_network_fee', 'channel_refund',
  'reservation_fee', 'reservation_purchase_fee', 'reservation_refund',
  'payment', 'routing_fee', 'utilization_fee', 'payment_refund',
  'hosting_monthly_fee', 'hosting_transaction_fee', 'hosting_fee_refund'
));
