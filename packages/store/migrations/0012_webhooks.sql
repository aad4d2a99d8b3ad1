-- Tenants' REST webhooks (issue 13). An endpoint receives the events of its tenant whose type
-- (`<subject kind>.<state>`) matches one of its patterns, read from the event log after its
-- cursor; each becomes one delivery, retried until the endpoint answers 2xx or the retry window
-- ends. The secret (`whsec_...`) is sealed with the config's secretsKey.
create table webhook_endpoints (
  id text primary key,
  tenant_id uuid not null references tenants(id),
  url text not null,
  events text[] not null,
  description text,
  sealed_secret text not null,
  state text not null check (state in ('enabled', 'disabled')),
  disabled_reason text,
  -- The last event-log position handed to this endpoint as deliveries.
  cursor bigint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_tenant on webhook_endpoints (tenant_id);

create table webhook_deliveries (
  id bigint generated always as identity primary key,
  endpoint_id text not null references webhook_endpoints(id) on delete cascade,
  -- `webhook-id`: the same on every attempt of this message.
  message_id text not null,
  event_position bigint not null,
  event_type text not null,
  -- Deliveries of one subject go out in event order: a later one waits for the earlier ones.
  subject text not null,
  -- The body exactly as sent (and signed).
  body text not null,
  state text not null check (state in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  first_attempt_at timestamptz,
  last_status integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  unique (endpoint_id, event_position)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending';
create index webhook_deliveries_subject on webhook_deliveries (endpoint_id, subject, event_position)
  where state = 'pending';

create table webhook_attempts (
  delivery_id bigint not null references webhook_deliveries(id) on delete cascade,
  attempt integer not null,
  at timestamptz not null default now(),
  status integer,
  error text,
  duration_ms integer not null,
  primary key (delivery_id, attempt)
);

-- A hosted node going up or down (a new interval of the keeper's checks) is an event too.
create function append_hosted_node_check_event() returns trigger language plpgsql as $$
begin
  insert into events (subject_kind, subject_id, tenant_id, state, facts)
  select 'hosted_node_health', NEW.node_id, n.tenant_id, case when NEW.up then 'up' else 'down' end,
         jsonb_build_object('since', NEW.since)
  from hosted_nodes n where n.id = NEW.node_id;
  return NEW;
end
$$;
create trigger hosted_node_checks_event after insert on hosted_node_checks for each row
  execute function append_hosted_node_check_event();
