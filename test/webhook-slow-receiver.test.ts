/**
 * Story: one tenant's receiver never answers (it reads the POST and says nothing until the
 * request's timeout), another's answers at once. The delivery job sends without any send waiting
 * for another: the answering endpoint gets every event while the silent one's first delivery is
 * still hanging, and the silent one holds only its own share of the slots. The job runs as the
 * server runs it, on a real database (embedded PGlite) with a real HTTPS receiver; events are
 * appended to the log as the database's triggers append them for real subjects.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { waitFor } from '@blgv/regtest';
import { sql } from '@blgv/store';
import { deliverWebhooks } from '../packages/server/src/webhooks/webhook-delivery.ts';
import { startWebhookJobWorld, type WebhookJobWorld } from './support/webhook-job-world.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const retry = { baseDelayMs: 200, maxDelayMs: 500, windowMs: 60_000 };
const EVENTS = 5;
let world: WebhookJobWorld;
/** Reads every POST and never answers (each send ends at the request's timeout, 2 s). */
let silent: WebhookReceiver;
const job = new AbortController();
let running: Promise<unknown>;

before(async () => {
  world = await startWebhookJobWorld(retry);
  silent = await startWebhookReceiver();
  silent.hold();
  const { database, box, log } = world;
  // Both receivers' certificates trusted.
  const policy = { ...world.policy, ca: `${world.policy.ca}\n${readFileSync(silent.certPath, 'utf8')}` };
  running = deliverWebhooks(
    { database, box, policy, retry, intervalMs: 50, concurrency: 4, log },
    job.signal,
  ).catch(() => undefined);
});

after(async () => {
  job.abort();
  await running;
  await silent?.close();
  await world?.close();
});

test("a receiver that never answers does not hold up another tenant's webhooks", async () => {
  const { service, tenantId, receiver, database } = world;
  const { endpoint: quiet } = await service.create(tenantId, {
    url: `${silent.base}/hook`,
    events: ['payment.*'],
  });
  const { endpoint: answering } = await service.create(tenantId, {
    url: `${receiver.base}/hook`,
    events: ['payment.*'],
  });
  receiver.answer(200);
  for (let i = 1; i <= EVENTS; i++)
    await sql`insert into events (subject_kind, subject_id, tenant_id, state, facts)
      values ('payment', ${`p${i}`}, ${tenantId}::uuid, 'succeeded', '{}'::jsonb)`.execute(database.db);

  const delivered = await waitFor(
    async () => {
      const d = (await service.deliveries(tenantId, answering.id, { limit: 10 })).items;
      return d.length === EVENTS && d.every((x) => x.state === 'delivered') ? d : undefined;
    },
    { what: 'every event at the answering endpoint', timeoutMs: 10_000 },
  );
  assert.equal(delivered.length, EVENTS);
  const quietLog = (await service.deliveries(tenantId, quiet.id, { limit: 10 })).items;
  assert.equal(quietLog.length, EVENTS, 'the silent endpoint has its deliveries too');
  assert.ok(
    quietLog.every((d) => d.attemptLog.length === 0),
    'and not one attempt of them has ended yet: its first send is still hanging',
  );
  await waitFor(() => silent.held() > 0, { what: 'the silent endpoint to have read a POST' });
  assert.equal(silent.held(), 1, 'one POST at a time to the silent endpoint (its share of four slots)');

  await waitFor(
    async () =>
      (await service.deliveries(tenantId, quiet.id, { limit: 10 })).items.some(
        (d) => d.attemptLog[0]?.error !== undefined && d.attemptLog[0]?.error !== null,
      ),
    { what: "the silent endpoint's first attempt to time out and be recorded" },
  );
});
