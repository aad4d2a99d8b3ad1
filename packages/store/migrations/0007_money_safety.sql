-- Money safety: funding transactions built and published by our code (one commit point per
-- open), itemised channel charges, running balances, nonces kept as long as they matter, and
-- where the invoice stream resumes.

-- One funding transaction (attempt) the LSP builds through LND's PSBT flow. `negotiating`:
-- peers are being asked to sign; nothing is signed on our side, so nothing can reach the chain
-- and a crash here cancels for certain. `publishing` is the commit point: written (with the
-- txid and the PSBT) before anything is signed; from here the channels are funded whatever
-- happens, and a restart signs and publishes again. `cancelled` never reaches the chain.
create table channel_fundings (
  id uuid primary key,
  state text not null check (state in ('negotiating', 'publishing', 'published', 'cancelled')),
  fee_rate_sat_per_vbyte bigint not null check (fee_rate_sat_per_vbyte > 0),
  -- The lease id of the wallet inputs (hex, 32 bytes), released when cancelled.
  lock_id text not null,
  -- [{ owner, pendingChanId, remotePubkey, amountSat }] in the order negotiated.
  channels jsonb not null,
  txid text,
  psbt text,
  locked_inputs jsonb,
  fee_sat bigint check (fee_sat >= 0),
  vsize integer,
  failure text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index channel_fundings_live on channel_fundings (state) where state in ('negotiating', 'publishing');
create index channel_fundings_txid on channel_fundings (txid);

alter table channel_requests drop constraint channel_requests_state_check;
alter table channel_requests add constraint channel_requests_state_check check (state in (
  'queued', 'opening', 'publishing', 'pending', 'open', 'closed', 'failed'
));
-- The channel's share of its funding transaction, charged at the fee rate used.
alter table channel_requests add column network_fee_sat bigint not null default 0 check (network_fee_sat >= 0);
alter table channel_requests add column funding_id uuid references channel_fundings(id);

alter table lsps1_orders add column network_fee_sat bigint not null default 0 check (network_fee_sat >= 0);
alter table lsps1_orders add column funding_id uuid references channel_fundings(id);
alter table lsps2_jit_channels add column funding_id uuid references channel_fundings(id);

-- The running balance, kept in the same statement as each ledger entry (the ledger stays the
-- truth; the audit checks they agree). A charge that would overdraw fails.
alter table tenants add column balance_sat bigint not null default 0;
update tenants t set balance_sat = coalesce((select sum(e.amount_sat) from ledger_entries e where e.tenant_id = t.id), 0);
alter table tenants add constraint tenants_balance_nonnegative check (balance_sat >= 0);

-- A nonce is kept until a request carrying it could no longer be accepted: its timestamp plus
-- the signature window, whatever the clock skew.
alter table api_nonces add column expires_at timestamptz;
update api_nonces set expires_at = seen_at + interval '10 minutes';
alter table api_nonces alter column expires_at set not null;
drop index api_nonces_seen_at;
create index api_nonces_expires_at on api_nonces (expires_at);

-- Where a job's stream resumes (e.g. LND's invoice settle index for top-ups).
create table job_cursors (
  name text primary key,
  value bigint not null,
  updated_at timestamptz not null default now()
);

alter table ledger_entries drop constraint ledger_entries_kind_check;
alter table ledger_entries add constraint ledger_entries_kind_check check (kind in (
  'topup', 'channel_fee', 'channel_fee_refund', 'channel_push', 'channel_network_fee', 'channel_refund',
  'reservation_fee', 'reservation_purchase_fee', 'reservation_refund',
  'payment', 'routing_fee', 'utilization_fee', 'payment_refund'
));
