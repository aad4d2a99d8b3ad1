-- Leases of background jobs: exactly one server replica runs each job. The holder renews its
-- lease well before `expires_at`; when it dies, the lease runs out and another replica takes
-- the job over; when it stops, it deletes its leases so the takeover is immediate.
create table job_leases (
  name text primary key,
  holder text not null,
  acquired_at timestamptz not null default now(),
  expires_at timestamptz not null
);

-- What a channel request's Idempotency-Key was first used with, so a replay with another body
-- is refused instead of answered with the first request.
alter table channel_requests add column idempotency_fingerprint text;
