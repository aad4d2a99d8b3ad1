import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../logger.ts';
import { httpApp } from './app.ts';

let app: FastifyInstance;

before(async () => {
  app = httpApp({ log: createLogger('silent', false) });
  // In a plugin, as `buildApp` registers every room's routes: after the OpenAPI plugin.
  void app.register(async (scope) => registerTestRoutes(scope));
  await app.ready();
});
after(() => app.close());

function registerTestRoutes(app: FastifyInstance): void {
  const Order = Type.Object(
    {
      size: Type.Integer({ minimum: 1 }),
      lines: Type.Optional(Type.Array(Type.Object({ sku: Type.String() }, { additionalProperties: false }))),
    },
    { additionalProperties: false },
  );
  const Options = Type.Object({ force: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
  app.post('/orders', { schema: { operationId: 'createOrder', body: Order } }, async (req) => req.body);
  app.get(
    '/orders',
    {
      schema: {
        operationId: 'listOrders',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
      },
    },
    async () => [],
  );
  app.delete<{ Body: { force?: boolean } }>(
    '/orders/:id',
    { config: { auth: 'tenant' }, schema: { operationId: 'removeOrder', body: Options } },
    async (req) => ({ removed: true, force: req.body.force ?? false }),
  );
  // A route whose database is away: its connection refused, or cut while the query ran.
  app.get('/broken/:how', { schema: { operationId: 'broken' } }, async (req) => {
    const how = (req.params as { how: string }).how;
    if (how === 'refused')
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    if (how === 'cut') throw new Error('Connection terminated unexpectedly');
    if (how === 'slow')
      throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    throw new Error('a bug');
  });
  app.delete(
    '/keys/:id',
    { config: { auth: 'admin' }, schema: { operationId: 'revokeKey' } },
    async (_, reply) => reply.code(204).send(),
  );
}

const post = (body: unknown) =>
  app.inject({
    method: 'POST',
    url: '/orders',
    payload: body as object,
    headers: { 'content-type': 'application/json' },
  });

test('an unknown property is refused as 400 invalid_input naming it, at any depth and in any part', async () => {
  const top = await post({ size: 1, colour: 'red' });
  assert.equal(top.statusCode, 400);
  assert.deepEqual(top.json(), {
    error: { code: 'invalid_input', message: "body has unknown property 'colour'" },
  });

  const nested = await post({ size: 1, lines: [{ sku: 'a', qty: 2 }] });
  assert.equal(nested.json().error.message, "body/lines/0 has unknown property 'qty'");

  const two = await post({ size: 1, a: 1, b: 2 });
  assert.equal(two.json().error.message, "body has unknown property 'a', body has unknown property 'b'");

  const query = await app.inject({ url: '/orders?limit=3&sort=asc' });
  assert.equal(query.statusCode, 400);
  assert.equal(query.json().error.message, "querystring has unknown property 'sort'");
});

test('other validation errors keep their wording, naming the field', async () => {
  const r = await post({ size: 0 });
  assert.deepEqual(r.json(), { error: { code: 'invalid_input', message: 'body/size must be >= 1' } });
  const missing = await app.inject({ method: 'POST', url: '/orders' });
  assert.equal(missing.statusCode, 400);
  assert.equal(
    missing.json().error.message,
    "body must have required property 'size'",
    'not "body must be object"',
  );
});

test('a NUL character (no text column takes one) is a 400 naming where it is, in the body or the path, before the handler runs', async () => {
  const body = await app.inject({
    method: 'POST',
    url: '/orders',
    payload: '{"size":1,"lines":[{"sku":"a\\u0000b"}]}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(body.statusCode, 400);
  assert.deepEqual(body.json(), {
    error: {
      code: 'invalid_input',
      message: 'body/lines/0/sku must not contain the NUL character (U+0000)',
      details: { field: 'body/lines/0/sku' },
    },
  });
  const path = await app.inject({ method: 'GET', url: '/broken/a%00b' });
  assert.equal(path.statusCode, 400, 'before the route runs');
  assert.equal(path.json().error.details.field, 'params/how');
});

test('a DELETE needs no body: none, an empty one, `{}` and options are all accepted', async () => {
  const cases = [
    { what: 'no body, no content type', headers: {}, payload: undefined },
    { what: 'an empty JSON body', headers: { 'content-type': 'application/json' }, payload: '' },
    { what: '{}', headers: { 'content-type': 'application/json' }, payload: '{}' },
  ];
  for (const c of cases) {
    const r = await app.inject({
      method: 'DELETE',
      url: '/orders/1',
      headers: c.headers,
      payload: c.payload,
    });
    assert.equal(r.statusCode, 200, `${c.what}: ${r.body}`);
    assert.deepEqual(r.json(), { removed: true, force: false }, c.what);
  }
  const forced = await app.inject({ method: 'DELETE', url: '/orders/1', payload: { force: true } });
  assert.deepEqual(forced.json(), { removed: true, force: true });
  const wrong = await app.inject({ method: 'DELETE', url: '/orders/1', payload: { forse: true } });
  assert.equal(wrong.json().error.message, "body has unknown property 'forse'");
  for (const payload of [undefined, '']) {
    const r = await app.inject({
      method: 'DELETE',
      url: '/keys/k',
      payload,
      headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    });
    assert.equal(r.statusCode, 204, r.body);
  }
});

test('the OpenAPI document: signed operations require the signature, others nothing; servers is not empty', async () => {
  const doc = (await app.inject({ url: '/docs/json' })).json() as {
    servers: { url: string }[];
    paths: Record<string, Record<string, { operationId?: string; security?: unknown }>>;
  };
  assert.deepEqual(
    doc.servers.map((s) => s.url),
    ['/'],
  );
  assert.deepEqual(doc.paths['/orders']?.post?.security, []);
  assert.deepEqual(doc.paths['/orders']?.get?.security, []);
  assert.deepEqual(doc.paths['/orders/{id}']?.delete?.security, [{ signedRequest: [] }]);
  assert.deepEqual(doc.paths['/keys/{id}']?.delete?.security, [{ signedRequest: [] }]);
  assert.equal(doc.paths['/orders/{id}']?.delete?.operationId, 'removeOrder');
});

test('a database that cannot be reached is a 503 database_unavailable, not a 500; a bug stays a 500', async () => {
  for (const how of ['refused', 'cut']) {
    const res = await app.inject({ method: 'GET', url: `/broken/${how}` });
    assert.equal(res.statusCode, 503, how);
    assert.deepEqual(res.json(), {
      error: { code: 'database_unavailable', message: 'the database cannot be reached; retry' },
    });
  }
  const slow = await app.inject({ method: 'GET', url: '/broken/slow' });
  assert.equal(slow.statusCode, 503, 'a statement past statement_timeout');
  assert.equal(slow.json().error.code, 'database_busy');
  const bug = await app.inject({ method: 'GET', url: '/broken/bug' });
  assert.equal(bug.statusCode, 500);
  assert.equal(bug.json().error.code, 'internal');
});
