/**
 * The signed API's limit per tenant, over HTTP (the application in process): past it a request
 * is refused with 429 `rate_limited`, `Retry-After` and how long to wait, before any work; every
 * key of the tenant counts together; another tenant, an admin key, an unsigned route and a
 * request whose signature fails are not held to it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type InProcessApp, startInProcessApp } from '../app/in-process-app.ts';

const MAX = 3;
let lsp: InProcessApp;

before(async () => {
  lsp = await startInProcessApp({ auth: { rateLimit: { max: MAX, windowSeconds: 60 } } });
});
after(() => lsp?.close());

test("a tenant's keys together get MAX signed requests a window, then 429 with when to retry", async () => {
  const acme = await lsp.newTenant('acme-limits');
  const other = await lsp.newTenant('other-limits');
  for (let i = 0; i < MAX; i++) {
    const r = await lsp.send(acme, 'GET', '/v1/account');
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['x-ratelimit-limit'], String(MAX));
    assert.equal(r.headers['x-ratelimit-remaining'], String(MAX - 1 - i));
  }
  const refused = await lsp.send(acme, 'GET', '/v1/account');
  assert.equal(refused.statusCode, 429, refused.body);
  const body = refused.json() as {
    error: { code: string; message: string; details: { retryAfterSeconds: number } };
  };
  assert.equal(body.error.code, 'rate_limited');
  assert.match(body.error.message, /at most 3 requests per 60 s/);
  assert.ok(body.error.details.retryAfterSeconds >= 1 && body.error.details.retryAfterSeconds <= 60);
  assert.equal(refused.headers['retry-after'], String(body.error.details.retryAfterSeconds));

  // A second key of the same tenant shares the window; a write is refused before any work (the
  // top-up would ask the Lightning node, which this application does not have).
  const made = await lsp.send(lsp.admin, 'POST', '/v1/admin/keys', {
    tenantId: acme.tenantId,
    scope: 'tenant',
  });
  assert.equal(made.statusCode, 201, made.body);
  const second = made.json() as { keyId: string; secret: string };
  const topup = await lsp.send(second, 'POST', '/v1/account/topups', { amount: 10_000 });
  assert.equal(topup.statusCode, 429, topup.body);

  // Another tenant has its own window.
  const theirs = await lsp.send(other, 'GET', '/v1/account');
  assert.equal(theirs.statusCode, 200, theirs.body);
  // A request whose signature fails is refused as such, not counted or limited.
  const forged = await lsp.send({ keyId: acme.keyId, secret: 'f'.repeat(64) }, 'GET', '/v1/account');
  assert.equal(forged.statusCode, 401, forged.body);
  // A request refused as malformed counts too (it cost a signature check and a nonce).
  const careless = await lsp.newTenant('careless-limits');
  for (let i = 0; i < MAX; i++) {
    const bad = await lsp.send(careless, 'POST', '/v1/account/topups', { amount: -1 });
    assert.equal(bad.statusCode, 400, bad.body);
  }
  const next = await lsp.send(careless, 'GET', '/v1/account');
  assert.equal(next.statusCode, 429, next.body);

  // The operator's admin key is not held to it.
  for (let i = 0; i <= MAX; i++) {
    const audit = await lsp.send(lsp.admin, 'GET', '/v1/admin/jobs');
    assert.equal(audit.statusCode, 200, audit.body);
    assert.equal(audit.headers['x-ratelimit-limit'], undefined);
  }
  // An unsigned route is not held to it.
  for (let i = 0; i <= MAX; i++) {
    const health = await lsp.app.inject({ method: 'GET', url: '/healthz' });
    assert.notEqual(health.statusCode, 429);
    assert.equal(health.headers['x-ratelimit-limit'], undefined);
  }
});
