-- On-chain refunds of LSPS1 orders (bLIP-51 3.3), one row per transaction broadcast: the first
-- refund and each fee bump that replaces it (RBF, same inputs, a smaller refund output). A row
-- is written, signed, before it is published, so a restart publishes it again rather than
-- building another. The live refund of an order is its row with neither `replaced_by` nor
-- `confirmed_at`; bLIP-51 requires a bump when it has not confirmed within 6 hours.
create table lsps1_refunds (
  txid text primary key,
  order_id uuid not null references lsps1_orders(id),
  -- The signed transaction (hex), published again until it confirms or is replaced.
  raw_tx text not null,
  fee_rate_sat_per_vbyte bigint not null check (fee_rate_sat_per_vbyte > 0),
  fee_sat bigint not null check (fee_sat > 0),
  amount_sat bigint not null check (amount_sat > 0),
  refund_address text not null,
  replaced_by text references lsps1_refunds(txid),
  confirmed_at timestamptz,
  created_at timestamptz not null default now()
);
create index lsps1_refunds_order on lsps1_refunds (order_id);
create index lsps1_refunds_live on lsps1_refunds (created_at) where replaced_by is null and confirmed_at is null;
