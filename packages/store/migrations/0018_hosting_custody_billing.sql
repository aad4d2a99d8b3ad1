-- Hosting fees billed from what the tenant cannot erase, debts, and macaroons revocable one at
-- a time (issue 18, items 3 and 4).

-- The LSP's own record of every payment each hosted node sent, fed by LND's payment stream
-- (routerrpc TrackPayments, the LSP's admin macaroon) and a ListPayments catch-up from the
-- last index recorded each time the stream (re)connects. The customer deleting its payments
-- in LND changes nothing here. A final status never changes: `succeeded` and `failed` are
-- written once; `in_flight` (seen by a catch-up before it ended) becomes one of them, or
-- `vanished` when a catch-up no longer finds it (it ended and was deleted while the LSP was
-- not listening: its outcome is unknown and it is not billed). `billed_at` and `billed_fee_sat`
-- are set in the transaction that charged its fee (or recorded it as a debt).
create table hosted_node_payments (
  node_id text not null references hosted_nodes(id),
  payment_index bigint not null check (payment_index > 0),
  payment_hash text not null,
  status text not null check (status in ('in_flight', 'succeeded', 'failed', 'vanished')),
  amount_msat bigint not null check (amount_msat >= 0),
  fee_msat bigint not null check (fee_msat >= 0),
  created_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  billed_at timestamptz,
  -- The fee billed for it (charged or owed; 0 when the schedule's fee was 0).
  billed_fee_sat bigint check (billed_fee_sat >= 0),
  primary key (node_id, payment_index),
  check (billed_at is null or status = 'succeeded'),
  check ((billed_at is null) = (billed_fee_sat is null))
);
-- Billing's queue: succeeded payments not billed yet.
create index hosted_node_payments_unbilled on hosted_node_payments (node_id, payment_index)
  where status = 'succeeded' and billed_at is null;
-- hosted_nodes.billed_payment_index is no longer moved: it stays where billing from the node's
-- own ListPayments stopped, and the audit accepts fee entries up to it that the record lacks
-- (payments the tenant deleted before this record existed).
-- Catch-ups resume below the oldest payment still in flight.
create index hosted_node_payments_in_flight on hosted_node_payments (node_id, payment_index)
  where status = 'in_flight';

-- A charge the balance could not cover when it was due (today only a hosted node's payment
-- fee): owed, not yet in the ledger. The next credit pays the tenant's open debts first, oldest
-- first, in its own transaction: paying one appends its ledger entry (this kind and reference)
-- and sets `paid_at`. While any is open every other charge is refused. Balances stay >= 0 and
-- the ledger stays a record of money that moved.
create table tenant_debts (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references tenants(id),
  kind text not null check (kind in ('hosting_transaction_fee')),
  reference text not null,
  amount_sat bigint not null check (amount_sat > 0),
  description text not null default '',
  created_at timestamptz not null default now(),
  paid_at timestamptz,
  unique (kind, reference)
);
create index tenant_debts_open on tenant_debts (tenant_id, id) where paid_at is null;

-- Each customer macaroon of a hosted node (the customer one and the read-only one baked at
-- creation, every extra one) under a root key of its own, so DeleteMacaroonID revokes it alone.
-- Root key 0, the admin macaroon's, is never used for them. Never the macaroon itself.
create table hosted_node_macaroons (
  node_id text not null references hosted_nodes(id),
  root_key_id bigint not null check (root_key_id > 0),
  kind text not null check (kind in ('customer', 'read_only', 'extra')),
  permissions jsonb not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  primary key (node_id, root_key_id)
);
