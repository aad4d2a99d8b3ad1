/**
 * Story: the tenant's lists (channel requests, payments, ledger entries, hosted nodes, a webhook
 * endpoint's deliveries) page newest first by a key that only grows, the same on embedded PGlite
 * and on real Postgres. Walking a page at a time returns every record once, records added
 * mid-walk never shift or repeat a page, another tenant's (endpoint's) records never show, and
 * the last page says so. Channel requests and payments stored before migration 0015, and hosted
 * nodes stored before 0016, keep the order their lists showed them in relative to each other.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import {
  ChannelRequestsRepository,
  type Database,
  type DatabaseConfig,
  HostedNodesRepository,
  type Kysely,
  LedgerRepository,
  listMigrations,
  migrate,
  openDatabase,
  type Page,
  type PageRequest,
  PaymentsRepository,
  type Schema,
  sql,
  TenantsRepository,
  WebhooksRepository,
} from '@blgv/store';

const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas = [1, 2, 3].map((n) => `store_paging_${n}_${randomBytes(4).toString('hex')}`);

after(async () => {
  const admin = await openDatabase({ kind: 'postgres', url: postgresUrl });
  for (const s of schemas) await sql.raw(`drop schema if exists ${s} cascade`).execute(admin.db);
  await admin.close();
});

/** A fresh database of each kind (each call a new Postgres schema). */
const dialects: Record<string, (n: number) => DatabaseConfig> = {
  pglite: () => ({ kind: 'pglite', dataDir: 'memory' }),
  postgres: (n) => ({ kind: 'postgres', url: postgresUrl, schema: schemas[n] ?? 'unused' }),
};

function channel(tenantId: string) {
  return {
    id: randomUUID(),
    tenantId,
    idempotencyKey: null,
    idempotencyFingerprint: null,
    clientPubkey: `02${'ab'.repeat(32)}`,
    capacity: sat(100_000),
    push: sat(0),
    feeRateSatPerVbyte: 2n,
    private: false,
    fee: sat(1_100),
    networkFee: sat(330),
    estimatedBlocks: 6,
  };
}

function payment(tenantId: string) {
  return {
    paymentHash: randomBytes(32).toString('hex'),
    tenantId,
    paymentRequest: 'lnbcrt1',
    destination: `03${'cd'.repeat(32)}`,
    amountMsat: msat(1_000_000n),
    reservationId: null,
    reserved: sat(0),
    liquidity: sat(1_010),
    feeLimitMsat: msat(10_000n),
    amount: sat(1_000),
    routingFee: sat(10),
    utilizationFee: sat(0),
    expiresAt: new Date(Date.now() + 3_600_000),
  };
}

/** One of a tenant's lists: how to add a record (returning its id) and read a page. */
interface List {
  readonly name: string;
  add(db: Kysely<Schema>, tenantId: string): Promise<string>;
  page(db: Kysely<Schema>, tenantId: string, page: PageRequest): Promise<Page<string>>;
}

const ids = <T>(p: Page<T>, id: (t: T) => string): Page<string> => ({ items: p.items.map(id), next: p.next });
let references = 0;

/** Adds a hosted node of the tenant, returning its id. */
async function addNode(db: Kysely<Schema>, tenantId: string): Promise<string> {
  const id = `n${randomBytes(8).toString('hex')}`;
  await new HostedNodesRepository(db).insert({ id, tenantId, alias: id, color: '#3399ff', config: {} });
  return id;
}

/** Each tenant's webhook endpoint (made on first use) and the event position it is at. */
const endpoints = new Map<string, { id: string; at: bigint }>();
let positions = 0n;

async function endpointOf(db: Kysely<Schema>, tenantId: string): Promise<{ id: string; at: bigint }> {
  let e = endpoints.get(tenantId);
  if (!e) {
    e = { id: `wh_${randomBytes(8).toString('hex')}`, at: 0n };
    await new WebhooksRepository(db).insertEndpoint({
      id: e.id,
      tenantId,
      url: 'https://example.com/hook',
      events: ['*'],
      description: null,
      sealedSecret: 'sealed',
      state: 'enabled',
      disabledReason: null,
      cursor: 0n,
    });
    endpoints.set(tenantId, e);
  }
  return e;
}

const lists: List[] = [
  {
    name: 'channel requests',
    add: async (db, tenantId) => (await new ChannelRequestsRepository(db).insert(channel(tenantId))).id,
    page: async (db, tenantId, p) =>
      ids(await new ChannelRequestsRepository(db).list(tenantId, p), (r) => r.id),
  },
  {
    name: 'payments',
    add: async (db, tenantId) => (await new PaymentsRepository(db).insert(payment(tenantId))).paymentHash,
    page: async (db, tenantId, p) =>
      ids(await new PaymentsRepository(db).list(tenantId, p), (r) => r.paymentHash),
  },
  {
    name: 'ledger entries',
    add: async (db, tenantId) => {
      const reference = `ref-${++references}`;
      await new LedgerRepository(db).append({
        tenantId,
        kind: 'topup',
        amount: 1_000n,
        reference,
        description: '',
      });
      return reference;
    },
    page: async (db, tenantId, p) =>
      ids(await new LedgerRepository(db).entries(tenantId, p), (e) => e.reference),
  },
  {
    name: 'hosted nodes',
    add: addNode,
    page: async (db, tenantId, p) =>
      ids(await new HostedNodesRepository(db).listOwned(tenantId, p), (n) => n.id),
  },
  {
    name: 'webhook deliveries',
    // One endpoint per tenant: the other tenant's deliveries are another endpoint's.
    add: async (db, tenantId) => {
      const endpoint = await endpointOf(db, tenantId);
      const position = ++positions;
      const messageId = `msg_${position}`;
      const moved = await new WebhooksRepository(db).enqueue(endpoint.id, endpoint.at, position, [
        {
          messageId,
          eventPosition: position,
          eventType: 'payment.succeeded',
          subject: 'p',
          body: '{}',
        },
      ]);
      assert.ok(moved);
      endpoint.at = position;
      return messageId;
    },
    page: async (db, tenantId, p) =>
      ids(
        await new WebhooksRepository(db).deliveries((await endpointOf(db, tenantId)).id, p),
        (d) => d.messageId,
      ),
  },
];

for (const [name, config] of Object.entries(dialects)) {
  describe(`lists on ${name}`, () => {
    let database: Database;
    before(async () => {
      database = await openDatabase(config(0));
      await migrate(database.db);
    });
    after(() => database?.close());

    for (const list of lists) {
      test(`${list.name}: a page at a time, newest first, each once, whatever is added meanwhile`, async () => {
        const db = database.db;
        const tenant = (await new TenantsRepository(db).create(`${list.name} ${randomUUID()}`)).id;
        const other = (await new TenantsRepository(db).create(`other ${randomUUID()}`)).id;
        const added: string[] = [];
        for (let i = 0; i < 5; i++) {
          added.push(await list.add(db, tenant));
          await list.add(db, other);
        }
        const newestFirst = [...added].reverse();

        const first = await list.page(db, tenant, { limit: 100 });
        assert.deepEqual(first, { items: newestFirst, next: undefined }, 'one page holds them all');
        const full = await list.page(db, tenant, { limit: 5 });
        assert.deepEqual(full, { items: newestFirst, next: undefined }, 'an exactly full page is the last');

        const walked: string[] = [];
        let page = await list.page(db, tenant, { limit: 2 });
        const late: string[] = [];
        while (true) {
          walked.push(...page.items);
          // A record added mid-walk is newer than every page still to read.
          late.push(await list.add(db, tenant));
          if (page.next === undefined) break;
          page = await list.page(db, tenant, { limit: 2, before: page.next });
        }
        assert.deepEqual(walked, newestFirst, 'every record once, newest first, none added meanwhile');
        assert.deepEqual(
          (await list.page(db, tenant, { limit: 100 })).items,
          [...late.reverse(), ...newestFirst],
          'those added meanwhile are the newest',
        );
        assert.deepEqual(await list.page(db, tenant, { limit: 2, before: 0n }), {
          items: [],
          next: undefined,
        });
      });
    }

    test('channel requests and payments stored before 0015 keep the order their lists showed', async () => {
      const old = await openDatabase(config(1));
      try {
        const db = old.db;
        const all = listMigrations();
        await migrate(
          db,
          all.filter((m) => m.version < 15),
        );
        const tenant = (await new TenantsRepository(db).create('before-0015')).id;
        // Inserted in one order, created (as the old lists sorted) in another.
        const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
        const channels: [string, Date][] = [];
        const payments: [string, Date][] = [];
        for (const minutes of [30, 10, 20, 20]) {
          const c = await new ChannelRequestsRepository(db).insert(channel(tenant));
          await sql`update channel_requests set created_at = ${at(minutes)} where id = ${c.id}`.execute(db);
          channels.push([c.id, at(minutes)]);
          const p = payment(tenant);
          await new PaymentsRepository(db).insert(p);
          await sql`update payments set created_at = ${at(minutes)} where payment_hash = ${p.paymentHash}`.execute(
            db,
          );
          payments.push([p.paymentHash, at(minutes)]);
        }
        const oldOrder = (rows: [string, Date][]) =>
          [...rows]
            .sort(([a, x], [b, y]) => y.getTime() - x.getTime() || (a < b ? 1 : a > b ? -1 : 0))
            .map(([id]) => id);

        assert.deepEqual(
          await migrate(
            db,
            all.filter((m) => m.version <= 15),
          ),
          ['0015_list_paging'],
        );
        const newChannel = (await new ChannelRequestsRepository(db).insert(channel(tenant))).id;
        const newPayment = (await new PaymentsRepository(db).insert(payment(tenant))).paymentHash;
        assert.deepEqual(
          (await new ChannelRequestsRepository(db).list(tenant, { limit: 10 })).items.map((r) => r.id),
          [newChannel, ...oldOrder(channels)],
        );
        assert.deepEqual(
          (await new PaymentsRepository(db).list(tenant, { limit: 10 })).items.map((p) => p.paymentHash),
          [newPayment, ...oldOrder(payments)],
        );
      } finally {
        await old.close();
      }
    });

    test('hosted nodes stored before 0016 keep their order relative to each other; deleted ones never show', async () => {
      const old = await openDatabase(config(2));
      try {
        const db = old.db;
        await migrate(
          db,
          listMigrations().filter((m) => m.version < 16),
        );
        const tenant = (await new TenantsRepository(db).create('before-0016')).id;
        // Inserted in one order, created (as the old list sorted: created_at, then id) in another.
        const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
        const nodes: [string, Date][] = [];
        for (const minutes of [30, 10, 20, 20]) {
          // As 0011 stored them (the repository writes today's columns).
          const id = `n${randomBytes(8).toString('hex')}`;
          await sql`insert into hosted_nodes (id, tenant_id, alias, color, config, state)
            values (${id}, ${tenant}, ${id}, '#3399ff', '{}', 'creating')`.execute(db);
          await sql`update hosted_nodes set created_at = ${at(minutes)} where id = ${id}`.execute(db);
          nodes.push([id, at(minutes)]);
        }
        const oldestFirst = [...nodes]
          .sort(([a, x], [b, y]) => x.getTime() - y.getTime() || (a < b ? -1 : a > b ? 1 : 0))
          .map(([id]) => id);

        assert.deepEqual(
          await migrate(
            db,
            listMigrations().filter((m) => m.version <= 16),
          ),
          ['0016_hosted_nodes_paging'],
        );
        await migrate(db);
        const repo = new HostedNodesRepository(db);
        const newNode = await addNode(db, tenant);
        assert.deepEqual(
          (await repo.listOwned(tenant, { limit: 10 })).items.map((n) => n.id),
          [newNode, ...[...oldestFirst].reverse()],
          'newest first: the new node, then the old ones in the reverse of the order the list showed',
        );
        assert.deepEqual(
          (await repo.list(tenant)).map((n) => n.id),
          [...oldestFirst, newNode],
          'the unpaged list (metrics, scrapes) is oldest first as before',
        );
        const gone = oldestFirst[1] ?? '';
        assert.ok(await repo.transition(gone, 'creating', 'deleted'));
        const page = await repo.listOwned(tenant, { limit: 2 });
        const rest = await repo.listOwned(tenant, { limit: 10, ...(page.next ? { before: page.next } : {}) });
        assert.deepEqual(
          [...page.items, ...rest.items].map((n) => n.id),
          [newNode, ...[...oldestFirst].reverse()].filter((id) => id !== gone),
        );
        assert.equal(rest.next, undefined);
      } finally {
        await old.close();
      }
    });
  });
}
