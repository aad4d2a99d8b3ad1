/**
 * The OpenAPI document a started server serves at `/docs/json`: every route listed once, each
 * with the SDK's name for it as `operationId` and its security requirement, and no error under
 * Redocly's recommended rules (what generators of clients in other languages rely on).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ErrorCode } from '@blgv/core';
import { LSPClient } from '@blgv/lsp-client';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { type InProcessApp, startInProcessApp } from './in-process-app.ts';

/** Each operation's id: the SDK method's name (`client.nodes.get` -> `nodesGet`). */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'GET /healthz': 'getHealth',
  'GET /v1/fees': 'getFees',
  'POST /v1/channels/quote': 'quoteChannel',
  'POST /v1/channels': 'requestChannel',
  'GET /v1/channels': 'listChannels',
  'GET /v1/channels/{id}': 'getChannelStatus',
  'GET /v1/account': 'getBalance',
  'GET /v1/account/ledger': 'getLedger',
  'POST /v1/account/topups': 'topUp',
  'GET /v1/account/topups/{paymentHash}': 'getTopup',
  'POST /v1/liquidity/reservations': 'requestLiquidity',
  'GET /v1/liquidity/reservations/{id}': 'getReservation',
  'POST /v1/liquidity/reservations/{id}/release': 'releaseReservation',
  'POST /v1/payments': 'sendPayment',
  'GET /v1/payments': 'listPayments',
  'GET /v1/payments/{paymentHash}': 'getPayment',
  'POST /v1/routing/quote': 'quotePayment',
  'GET /v1/events': 'listEvents',
  'POST /v1/admin/tenants': 'adminCreateTenant',
  'POST /v1/admin/keys': 'adminCreateKey',
  'DELETE /v1/admin/keys/{keyId}': 'adminRevokeKey',
  'GET /v1/admin/audit': 'adminAudit',
  'GET /v1/admin/jobs': 'adminJobs',
  'GET /v1/admin/jit-channels/{scid}': 'adminJitChannel',
  'GET /v1/admin/liquidity/purchases/{id}': 'adminLiquidityPurchase',
  'GET /v1/admin/routing/policy': 'adminRoutingPolicy',
  'PUT /v1/admin/routing/policy': 'adminSetRoutingPolicy',
  'GET /v1/admin/routing/rebalances': 'adminRebalances',
  'GET /v1/admin/lsp/metrics': 'adminLspMetrics',
  'GET /v1/admin/lsp/figures': 'adminFigures',
  'POST /v1/admin/lsps5/liquidity-request': 'adminLsps5LiquidityRequest',
  'POST /v1/webhooks': 'webhooksCreate',
  'GET /v1/webhooks': 'webhooksList',
  'GET /v1/webhooks/{id}': 'webhooksGet',
  'DELETE /v1/webhooks/{id}': 'webhooksRemove',
  'POST /v1/webhooks/{id}/enable': 'webhooksEnable',
  'GET /v1/webhooks/{id}/deliveries': 'webhooksDeliveries',
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': 'webhooksRedeliver',
  'POST /v1/nodes/quote': 'nodesQuote',
  'POST /v1/nodes': 'createHostedNode',
  'GET /v1/nodes': 'nodesList',
  'GET /v1/nodes/{id}': 'nodesGet',
  'POST /v1/nodes/{id}/seed/acknowledge': 'nodesAcknowledgeSeed',
  'POST /v1/nodes/{id}/stop': 'nodesStop',
  'POST /v1/nodes/{id}/start': 'nodesStart',
  'DELETE /v1/nodes/{id}': 'nodesRemove',
  'GET /v1/nodes/{id}/backup': 'nodesBackup',
  'POST /v1/nodes/{id}/macaroons': 'nodesBakeMacaroon',
  'GET /v1/nodes/{id}/macaroons': 'nodesMacaroons',
  'DELETE /v1/nodes/{id}/macaroons/{rootKeyId}': 'nodesRevokeMacaroon',
  'GET /v1/nodes/{id}/metrics': 'getNodeMetrics',
  'POST /lsps': 'callLsps',
  'GET /api/v1/info': 'flowInfo',
  'POST /api/v1/fee': 'flowFee',
  'POST /api/v1/proposal': 'flowProposal',
  'POST /v1/wrapped-invoices/fee': 'wrappedInvoiceFee',
  'POST /v1/wrapped-invoices': 'wrapInvoice',
  'GET /v1/wrapped-invoices/{id}': 'getWrappedInvoice',
};

/** Operations the SDK has no one method for (`/lsps` carries every LSPS method). */
const NOT_IN_SDK = new Set([
  'getHealth',
  'callLsps',
  'adminLsps5LiquidityRequest',
  // Flow 2.0's own routes, for wallets; the SDK's are the signed ones.
  'flowInfo',
  'flowFee',
  'flowProposal',
]);

/** Operations anyone may call: no signature. */
const UNSIGNED = new Set(['getHealth', 'flowInfo', 'flowFee', 'flowProposal']);

type Operation = { operationId?: string; security?: Record<string, string[]>[] };
type Document = { servers?: { url: string }[]; paths: Record<string, Record<string, Operation>> };

let lsp: InProcessApp;
let text: string;
let doc: Document;

before(async () => {
  lsp = await startInProcessApp();
  const url = await lsp.app.listen({ host: '127.0.0.1', port: 0 });
  const res = await fetch(`${url}/docs/json`);
  assert.equal(res.status, 200);
  text = await res.text();
  doc = JSON.parse(text) as Document;
});
after(() => lsp?.close());

/** Every operation of the document as `METHOD /path`. */
function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      op,
    ]),
  );
}

test("Redocly's recommended rules find no error in the document", async () => {
  const problems = await lintFromString({
    source: text,
    absoluteRef: 'openapi.json',
    config: await createConfig({ extends: ['recommended'] }),
  });
  const errors = problems
    .filter((p) => p.severity === 'error')
    .map((p) => `${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
  assert.deepEqual(errors, []);
  const warnings = problems.filter((p) => p.severity === 'warn').map((p) => p.ruleId);
  assert.ok(!warnings.includes('operation-operationId'), 'every operation has an operationId');
  assert.ok(!warnings.includes('no-unused-components'), 'the signed-request scheme is used');
});

test('each operation is named as the SDK names it, and requires the signature unless it is public', () => {
  const sdk = new LSPClient({ endpoint: 'http://127.0.0.1:1', apiKey: 'key_x', apiSecret: 'sk_x' });
  const found = Object.fromEntries(operations().map(([key, op]) => [key, op.operationId]));
  assert.deepEqual(found, OPERATION_IDS, 'every route, each with its name');
  assert.ok(doc.servers && doc.servers.length > 0, 'servers is not empty');
  for (const [key, op] of operations()) {
    const id = String(op.operationId);
    assert.deepEqual(op.security, UNSIGNED.has(id) ? [] : [{ signedRequest: [] }], key);
    if (NOT_IN_SDK.has(id)) continue;
    const nested = /^(nodes|webhooks|admin)([A-Z]\w*)$/.exec(id);
    const [owner, name] =
      nested?.[1] && nested[2]
        ? [nested[1], nested[2][0]?.toLowerCase() + nested[2].slice(1)]
        : [undefined, id];
    const target = (
      owner ? (sdk as unknown as Record<string, Record<string, unknown>>)[owner] : sdk
    ) as Record<string, unknown>;
    assert.equal(typeof target?.[name], 'function', `${key}: the SDK has ${owner ? `${owner}.` : ''}${name}`);
  }
});

test('docs/api.md names every route the server serves and every error code it answers', () => {
  const api = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');
  // The docs write a path's parameters as `:id`, the document as `{id}`.
  const routes = operations().map(([key]) => key.replace(/\{(\w+)\}/g, ':$1'));
  assert.deepEqual(
    routes.filter((r) => !api.includes(`\`${r}\``) && !api.includes(`\`${r}?`)), // `?`: its query
    [],
    'routes the API reference does not name',
  );
  assert.deepEqual(
    Object.values(ErrorCode).filter((code) => !api.includes(`\`${code}\``)),
    [],
    'error codes the API reference does not explain',
  );
});
