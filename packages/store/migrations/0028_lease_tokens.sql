-- Fencing tokens of job leases. Every taking of a lease (not a renewal by its holder) draws the
-- next number of one sequence, so a token names one holding of one lease and a later holding
-- always has a greater one. A job's writes check, in their own transaction, that the lease
-- still carries their token and has not run out (`select ... for key share`, see
-- `lease-fence.ts`); a write with a stale token is refused.
--
-- The unique index makes `token` a key column: a takeover, which changes it, needs the row's
-- strongest lock and so waits for the old holder's fenced transactions to end, while a renewal,
-- which changes only `expires_at`, never waits for them.
create sequence job_lease_tokens;
alter table job_leases add column token bigint not null default nextval('job_lease_tokens');
create unique index job_leases_token on job_leases (token);
