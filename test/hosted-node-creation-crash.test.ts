/**
 * Story: creating a hosted node survives a crash and a lost answer.
 *
 * The server runs as its own process on Postgres. A tenant asks for a node with an
 * `Idempotency-Key`, and the server is SIGKILLed right after charging the first month (its
 * driver never asked to create the node). A second tenant request, on the next server, is killed
 * after the driver started the node's lnd (which outlives the server). The server after that
 * finishes both creations by itself (the keeper adopts the running lnd, creates the wallets),
 * and the tenant, repeating its requests with the same keys, gets the same nodes, charged once,
 * with seeds it never saw, until it acknowledges them. A different request under a used key is
 * refused. The audit is clean.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { LSPClient } from '@blgv/lsp-client';
import { pidAlive } from '@blgv/regtest';
import { hostedNodePid, type Network, nodeRest, topUp } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { type ProcessHosting, startProcessHosting } from './support/process-hosting.ts';
import { type ServerProcess, startServerProcess } from './support/server-process.ts';

let hosting: ProcessHosting;
let net: Network;
let server: ServerProcess;
let adminKey: { keyId: string; secret: string };
let tenantKey: { keyId: string; secret: string };

/** Starts a server process on the shared database and hosting directory, with a driver fault. */
function startServer(fault?: {
  target: 'orchestrator';
  method: string;
  mode: string;
}): Promise<ServerProcess> {
  return startServerProcess({
    node: net.lsp,
    databaseUrl: hosting.databaseUrl,
    secretsKey: hosting.secretsKey,
    env: { BLGV_CONFIG: hosting.configPath },
    ...(fault ? { fault } : {}),
  });
}

/** Asks for a node and kills the server once its driver fault is hit; the answer is lost. */
async function createAndCrash(tenant: LSPClient, config: object, key: string): Promise<void> {
  const lost = tenant.nodes.create(config as never, { idempotencyKey: key }).then(
    () => assert.fail('the answer should have been lost'),
    (err: { status: number }) => assert.equal(err.status, 0, 'the connection died with the server'),
  );
  await net.h.waitFor(() => server.output().includes('FAULT create'), { what: 'the driver fault hit' });
  await server.kill();
  await lost;
}

const first = { alias: 'crash-before-driver', channels: [{ capacity: 300_000 }] };
const second = { alias: 'crash-after-driver' };
const keys = {
  first: `create-${randomBytes(4).toString('hex')}`,
  second: `create-${randomBytes(4).toString('hex')}`,
};

before(async () => {
  hosting = await startProcessHosting('creation');
  net = hosting.net;
  server = await startServer({ target: 'orchestrator', method: 'create', mode: 'hang' });
  assert.ok(server.bootstrapKey);
  adminKey = server.bootstrapKey;
  const created = await server.client(adminKey).admin.createTenant('wallet-co');
  tenantKey = await server.client(adminKey).admin.createKey(created.id, 'tenant');
  await topUp(net.h, net.alice, server.client(tenantKey), 800_000);
});

after(async () => {
  await server?.kill();
  await hosting?.stop();
});

test('creations cut short by a crash are finished by the next server; repeats answer the same nodes, charged once', async () => {
  let tenant = server.client(tenantKey);
  const quotes = { first: await tenant.nodes.quote(first), second: await tenant.nodes.quote(second) };
  const start = (await tenant.getBalance()).balance;

  // 1. Killed right after the first month was charged: the driver was never asked.
  await createAndCrash(tenant, first, keys.first);

  // 2. The next server is killed after its driver started the second node's lnd.
  server = await startServer({ target: 'orchestrator', method: 'create', mode: 'hang_after' });
  tenant = server.client(tenantKey);
  assert.equal(
    (await tenant.getBalance()).balance,
    start - quotes.first.monthlyFee,
    'the first month was charged before the crash, and nothing else',
  );
  await createAndCrash(tenant, second, keys.second);
  const { dataDir } = hosting;

  // 3. A server without faults finishes both; the tenant repeats its requests.
  server = await startServer();
  tenant = server.client(tenantKey);
  const listed = await tenant.nodes.list();
  assert.equal(listed.nodes.length, 2, 'two nodes, one per key');
  const secondId = listed.nodes.find((n) => n.alias === second.alias)?.nodeId ?? '';
  const lnd = hostedNodePid(dataDir, secondId);
  assert.ok(pidAlive(lnd), "the second node's lnd outlived the killed server");

  const [one, two] = await Promise.all([
    tenant.nodes.create(first, { idempotencyKey: keys.first }),
    tenant.nodes.create(second, { idempotencyKey: keys.second }),
  ]);
  for (const [node, config] of [
    [one, first],
    [two, second],
  ] as const) {
    assert.equal(node.status, 'running', `${config.alias} finished`);
    assert.equal(node.alias, config.alias);
    assert.equal(node.seed?.length, 24, `${config.alias}: the seed it never saw`);
    const info = await nodeRest<{ identity_pubkey: string }>(
      node.endpoint,
      node.macaroon ?? '',
      'GET',
      '/v1/getinfo',
    );
    assert.equal(info.body.identity_pubkey, node.pubkey, `${config.alias} answers with its macaroon`);
  }
  assert.equal(two.nodeId, secondId);
  assert.equal(hostedNodePid(dataDir, secondId), lnd, 'the running lnd was adopted, not started again');
  assert.deepEqual(
    (await tenant.nodes.list()).nodes.map((n) => n.nodeId).sort(),
    [one.nodeId, two.nodeId].sort(),
    'no node was created twice',
  );

  // The initial channel is bought once, whatever was repeated.
  await net.h.waitFor(
    async () => (await tenant.nodes.get(one.nodeId)).channels[0]?.status === 'pending' || undefined,
    { what: "the first node's initial channel funded", timeoutMs: 120_000 },
  );
  assert.equal(
    (await tenant.getBalance()).balance,
    start - quotes.first.total - quotes.second.total,
    'each node charged exactly its quote, once',
  );

  // The seed is shown to repeats until acknowledged.
  const again = await tenant.nodes.create(first, { idempotencyKey: keys.first });
  assert.deepEqual(again.seed, one.seed);
  await tenant.nodes.acknowledgeSeed(one.nodeId);
  const acknowledged = await tenant.nodes.create(first, { idempotencyKey: keys.first });
  assert.equal(acknowledged.nodeId, one.nodeId);
  assert.equal(acknowledged.seed, undefined, 'never shown again once acknowledged');

  // A different request under a used key is refused, and charges nothing.
  const balance = (await tenant.getBalance()).balance;
  await assert.rejects(
    tenant.nodes.create({ alias: 'something-else' }, { idempotencyKey: keys.first }),
    (err: { status: number; code: string }) => err.status === 422 && err.code === 'idempotency_key_reused',
  );
  assert.equal((await tenant.getBalance()).balance, balance);
  await net.h.mine(6);
  await assertCleanAudit({ admin: server.client(adminKey) });
});
