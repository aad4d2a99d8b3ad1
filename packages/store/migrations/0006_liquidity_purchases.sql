-- External liquidity, both sides of LSPS1 paid on-chain.
--
-- As an LSPS1 server: an order whose client gave a refund address may be paid on-chain to a
-- fresh address of ours. `payment_method` says how the order was paid (null until it is);
-- `refund_txid` is the on-chain refund, once sent.
alter table lsps1_orders add column onchain_address text unique;
alter table lsps1_orders add column onchain_start_height integer;
alter table lsps1_orders add column onchain_confirmations integer;
alter table lsps1_orders add column onchain_expires_at timestamptz;
alter table lsps1_orders add column payment_method text check (payment_method in ('bolt11', 'onchain'));
alter table lsps1_orders add column refund_txid text;

-- As an LSPS1 client: channels bought from an upstream LSP for outbound liquidity. `state`
-- belongs to the purchase state machine (core/liquidity); every transition is written before
-- it is acted on, so a restart resumes a purchase and never pays for a second one.
create table liquidity_purchases (
  id uuid primary key,
  upstream_pubkey text not null,
  amount_sat bigint not null check (amount_sat > 0),
  max_fee_sat bigint not null check (max_fee_sat >= 0),
  order_id text not null,
  lsp_balance_sat bigint not null,
  client_balance_sat bigint not null,
  fee_total_sat bigint not null,
  order_total_sat bigint not null,
  pay_address text not null,
  refund_address text not null,
  state text not null,
  failure text,
  payment_txid text,
  onchain_fee_sat bigint,
  funding_outpoint text,
  outbound_sat bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index liquidity_purchases_active on liquidity_purchases (state)
  where state not in ('completed', 'refused', 'failed');
