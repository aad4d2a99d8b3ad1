/**
 * Story: /healthz tells an operator whether LND and the database answer, and says which one
 * does not.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness, type LndNode } from '@blgv/regtest';
import { buildApp, createLogger, createServices, loadConfig } from '@blgv/server';
import { type Database, openMigratedMemoryDatabase } from '@blgv/store';
import type { FastifyInstance } from 'fastify';

let h: Harness;
let lsp: LndNode;
let database: Database;
let app: FastifyInstance;

before(async () => {
  h = await Harness.start();
  lsp = await h.newNode('lsp');
  database = await openMigratedMemoryDatabase();
  const log = createLogger('silent', false);
  const services = createServices({ config: loadConfig({}), database, lightning: lsp.lnd, log });
  app = buildApp({ log, lightning: lsp.lnd, database, services });
});
after(async () => {
  await app?.close();
  await h?.stop();
});

test('healthy: 200 with the node pubkey and the database kind', async () => {
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.lightning.pubkey, lsp.pubkey);
  assert.deepEqual(body.database, { ok: true, kind: 'pglite' });
});

test('an unknown route is a JSON 404 with a code', async () => {
  const res = await app.inject({ method: 'GET', url: '/nope' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'not_found');
});

test('LND down: 503 naming lightning, the database still ok; then the database closed too', async () => {
  await lsp.stop();
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 503);
  const body = res.json();
  assert.equal(body.status, 'unavailable');
  assert.equal(body.lightning.ok, false);
  assert.match(body.lightning.error, /not reachable|not ready|timed out/);
  assert.equal(body.database.ok, true);

  await database.close();
  const res2 = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res2.statusCode, 503);
  assert.equal(res2.json().database.ok, false);
});
