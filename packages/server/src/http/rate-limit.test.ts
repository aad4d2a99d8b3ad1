/**
 * The signed API's limit per tenant, over HTTP (the application in process): past it a request
 * is refused with 429 `rate_limited`, `Retry-After` and how long to wait, before any work; every
 * key of the tenant counts together; another tenant, an admin key, an unsigned route and a
 * request whose signature fails are not held to it. The operator sees it: one warning per tenant
 * and window, and the refusals in `/metrics` by status.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type InProcessApp, startInProcessApp } from '../app/in-process-app.ts';

const MAX = 3;
const METRICS_TOKEN = 'metrics-token-for-the-limit-test';
let lsp: InProcessApp;
/** The application's log lines. */
const lines: { level: number; msg: string; tenantId?: string }[] = [];

before(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  lsp = await startInProcessApp(
    { auth: { rateLimit: { max: MAX, windowSeconds: 60 } }, monitoring: { prometheusToken: METRICS_TOKEN } },
    { log: pino(sink) },
  );
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

test("a tenant's first refusal in a window is logged with the tenant, the rest of the window's are not", async () => {
  const noisy = await lsp.newTenant('noisy-limits');
  for (let i = 0; i < MAX + 4; i++) await lsp.send(noisy, 'GET', '/v1/account');
  const warnings = lines.filter((l) => l.tenantId === noisy.tenantId && /request limit/.test(l.msg));
  assert.equal(warnings.length, 1, 'one warning for four refusals');
  assert.equal(warnings[0]?.level, 40);
  const metrics = await lsp.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  assert.match(
    metrics.body,
    /lsp_http_requests_total\{[^}]*status="429"[^}]*\} \d+/,
    'refusals counted by status',
  );
});
