import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostedNodeRecord } from '@blgv/store';
import Fastify from 'fastify';
import { installNodeProxy } from './node-proxy.ts';

/** A running node whose REST port nothing listens on (a forwarded request gets the proxy's 502). */
const node = {
  id: 'n1',
  state: 'running',
  restAddress: '127.0.0.1:9',
  tlsCert: 'not a certificate',
} as unknown as HostedNodeRecord;

test("a deletion of payments waits for the LSP's record of them; when it cannot be made, the deletion is refused", async () => {
  const recorded: string[] = [];
  let failing = true;
  const app = Fastify();
  installNodeProxy(app, async (id) => (id === 'n1' ? node : undefined), {
    beforeErasingPayments: async (n) => {
      recorded.push(n.id);
      if (failing) throw new Error('wallet locked');
    },
  });
  app.get('/healthz', () => 'ok');
  await app.ready();
  for (const url of ['/nodes/n1/v1/payments?all_payments=true', '/nodes/n1/v1/payment?payment_hash=00']) {
    const r = await app.inject({ method: 'DELETE', url });
    assert.equal(r.statusCode, 503, url);
    assert.match(
      r.json().error.message,
      /could not record node n1's payments before their deletion.*wallet locked/,
    );
  }
  assert.deepEqual(recorded, ['n1', 'n1']);
  // Reads and other deletions go straight to the node (here: nothing listens, 502).
  assert.equal((await app.inject({ method: 'GET', url: '/nodes/n1/v1/payments' })).statusCode, 502);
  assert.equal((await app.inject({ method: 'DELETE', url: '/nodes/n1/v1/invoices/x' })).statusCode, 502);
  assert.deepEqual(recorded, ['n1', 'n1'], 'only deletions of payments wait for the record');
  // Once the record is made, the deletion is forwarded.
  failing = false;
  assert.equal((await app.inject({ method: 'DELETE', url: '/nodes/n1/v1/payments' })).statusCode, 502);
  assert.deepEqual(recorded, ['n1', 'n1', 'n1']);
  await app.close();
});
