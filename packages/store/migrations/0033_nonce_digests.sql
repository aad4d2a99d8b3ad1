-- Nonces as one 16-byte digest each (docs/performance.md, "Signed endpoint"): the first 16 bytes
-- of SHA-256(key id || ' ' || nonce), as a uuid. A signed request's insert touches one small
-- primary key instead of two text columns (key ids have no spaces, so the pair is one string);
-- two different pairs share a digest with odds of 2^-128, and then the later one is refused as a
-- replay (never the other way round). The nonces already seen are carried over: a request
-- replayed across the upgrade is still refused.
create table api_nonce_digests (
  digest uuid primary key,
  -- The request's timestamp plus the signature window: until then a replay could be accepted.
  expires_at timestamptz not null
);
create index api_nonce_digests_expires_at on api_nonce_digests (expires_at);

create function nonce_digest(key_id text, nonce text) returns uuid language sql stable as $$
  select encode(substring(sha256(convert_to(key_id || ' ' || nonce, 'UTF8')) from 1 for 16), 'hex')::uuid
$$;

insert into api_nonce_digests (digest, expires_at)
  select nonce_digest(key_id, nonce), max(expires_at) from api_nonces group by 1;
delete from api_nonces;

-- A replica of the version before this one, still running during an upgrade, inserts into
-- `api_nonces` as before: each insert goes through the digests too, and a pair whose digest is
-- there already is skipped (its `returning` says a replay, as that version reads it). Replicas of
-- both versions so refuse each other's replays. A later migration drops the table.
create function api_nonces_to_digests() returns trigger language plpgsql as $$
begin
  insert into api_nonce_digests (digest, expires_at)
    values (nonce_digest(NEW.key_id, NEW.nonce), NEW.expires_at)
    on conflict (digest) do nothing;
  if not found then
    return null;
  end if;
  return NEW;
end
$$;
create trigger api_nonces_to_digests before insert on api_nonces
  for each row execute function api_nonces_to_digests();
