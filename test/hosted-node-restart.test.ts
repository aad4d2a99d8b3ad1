/**
 * Story: the LSP as an operator runs it in production (its own process, HTTPS with the
 * operator's certificate, Postgres, an existing LND) hosts a tenant's node. The tenant reaches
 * the node's REST API over HTTPS through the endpoint it was given. The server process is
 * SIGKILLed: the node keeps running and a payment to it succeeds while no server is up; the
 * next server process adopts the same running node, and the audit is clean.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LSPClient } from '@blgv/lsp-client';
import { pidAlive } from '@blgv/regtest';
import {
  channelActive,
  hostedNodePid,
  type Network,
  nodeRest,
  payUntilSucceeded,
  topUp,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { type ProcessHosting, startProcessHosting } from './support/process-hosting.ts';
import { type ServerProcess, startServerProcess } from './support/server-process.ts';
import { fetchTrusting, selfSignedCertificate } from './support/tls.ts';

let hosting: ProcessHosting;
let net: Network;
let dir: string;
let https: typeof fetch;
let server: ServerProcess;
let key: { keyId: string; secret: string };
let tenantKey: { keyId: string; secret: string };
let tenant: LSPClient;

/** Starts a server process on the shared database, LND and hosting directory, over HTTPS. */
function startServer(): Promise<ServerProcess> {
  const cert = join(dir, 'server.cert');
  return startServerProcess({
    node: net.lsp,
    databaseUrl: hosting.databaseUrl,
    secretsKey: hosting.secretsKey,
    fetch: https,
    env: {
      BLGV_CONFIG: hosting.configPath,
      BLGV_TLS_CERT: cert,
      BLGV_TLS_KEY: join(dir, 'server.key'),
    },
  });
}

before(async () => {
  hosting = await startProcessHosting('hosting');
  ({ net, dir } = hosting);
  https = fetchTrusting(selfSignedCertificate(dir).cert);
  server = await startServer();
  assert.ok(server.url.startsWith('https://'), `the server speaks HTTPS (${server.url})`);
  assert.ok(server.bootstrapKey, 'the first server on a new database prints an admin key');
  key = server.bootstrapKey;
  const created = await server.client(key).admin.createTenant('exchange');
  tenantKey = await server.client(key).admin.createKey(created.id, 'tenant');
  tenant = server.client(tenantKey);
  await topUp(net.h, net.alice, tenant, 700_000);
});

after(async () => {
  await server?.kill();
  await hosting?.stop();
});

test('the server process is killed: its node keeps running and is paid meanwhile; the next server adopts it', async () => {
  const { h, alice } = net;
  const node = await tenant.nodes.create({ alias: 'exchange-hot', channels: [{ capacity: 500_000 }] });
  assert.equal(node.status, 'running');
  assert.ok(node.endpoint.startsWith(`${server.url}/nodes/`), 'the endpoint is on the HTTPS server');
  const mac = node.macaroon ?? '';
  // A plain HTTPS client with only what the answer returned.
  const info = await nodeRest<{ identity_pubkey: string }>(
    node.endpoint,
    mac,
    'GET',
    '/v1/getinfo',
    undefined,
    https,
  );
  assert.equal(info.status, 200);
  assert.equal(info.body.identity_pubkey, node.pubkey);
  await h.mine(6);
  await h.waitFor(() => channelActive(node.endpoint, mac, https), {
    what: 'the inbound channel active',
    timeoutMs: 90_000,
  });
  const invoice = await nodeRest<{ payment_request: string }>(
    node.endpoint,
    mac,
    'POST',
    '/v1/invoices',
    { value: '4321', memo: 'paid while the LSP is down' },
    https,
  );
  assert.equal(invoice.status, 200);

  const { dataDir } = hosting;
  const pid = hostedNodePid(dataDir, node.nodeId);
  await server.kill();
  assert.ok(pidAlive(pid), 'the node outlives the SIGKILLed server');
  const paid = await payUntilSucceeded(
    h,
    alice,
    invoice.body.payment_request,
    'alice paying the hosted node while no server runs',
  );
  assert.equal(paid.status, 'succeeded');

  server = await startServer();
  // The new process listens on a port of its own (the test picks free ones); the node is the same.
  tenant = server.client(tenantKey);
  const again = await tenant.nodes.get(node.nodeId);
  assert.equal(again.status, 'running');
  assert.equal(hostedNodePid(dataDir, node.nodeId), pid, 'the new server adopted the running node');
  const balance = await nodeRest<{ local_balance?: { sat: string } }>(
    again.endpoint,
    mac,
    'GET',
    '/v1/balance/channels',
    undefined,
    https,
  );
  assert.equal(balance.status, 200);
  assert.equal(
    balance.body.local_balance?.sat,
    '4321',
    'the payment made while the server was down is there',
  );
  await assertCleanAudit({ admin: server.client(key) });
});
