/**
 * What the LSPS5 outbox sends next: notifications being sent now are left out, so the batch is
 * filled with other webhooks' (one hanging at a slow webhook never crowds them out); a webhook
 * still gets one at a time, in order (PGlite).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Database } from './database.ts';
import { Lsps5Repository } from './lsps5-repository.ts';
import { openMigratedMemoryDatabase } from './memory-template.ts';

let database: Database;

before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

test('in-flight notifications are left out of what is due; their webhooks wait, the others are sent', async () => {
  const repo = new Lsps5Repository(database.db);
  const client = `02${'ab'.repeat(32)}`;
  const who = { ownerKind: 'node' as const, owner: client, client };
  const hooks = ['slow', 'a', 'b'].map((name) => ({
    id: randomUUID(),
    appName: name,
    url: `https://${name}.example/`,
  }));
  for (const h of hooks) await repo.insertWebhook(who, h);
  const [slow, a, b] = hooks.map((h) => h.id);
  await repo.enqueue(
    [slow, slow, a, b].map((webhookId) => ({
      webhookId: webhookId as string,
      client,
      method: 'lsps5.x',
      body: '{}',
    })),
  );
  const first = await repo.due(2);
  assert.deepEqual(
    first.map((n) => n.webhookId),
    [slow, a],
    'the oldest due, one per webhook',
  );
  const slowOne = first[0]?.id;
  assert.ok(slowOne !== undefined);
  const next = await repo.due(2, [slowOne]);
  assert.deepEqual(
    next.map((n) => n.webhookId),
    [a, b],
    "the slow webhook's one in flight is left out, and so is its next (in order)",
  );
});

test('finished notifications past their retention are pruned; pending ones stay', async () => {
  const repo = new Lsps5Repository(database.db);
  const client = `03${'cd'.repeat(32)}`;
  const hook = { id: randomUUID(), appName: 'prune', url: 'https://prune.example/' };
  await repo.insertWebhook({ ownerKind: 'node', owner: client, client }, hook);
  await repo.enqueue(
    ['delivered', 'pending'].map((method) => ({ webhookId: hook.id, client, method, body: '{}' })),
  );
  const ours = (await repo.due(100)).filter((n) => n.webhookId === hook.id);
  const sent = ours.find((n) => n.method === 'delivered');
  assert.ok(sent);
  const finished = { status: 200, error: undefined, nextAttemptAt: undefined, countsAsAttempt: true };
  assert.ok(await repo.recordAttempt(sent, { ...finished, state: 'delivered' }));
  const before = new Date(Date.now() - 60_000);
  assert.equal(await repo.pruneFinishedNotifications(before, 10), 0, 'finished just now: kept');
  const later = new Date(Date.now() + 60_000);
  assert.equal(await repo.pruneFinishedNotifications(later, 10), 1, 'the finished one goes');
  assert.deepEqual(
    (await repo.due(100)).filter((n) => n.webhookId === hook.id).map((n) => n.method),
    ['pending'],
    'the pending one stays',
  );
});
