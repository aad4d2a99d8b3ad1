-- Wrapped invoices (issue 21) make the LSP's node pay each wallet's invoice; those payments were
-- classified `other` when they succeeded and `probe` when the wallet failed them (an unknown
-- hash failing at its destination). They now have a purpose of their own, recorded before the
-- payment is sent, and count as payments made for someone.

alter table node_payments drop constraint node_payments_purpose_check;
alter table node_payments add constraint node_payments_purpose_check
  check (purpose in ('tenant', 'wrapped', 'rebalance', 'probe', 'other'));

alter table lsp_own_payments drop constraint lsp_own_payments_purpose_check;
alter table lsp_own_payments add constraint lsp_own_payments_purpose_check
  check (purpose in ('wrapped', 'rebalance', 'probe'));

-- Wrapped invoices already paid: their hashes are recorded, and their payments classified again.
insert into lsp_own_payments (payment_hash, purpose)
  select payment_hash, 'wrapped' from wrapped_invoices
  on conflict (payment_hash) do nothing;
update node_payments set purpose = 'wrapped'
  where node_id = 'lsp' and payment_hash in (select payment_hash from wrapped_invoices);

-- The monitor sets right, on each read, a payment stored before the LSP recorded its purpose
-- (PaymentPurposesRepository.reclassifyRecent): the recent records, and each one's payment.
create index lsp_own_payments_created on lsp_own_payments (created_at);
create index node_payments_hash on node_payments (node_id, payment_hash);
