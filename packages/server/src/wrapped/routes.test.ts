/**
 * The Flow 2.0 routes at the HTTP level: behind a bearer token when one is set, rate-limited
 * per address and per wallet pubkey, their errors in the shape Flow clients read, and the fee
 * quote a proposal names checked before anything is made.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type InProcessApp, startInProcessApp } from '../app/in-process-app.ts';

const TOKEN = 'flow-token-0123456789';
/** A valid node key (secp256k1's generator). */
const WALLET = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';

let lsp: InProcessApp;

before(async () => {
  lsp = await startInProcessApp({ wrapped: { bearerToken: TOKEN, requestsPerMinute: 3 } });
});
after(() => lsp?.close());

function fee(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return lsp.app.inject({
    method: 'POST',
    url: '/api/v1/fee',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

test('without the bearer token the Flow routes answer 401, in the shape Flow clients read', async () => {
  const r = await fee({ amount_msat: 50_000_000, pubkey: WALLET }, {});
  assert.equal(r.statusCode, 401);
  const body = r.json() as { status: string; reason: string; error: { code: string } };
  assert.equal(body.status, 'ERROR');
  assert.match(body.reason, /Bearer/);
  assert.equal(body.error.code, 'unauthorized');
});

test('a fee is quoted under both names; a bad body is a 400 naming what is wrong', async () => {
  const r = await fee({ amount_msat: 50_000_000, pubkey: WALLET });
  assert.equal(r.statusCode, 200, r.body);
  const q = r.json() as { amount_msat: number; fee_amount_msat: number; id: string };
  assert.equal(q.amount_msat, q.fee_amount_msat);
  // 1,000 sat base fee plus the channel's network fee at 2 sat/vB: never below what the open costs.
  assert.ok(q.fee_amount_msat >= 1_000_000, String(q.fee_amount_msat));
  const extra = await fee({ amount_msat: 50_000_000, pubkey: WALLET, tip: 1 });
  assert.equal(extra.statusCode, 400);
  assert.match((extra.json() as { reason: string }).reason, /tip/);
  const fraction = await fee({ amount_msat: 1.5, pubkey: WALLET });
  assert.equal(fraction.statusCode, 400, 'msat are integers');
});

test('a proposal naming a fee this LSP never quoted is refused before anything is made', async () => {
  const r = await lsp.app.inject({
    method: 'POST',
    url: '/api/v1/proposal',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    payload: JSON.stringify({ bolt11: 'not an invoice', fee_id: '00000000-0000-0000-0000-000000000000' }),
  });
  assert.equal(r.statusCode, 400);
  assert.match((r.json() as { reason: string }).reason, /not a BOLT11 invoice/);
});

test('a caller asking too often is slowed down (429)', async () => {
  const other = '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5';
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++)
    statuses.push((await fee({ amount_msat: 50_000_000, pubkey: other })).statusCode);
  assert.ok(statuses.includes(429), statuses.join(','));
  const limited = await fee({ amount_msat: 50_000_000, pubkey: other });
  assert.equal(limited.statusCode, 429);
  assert.match((limited.json() as { reason: string }).reason, /too many requests/);
});
