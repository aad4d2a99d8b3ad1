-- Honest success figures (issue 20, item 5): what each payment the LSP's own node sent was for.
-- LND lists a tenant's payment, a probe and a rebalance alike; the monitor now stores each
-- payment's hash and purpose, and the LSP records the hashes of the payments it makes itself
-- (probes, checks, rebalancing) before it sends them.

alter table node_payments add column payment_hash text;
-- A hosted node's payments are all its tenant's; the LSP node's are classified as they are read.
alter table node_payments add column purpose text not null default 'tenant'
  check (purpose in ('tenant', 'rebalance', 'probe', 'other'));
alter table node_payments alter column purpose drop default;
-- The LSP node's copy is read again from LND (the monitor resumes after the newest stored), so
-- every payment it still lists is classified; the copy held nothing LND does not have.
delete from node_payments where node_id = 'lsp';

-- The payments the LSP makes itself, by hash, recorded before they are sent.
create table lsp_own_payments (
  payment_hash text primary key,
  purpose text not null check (purpose in ('rebalance', 'probe')),
  created_at timestamptz not null default now()
);
