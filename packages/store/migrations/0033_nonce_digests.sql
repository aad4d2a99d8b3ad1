-- Nonces as one 16-byte digest each (docs/performance.md, "Signed endpoint"): the first 16 bytes
-- of SHA-256(key id || ' ' || nonce), as a uuid. A signed request's insert touches one small
-- primary key instead of two text columns (key ids have no spaces, so the pair is one string);
-- two different pairs share a digest with odds of 2^-128, and then the later one is refused as a
-- replay (never the other way round). The nonces already seen are carried over: a request
-- replayed across the upgrade is still refused. A replica of the version before this one, still
-- running, fails to record its nonces from here on and answers every signed request with an
-- error until it is replaced: it never accepts one it could not check against the others' nonces.
create table api_nonce_digests (
  digest uuid primary key,
  -- The request's timestamp plus the signature window: until then a replay could be accepted.
  expires_at timestamptz not null
);
create index api_nonce_digests_expires_at on api_nonce_digests (expires_at);
insert into api_nonce_digests (digest, expires_at)
  select encode(substring(sha256(convert_to(key_id || ' ' || nonce, 'UTF8')) from 1 for 16), 'hex')::uuid,
    max(expires_at)
  from api_nonces group by 1;
drop table api_nonces;
