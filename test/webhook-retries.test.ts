/**
 * The webhook delivery job on its own, with a real database (embedded PGlite) and a real HTTPS
 * receiver, over a retry window of a second and a half: a subject's later events wait while an
 * earlier one is pending; a delivery that gets no 2xx within the window is given up and its
 * endpoint disabled; enabled again, its pending deliveries get a new window and arrive in order,
 * then the events of the time it was disabled; a given-up delivery is sent again on request, with the same id.
 * (Events are appended to the log as the database's triggers append them for real subjects.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@blgv/regtest';
import { sql } from '@blgv/store';
import { deliverWebhooks } from '../packages/server/src/webhooks/webhook-delivery.ts';
import { startWebhookJobWorld, type WebhookJobWorld } from './support/webhook-job-world.ts';

const retry = { baseDelayMs: 50, maxDelayMs: 200, windowMs: 1_500 };
let world: WebhookJobWorld;
let database: WebhookJobWorld['database'];
let receiver: WebhookJobWorld['receiver'];
let service: WebhookJobWorld['service'];
let tenantId: string;
const job = new AbortController();
let running: Promise<void>;

before(async () => {
  world = await startWebhookJobWorld(retry);
  ({ database, receiver, service, tenantId } = world);
  const { box, policy, log } = world;
  running = deliverWebhooks(
    { database, box, policy, retry, intervalMs: 50, concurrency: 4, log },
    job.signal,
  ).catch(() => undefined);
});

after(async () => {
  job.abort();
  await running;
  await world?.close();
});

/** Appends an event of the tenant's subject to the log. */
async function event(subjectKind: string, subjectId: string, state: string): Promise<void> {
  await sql`insert into events (subject_kind, subject_id, tenant_id, state, facts)
    values (${subjectKind}, ${subjectId}, ${tenantId}::uuid, ${state}, '{}'::jsonb)`.execute(database.db);
}

/** The event types that were answered 200, in arrival order. */
function deliveredTypes(): string[] {
  return receiver.received
    .filter((r) => r.answered === 200)
    .map((r) => {
      const m = JSON.parse(r.body) as { type: string; data: { subjectId: string } };
      return `${m.data.subjectId}:${m.type}`;
    });
}

test('a failing receiver: one event per subject tried, then given up and the endpoint disabled', async () => {
  const { endpoint } = await service.create(tenantId, {
    url: `${receiver.base}/hook`,
    events: ['payment.*', 'channel_request.*'],
  });
  receiver.answer(500);
  await event('payment', 'p1', 'pending');
  await event('payment', 'p1', 'succeeded');
  await event('channel_request', 'c1', 'open');
  await event('reservation', 'r1', 'expired'); // not wanted

  const disabled = await waitFor(
    async () => {
      const e = await service.get(tenantId, endpoint.id);
      return e.state === 'disabled' ? e : undefined;
    },
    { what: 'the endpoint disabled after the retry window', timeoutMs: 20_000 },
  );
  assert.match(disabled.disabledReason ?? '', /got no 2xx within 1\.5 s/);
  const tried = new Set(receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type));
  assert.deepEqual(
    [...tried].sort(),
    ['channel_request.open', 'payment.pending'],
    'a later event of p1 waited',
  );
  const log = (await service.deliveries(tenantId, endpoint.id, { limit: 10 })).items;
  assert.equal(log.length, 3, 'three wanted events, three deliveries');
  assert.ok(
    log.some((d) => d.state === 'failed' && d.attemptLog.length >= 3),
    'given up after several attempts',
  );
  assert.ok(log.every((d) => d.attemptLog.every((a) => a.status === 500)));
});

test('enabled again, pending deliveries get a new window and arrive in order; a given-up one is redelivered', async () => {
  const [endpoint] = await service.list(tenantId);
  assert.ok(endpoint);
  // An event while the endpoint is disabled is not lost: it waits for the endpoint.
  await event('payment', 'p2', 'failed');
  receiver.answer(200);
  await service.enable(tenantId, endpoint.id);
  const done = await waitFor(
    async () => {
      const d = (await service.deliveries(tenantId, endpoint.id, { limit: 10 })).items;
      return d.length === 4 && d.every((x) => x.state !== 'pending') ? d : undefined;
    },
    { what: 'every pending delivery, and the one since, delivered' },
  );
  const delivered = done.filter((d) => d.state === 'delivered').map((d) => d.messageId);
  const arrived = receiver.received.filter((r) => r.answered === 200).map((r) => r.headers['webhook-id']);
  assert.deepEqual([...arrived].sort(), [...delivered].sort(), 'each delivered once');
  assert.ok(deliveredTypes().includes('p2:payment.failed'), 'the event of the disabled time arrived');
  const p1 = deliveredTypes().filter((t) => t.startsWith('p1:'));
  if (p1.length === 2) assert.deepEqual(p1, ['p1:payment.pending', 'p1:payment.succeeded'], 'in order');

  const failed = (await service.deliveries(tenantId, endpoint.id, { limit: 10 })).items.find(
    (d) => d.state === 'failed',
  );
  assert.ok(failed, 'one delivery was given up');
  const again = await service.redeliver(tenantId, endpoint.id, failed.id.toString());
  assert.equal(again.state, 'pending');
  await waitFor(
    () => receiver.received.some((r) => r.answered === 200 && r.headers['webhook-id'] === failed.messageId),
    {
      what: 'the given-up delivery sent again',
    },
  );
  await assert.rejects(service.redeliver(tenantId, endpoint.id, '999999'), /no delivery/);
});
