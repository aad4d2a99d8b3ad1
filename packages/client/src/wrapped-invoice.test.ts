import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { encodeBolt11, type FieldSpec, type InvoiceSpec, testKey } from './bolt11-encoder.test-support.ts';
import { LspApiError } from './errors.ts';
import { checkWrappedInvoice, verifyWrappedInvoice, type WrapFeeQuote } from './wrapped-invoice.ts';

const wallet = testKey(1);
const lsp = testKey(2);
const stranger = testKey(3);
const NOW = 1_750_000_000;
const HASH = '5a'.repeat(32);
const QUOTE: WrapFeeQuote = { amount_msat: 1_000_000, fee_amount_msat: 1_000_000, id: 'fee-1' };

interface Shape {
  readonly network?: InvoiceSpec['network'];
  readonly amountMsat?: bigint | undefined;
  readonly timestamp?: number;
  readonly expiry?: number;
  readonly cltv?: number;
  readonly hash?: string;
  readonly key?: Uint8Array;
}

function invoice(shape: Shape, defaults: Required<Omit<Shape, 'network' | 'amountMsat'>>): string {
  const fields: FieldSpec[] = [
    ['p', shape.hash ?? defaults.hash],
    ['s', '77'.repeat(32)],
    ['d', 'wrapped invoice test'],
    ['x', shape.expiry ?? defaults.expiry],
    ['c', shape.cltv ?? defaults.cltv],
    ['9', [8, 14, 17]],
  ];
  return encodeBolt11({
    network: shape.network ?? 'regtest',
    amountMsat: 'amountMsat' in shape ? shape.amountMsat : 50_000_000n,
    timestamp: shape.timestamp ?? defaults.timestamp,
    fields,
    privateKey: shape.key ?? defaults.key,
  });
}

/** The wallet's invoice: 50,000 sat, made 10 s ago, valid an hour, final CLTV 80. */
const original = (shape: Shape = {}) =>
  invoice(shape, { timestamp: NOW - 10, expiry: 3600, cltv: 80, hash: HASH, key: wallet.privateKey });

/** The LSP's wrap of it: +1,000 sat, made now, ending with the original, final CLTV 80 + 80. */
const wrapped = (shape: Shape = {}) =>
  invoice(
    { amountMsat: 51_000_000n, ...shape },
    { timestamp: NOW, expiry: 3590, cltv: 160, hash: HASH, key: lsp.privateKey },
  );

const codes = (o: string, w: string, quote: WrapFeeQuote = QUOTE, bounds = {}) =>
  checkWrappedInvoice(o, w, quote, lsp.pubkey, { nowSeconds: NOW, ...bounds }).failures.map((f) => f.code);

test('a wrap with the same hash, to the LSP, within the quote, expiry and CLTV passes', () => {
  const check = checkWrappedInvoice(original(), wrapped(), QUOTE, lsp.pubkey.toUpperCase(), {
    nowSeconds: NOW,
  });
  assert.deepEqual(check.failures, []);
  assert.equal(check.valid, true);
  assert.equal(check.feeMsat, 1_000_000n);
  assert.equal(check.wrapped?.payee, lsp.pubkey);
  assert.equal(check.original?.payee, wallet.pubkey);
  // A smaller fee than quoted; the quote under either name, as a number or a string; no fee at all.
  assert.deepEqual(codes(original(), wrapped({ amountMsat: 50_000_001n })), []);
  assert.deepEqual(codes(original(), wrapped(), { amount_msat: '1000000' }), []);
  assert.deepEqual(codes(original(), wrapped(), { fee_amount_msat: 1_000_000n }), []);
  assert.deepEqual(codes(original(), wrapped({ amountMsat: 50_000_000n }), { fee_amount_msat: 0 }), []);
});

test('each check fails alone on the one thing wrong', () => {
  assert.deepEqual(codes(original(), wrapped({ hash: 'a5'.repeat(32) })), ['payment_hash_mismatch']);
  assert.deepEqual(codes(original(), wrapped({ network: 'testnet' })), ['network_mismatch']);
  assert.deepEqual(codes(original(), wrapped({ key: stranger.privateKey })), ['payee_not_lsp']);
  assert.deepEqual(codes(original(), wrapped({ amountMsat: 51_000_001n })), ['fee_above_quote']);
  assert.deepEqual(codes(original(), wrapped({ amountMsat: 49_999_999n })), ['amount_below_original']);
  assert.deepEqual(codes(original({ amountMsat: undefined }), wrapped()), ['original_amount_missing']);
  assert.deepEqual(codes(original(), wrapped({ amountMsat: undefined })), ['wrapped_amount_missing']);
  assert.deepEqual(codes(original(), wrapped({ expiry: 3591 })), ['expires_after_original']);
  assert.deepEqual(codes(original(), wrapped(), QUOTE, { nowSeconds: NOW + 3590 }), ['expired']);
  assert.deepEqual(codes(original(), wrapped(), QUOTE, { nowSeconds: NOW + 3589 }), []);
  assert.deepEqual(codes(original(), wrapped({ cltv: 97 })), ['cltv_too_small']);
  assert.deepEqual(codes(original(), wrapped({ cltv: 98 })), []);
  assert.deepEqual(codes(original(), wrapped({ cltv: 577 })), ['cltv_too_large']);
  assert.deepEqual(codes(original(), wrapped({ cltv: 576 })), []);
  // The bounds are the caller's to set.
  assert.deepEqual(codes(original(), wrapped(), QUOTE, { minLspCltvDelta: 81 }), ['cltv_too_small']);
  assert.deepEqual(codes(original(), wrapped(), QUOTE, { maxFinalCltvExpiryDelta: 159 }), ['cltv_too_large']);
});

test('a quote with no readable fee fails, whatever the invoices', () => {
  for (const quote of [
    {},
    { fee_amount_msat: -1 },
    { amount_msat: 1.5 },
    { fee_amount_msat: '1e6' },
    { id: 'x' },
  ])
    assert.deepEqual(
      codes(original(), wrapped(), quote as WrapFeeQuote),
      ['fee_quote_invalid'],
      JSON.stringify(quote),
    );
  // fee_amount_msat is the one read when both are there.
  assert.deepEqual(codes(original(), wrapped(), { fee_amount_msat: 999_999, amount_msat: 5_000_000 }), [
    'fee_above_quote',
  ]);
});

test('every failed check is listed, with a message naming the figures', () => {
  // The LSP handed back the wallet's own invoice: not its node, and no CLTV for its hop.
  assert.deepEqual(codes(original(), original()), ['payee_not_lsp', 'cltv_too_small']);
  const check = checkWrappedInvoice(
    original(),
    wrapped({ network: 'bitcoin', hash: '00'.repeat(32), amountMsat: 60_000_000n, expiry: 7200, cltv: 1000 }),
    QUOTE,
    lsp.pubkey,
    { nowSeconds: NOW },
  );
  assert.equal(check.valid, false);
  assert.deepEqual(
    check.failures.map((f) => f.code),
    [
      'network_mismatch',
      'payment_hash_mismatch',
      'fee_above_quote',
      'expires_after_original',
      'cltv_too_large',
    ],
  );
  assert.match(check.failures[2]?.message ?? '', /10000000 msat, more than the quoted 1000000 msat/);
  assert.equal(check.feeMsat, 10_000_000n);
});

test('an invoice that does not decode is reported with the decoder code, and nothing else is judged', () => {
  const broken = `${wrapped().slice(0, -1)}q`;
  const check = checkWrappedInvoice(original(), broken, QUOTE, lsp.pubkey, { nowSeconds: NOW });
  assert.deepEqual(
    check.failures.map((f) => f.code),
    ['wrapped_invalid'],
  );
  assert.match(check.failures[0]?.message ?? '', /\(not_bech32\)/);
  assert.equal(check.original?.amountMsat, 50_000_000n);
  assert.deepEqual(codes('lnbc1nonsense', ''), ['original_invalid', 'wrapped_invalid']);
});

test("the LSP's node id is read from its GET /api/v1/info when not given", async (t) => {
  const seen: (string | undefined)[] = [];
  let answer: { status: number; body: string } = {
    status: 200,
    body: JSON.stringify({ pubkey: lsp.pubkey }),
  };
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['x-auth-token']}`);
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const options = { endpoint, headers: { 'x-auth-token': 'token-1' }, nowSeconds: NOW };

  const check = await verifyWrappedInvoice(original(), wrapped(), QUOTE, options);
  assert.deepEqual([check.valid, seen], [true, ['GET /api/v1/info token-1']]);
  const bad = await verifyWrappedInvoice(original(), wrapped({ key: stranger.privateKey }), QUOTE, options);
  assert.deepEqual(
    bad.failures.map((f) => f.code),
    ['payee_not_lsp'],
  );
  // Given outright, nothing is fetched.
  seen.length = 0;
  assert.equal(
    (await verifyWrappedInvoice(original(), wrapped(), QUOTE, { lspPubkey: lsp.pubkey, nowSeconds: NOW }))
      .valid,
    true,
  );
  assert.deepEqual(seen, []);

  answer = { status: 503, body: '{}' };
  await assert.rejects(verifyWrappedInvoice(original(), wrapped(), QUOTE, options), (e: unknown) => {
    return e instanceof LspApiError && e.code === 'http_error' && e.status === 503;
  });
  answer = { status: 200, body: JSON.stringify({ pubkey: 'not-a-key' }) };
  await assert.rejects(
    verifyWrappedInvoice(original(), wrapped(), QUOTE, options),
    (e: unknown) => e instanceof LspApiError && e.code === 'invalid_response',
  );
  server.close();
  await once(server, 'close');
  await assert.rejects(
    verifyWrappedInvoice(original(), wrapped(), QUOTE, options),
    (e: unknown) => e instanceof LspApiError && e.code === 'unreachable' && e.status === 0,
  );
});
