/**
 * What the webhook job sends next: a backlog at one endpoint takes at most its share of the
 * batch, so the other endpoints' deliveries are in it too (PGlite).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from './database.ts';
import { openMigratedMemoryDatabase } from './memory-template.ts';
import { TenantsRepository } from './tenants-repository.ts';
import { WebhooksRepository } from './webhooks-repository.ts';

let database: Database;

before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

/** An enabled endpoint of a new tenant with `count` deliveries due, each of its own subject. */
async function endpointWithBacklog(id: string, count: number): Promise<void> {
  const tenant = await new TenantsRepository(database.db).create(`due-${id}`);
  const repo = new WebhooksRepository(database.db);
  await repo.insertEndpoint({
    id,
    tenantId: tenant.id,
    url: `https://${id}.example/hook`,
    events: ['*'],
    description: null,
    sealedSecret: 'sealed',
    state: 'enabled',
    disabledReason: null,
    cursor: 0n,
  });
  const deliveries = Array.from({ length: count }, (_, i) => ({
    messageId: `evt_${id}_${i}`,
    eventPosition: BigInt(i + 1),
    eventType: 'payment.succeeded',
    subject: `payment:${id}-${i}`,
    body: '{}',
  }));
  assert.equal(await repo.enqueue(id, 0n, BigInt(count), deliveries), true);
}

test("one endpoint's backlog takes at most its share of what is due; the others' deliveries are in the batch", async () => {
  await endpointWithBacklog('wh_slow', 40);
  await endpointWithBacklog('wh_fast', 3);
  const repo = new WebhooksRepository(database.db);
  const capped = await repo.due(32, 2);
  const count = (endpoint: string) => capped.filter((d) => d.endpointId === endpoint).length;
  assert.equal(count('wh_slow'), 2, 'the backlog: two');
  assert.equal(count('wh_fast'), 2, 'the other endpoint is not crowded out');
  const all = await repo.due(32);
  assert.equal(all.length, 32, 'uncapped: the oldest 32');
});
