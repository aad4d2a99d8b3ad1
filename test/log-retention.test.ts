/**
 * Story: the LSP's logs stay bounded. With a retention of two seconds, a delivered webhook (and
 * its attempts) leaves the endpoint's delivery log once its retention is over, while a delivery
 * still being retried stays however old it is; an event leaves the event log (as
 * `GET /v1/events` reads it), except the newest, and positions go on after it. The delivery job
 * and the retention job run as the server runs them, on a real database (embedded PGlite) with a
 * real HTTPS receiver; events are appended to the log as the database's triggers append them for
 * real subjects.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { waitFor } from '@blgv/regtest';
import { sql } from '@blgv/store';
import { EventLog } from '../packages/server/src/events/event-log.ts';
import { keepLogsBounded } from '../packages/server/src/events/log-retention.ts';
import { deliverWebhooks } from '../packages/server/src/webhooks/webhook-delivery.ts';
import { startWebhookJobWorld, type WebhookJobWorld } from './support/webhook-job-world.ts';

/** Retries for a minute: the failing endpoint's delivery stays pending through the story. */
const retry = { baseDelayMs: 200, maxDelayMs: 500, windowMs: 60_000 };
const RETENTION_SECONDS = 2;
let world: WebhookJobWorld;
/** A port that takes connections and closes them at once: every attempt there fails. */
let hangUp: Server;
const jobs = new AbortController();
let running: Promise<unknown>;

before(async () => {
  world = await startWebhookJobWorld(retry);
  hangUp = createServer((socket) => socket.destroy());
  await new Promise<void>((listening) => hangUp.listen(0, '127.0.0.1', listening));
  const { database, box, policy, log } = world;
  running = Promise.all([
    deliverWebhooks({ database, box, policy, retry, intervalMs: 50, concurrency: 4, log }, jobs.signal),
    keepLogsBounded(
      {
        database,
        eventSeconds: RETENTION_SECONDS,
        deliverySeconds: RETENTION_SECONDS,
        notificationSeconds: RETENTION_SECONDS,
        log,
      },
      jobs.signal,
    ),
  ]).catch(() => undefined);
});

after(async () => {
  jobs.abort();
  await running;
  await new Promise((closed) => hangUp?.close(closed));
  await world?.close();
});

test('a delivered webhook leaves the delivery log after its retention; one still retried stays', async () => {
  const { service, tenantId, receiver, database } = world;
  const { endpoint: answering } = await service.create(tenantId, {
    url: `${receiver.base}/hook`,
    events: ['payment.*'],
  });
  const port = (hangUp.address() as { port: number }).port;
  const { endpoint: failing } = await service.create(tenantId, {
    url: `https://127.0.0.1:${port}/hook`,
    events: ['payment.*'],
  });
  receiver.answer(200);
  await sql`insert into events (subject_kind, subject_id, tenant_id, state, facts)
    values ('payment', 'p1', ${tenantId}::uuid, 'succeeded', '{}'::jsonb)`.execute(database.db);

  const delivered = await waitFor(
    async () => {
      const [d] = (await service.deliveries(tenantId, answering.id, { limit: 10 })).items;
      return d?.state === 'delivered' ? d : undefined;
    },
    { what: 'the delivery to the answering endpoint' },
  );
  assert.equal(delivered.attemptLog.length, 1);
  const tried = await waitFor(
    async () => {
      const [d] = (await service.deliveries(tenantId, failing.id, { limit: 10 })).items;
      return d && d.attemptLog.length >= 1 ? d : undefined;
    },
    { what: 'a first failed attempt at the other endpoint' },
  );
  assert.equal(tried.state, 'pending');

  await waitFor(
    async () => (await service.deliveries(tenantId, answering.id, { limit: 10 })).items.length === 0,
    { what: 'the delivered webhook gone after its retention', timeoutMs: (RETENTION_SECONDS + 10) * 1000 },
  );
  await assert.rejects(
    service.redeliver(tenantId, answering.id, delivered.id.toString()),
    /no delivery/,
    'nothing left to send again',
  );
  const [still] = (await service.deliveries(tenantId, failing.id, { limit: 10 })).items;
  assert.equal(still?.state, 'pending', 'a delivery still being retried is kept past the retention');
  assert.ok((still?.attemptLog.length ?? 0) > tried.attemptLog.length, 'and it is still being tried');
  assert.ok(Date.now() - (still?.createdAt ?? new Date()).getTime() > RETENTION_SECONDS * 1000);
});

test('an event leaves the event log after its retention; the newest stays and positions go on from it', async () => {
  const { tenantId, database } = world;
  const events = new EventLog(database);
  const read = () => events.read({ tenantId, after: undefined, limit: 1000, subjectKind: 'topup' });
  const append = (id: string) =>
    sql`insert into events (subject_kind, subject_id, tenant_id, state, facts)
      values ('topup', ${id}, ${tenantId}::uuid, 'confirmed', '{}'::jsonb)`.execute(database.db);
  await append('t1');
  await append('t2');
  const [first, newest] = await read();
  assert.deepEqual([first?.subjectId, newest?.subjectId], ['t1', 't2']);

  await waitFor(async () => (await read()).every((e) => e.subjectId !== 't1'), {
    what: 'the older event gone after its retention',
    timeoutMs: (RETENTION_SECONDS + 10) * 1000,
  });
  const kept = await read();
  assert.deepEqual(
    kept.map((e) => e.subjectId),
    ['t2'],
    'the newest event stays, however old: positions go on from it',
  );
  await append('t3');
  const after = await events.read({ tenantId, after: newest?.position, limit: 10, subjectKind: 'topup' });
  assert.deepEqual(
    after.map((e) => e.subjectId),
    ['t3'],
  );
  assert.ok((after[0]?.position ?? 0n) > (newest?.position ?? 0n), 'a later position than any given before');
});
