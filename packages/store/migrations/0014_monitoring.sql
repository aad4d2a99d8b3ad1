-- Monitoring: what the node monitor reads from every node on its interval (the LSP's own node
-- is `lsp`, hosted nodes their id), so metrics are answered from here, not by calling nodes.

-- The LSP's own node has up/down intervals too; hosted nodes' still emit their health events
-- (the trigger joins hosted_nodes, so `lsp` rows emit none).
alter table hosted_node_checks drop constraint hosted_node_checks_node_id_fkey;

-- The latest reading of each node.
create table node_snapshots (
  node_id text primary key,
  taken_at timestamptz not null default now(),
  channel_count integer not null check (channel_count >= 0),
  active_channels integer not null check (active_channels >= 0),
  pending_channels integer not null check (pending_channels >= 0),
  total_capacity_sat bigint not null check (total_capacity_sat >= 0),
  local_balance_sat bigint not null check (local_balance_sat >= 0),
  remote_balance_sat bigint not null check (remote_balance_sat >= 0),
  pending_balance_sat bigint not null check (pending_balance_sat >= 0),
  onchain_confirmed_sat bigint not null,
  onchain_unconfirmed_sat bigint not null,
  peers integer not null check (peers >= 0),
  block_height integer not null check (block_height >= 0),
  synced boolean not null
);

-- Every forward a node made, copied from its forwarding log (`idx` is the position in it).
create table node_forwards (
  node_id text not null,
  idx bigint not null check (idx >= 0),
  at timestamptz not null,
  chan_in text not null,
  chan_out text not null,
  amt_in_msat bigint not null check (amt_in_msat >= 0),
  amt_out_msat bigint not null check (amt_out_msat >= 0),
  fee_msat bigint not null check (fee_msat >= 0),
  primary key (node_id, idx)
);
create index node_forwards_at on node_forwards (node_id, at desc);
-- The business figures take each JIT channel's forward out of routing by its outgoing channel.
create index node_forwards_chan_out on node_forwards (node_id, chan_out);

-- Every payment a node sent, and how it ended (in-flight ones are read again until they end).
create table node_payments (
  node_id text not null,
  payment_index bigint not null check (payment_index > 0),
  status text not null check (status in ('in_flight', 'succeeded', 'failed')),
  created_at timestamptz not null,
  amount_msat bigint not null check (amount_msat >= 0),
  fee_msat bigint not null check (fee_msat >= 0),
  primary key (node_id, payment_index)
);
create index node_payments_created on node_payments (node_id, created_at);
