-- The event log (outbox): one row per state transition of every machine, written by triggers in
-- the transaction that changes the state, so no state exists without its event and no event
-- without its state, whatever code path (or crash) wrote it.
--
-- `id` is the order rows were inserted in. Transactions commit in another order, so readers do
-- not page by `id`: `position` is given to rows once their transaction has committed and no
-- older transaction can still add rows before them (see EventsRepository.sequence). Positions
-- only grow, so a reader that has seen position N never later finds an event below N.
create table events (
  id bigint generated always as identity primary key,
  position bigint unique,
  -- The writing transaction, to tell settled rows from rows a running transaction may precede.
  xid xid8 not null default pg_current_xact_id(),
  at timestamptz not null default clock_timestamp(),
  subject_kind text not null,
  subject_id text not null,
  tenant_id uuid,
  state text not null,
  facts jsonb not null
);
create index events_unpositioned on events (id) where position is null;
create index events_tenant on events (tenant_id, position);
create index events_subject on events (subject_kind, subject_id, position);

-- Appends the event of NEW. Arguments: subject kind, state column, tenant rule ('tenant_id',
-- 'owner' for owner_kind/owner rows, or 'none'), then the fact columns. Amount columns
-- (*_sat, *_msat, *_ppm) are written as decimal strings: money never passes through a float.
create function append_event() returns trigger language plpgsql as $$
declare
  r jsonb := to_jsonb(NEW);
  state_column text := TG_ARGV[1];
  tenant uuid;
  facts jsonb := '{}'::jsonb;
  col text;
  val jsonb;
begin
  if TG_OP = 'UPDATE' and (to_jsonb(OLD) -> state_column) = (r -> state_column) then
    return NEW;
  end if;
  if TG_ARGV[2] = 'tenant_id' then
    tenant := (r ->> 'tenant_id')::uuid;
  elsif TG_ARGV[2] = 'owner' and r ->> 'owner_kind' = 'tenant' then
    tenant := (r ->> 'owner')::uuid;
  end if;
  for i in 3 .. TG_NARGS - 1 loop
    col := TG_ARGV[i];
    val := r -> col;
    if val is null or val = 'null'::jsonb then
      continue;
    end if;
    if col ~ '_(sat|msat|ppm)$' and jsonb_typeof(val) = 'number' then
      val := to_jsonb(val #>> '{}');
    end if;
    facts := facts || jsonb_build_object(col, val);
  end loop;
  insert into events (subject_kind, subject_id, tenant_id, state, facts)
  values (TG_ARGV[0], coalesce(r ->> 'id', r ->> 'payment_hash', r ->> 'txid'), tenant,
          r ->> state_column, facts);
  return NEW;
end
$$;

create trigger channel_requests_event after insert or update on channel_requests for each row
  execute function append_event('channel_request', 'state', 'tenant_id', 'client_pubkey',
    'capacity_sat', 'push_sat', 'fee_sat', 'network_fee_sat', 'funding_txid',
    'funding_output_index', 'failure');
create trigger lsps1_orders_event after insert or update on lsps1_orders for each row
  execute function append_event('lsps1_order', 'state', 'owner', 'client_pubkey', 'lsp_balance_sat',
    'client_balance_sat', 'fee_total_sat', 'order_total_sat', 'network_fee_sat', 'payment_method',
    'funding_txid', 'funding_output_index', 'refund_txid', 'failure');
-- A refund's state, read from the columns that record it.
alter table lsps1_refunds add column state text not null generated always as (
  case when confirmed_at is not null then 'confirmed' when replaced_by is not null then 'replaced'
  else 'published' end
) stored;
create trigger lsps1_refunds_event after insert or update on lsps1_refunds for each row
  execute function append_event('lsps1_refund', 'state', 'none', 'order_id', 'amount_sat', 'fee_sat',
    'fee_rate_sat_per_vbyte', 'refund_address');
create trigger lsps2_jit_channels_event after insert or update on lsps2_jit_channels for each row
  execute function append_event('jit_channel', 'state', 'owner', 'client_pubkey', 'jit_scid',
    'payment_size_msat', 'fee_msat', 'channel_capacity_sat', 'funding_txid', 'funding_output_index',
    'channel_scid', 'failure');
create trigger channel_fundings_event after insert or update on channel_fundings for each row
  execute function append_event('channel_funding', 'state', 'none', 'fee_rate_sat_per_vbyte', 'txid',
    'fee_sat', 'vsize', 'failure');
create trigger liquidity_reservations_event after insert or update on liquidity_reservations for each row
  execute function append_event('reservation', 'state', 'tenant_id', 'amount_sat', 'used_sat',
    'reservation_fee_sat', 'fee_rate_ppm', 'external_fee_sat', 'expires_at');
create trigger payments_event after insert or update on payments for each row
  execute function append_event('payment', 'status', 'tenant_id', 'attempt', 'destination',
    'amount_msat', 'amount_sat', 'routing_fee_sat', 'utilization_fee_sat', 'network_fee_msat',
    'reservation_id', 'failure');
create trigger topups_event after insert or update on topups for each row
  execute function append_event('topup', 'state', 'tenant_id', 'amount_sat');
create trigger liquidity_purchases_event after insert or update on liquidity_purchases for each row
  execute function append_event('liquidity_purchase', 'state', 'none', 'upstream_pubkey', 'amount_sat',
    'fee_total_sat', 'order_total_sat', 'payment_txid', 'onchain_fee_sat', 'funding_outpoint',
    'outbound_sat', 'failure');
create trigger ledger_entries_event after insert on ledger_entries for each row
  execute function append_event('ledger_entry', 'kind', 'tenant_id', 'amount_sat', 'reference');
