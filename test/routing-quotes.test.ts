/**
 * Story: an exchange asks what a payment will cost before paying it (`POST /v1/routing/quote`,
 * the SDK's `quotePayment`), on a regtest graph of five nodes besides the LSP with skewed
 * liquidity. A probed quote for an invoice four hops away is within 1 sat + 1 % of the fee the
 * payment then pays; so is one for a private node behind another node's route hint (LND probes
 * to that node and adds the hint's fee). A quote from the graph alone answers without a probe;
 * quotes are cached briefly, limited per tenant, and never touch the balance; bad input is a 400
 * naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import type { LndNode } from '@blgv/regtest';
import {
  type Network,
  type RoutingGraph,
  startNetwork,
  startRoutingGraph,
  startTestLsp,
  type TestLsp,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

/** BOLT 11's first example invoice: valid, signed, and for mainnet (`lnbc`). */
const MAINNET_INVOICE =
  'lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls087fxdwk8qakdyafkq3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7mlcwspyetp5h2tztugp9lfyql';

const QUOTES_PER_WINDOW = 25;

let net: Network;
let graph: RoutingGraph;
/** A private node behind frank: reached only through its invoices' route hints. */
let hank: LndNode;
let lsp: TestLsp;
let exchange: LSPClient;

before(async () => {
  net = await startNetwork();
  hank = await net.h.newNode('hank');
  graph = await startRoutingGraph(net, {
    extra: ({ frank }) => [
      { from: net.alice, to: net.lsp, amount: sat(1_000_000) },
      { from: frank, to: hank, amount: sat(1_000_000), private: true },
    ],
  });
  lsp = await startTestLsp(net, {
    file: { routing: { quotes: { cacheSeconds: 10, maxPerWindow: QUOTES_PER_WINDOW, windowSeconds: 600 } } },
  });
  exchange = (await lsp.newTenant('exchange')).client;
  await topUp(net.h, net.alice, exchange, 300_000);
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

async function invoiceOf(
  node: LndNode,
  amountSat: number,
  options: { private?: boolean; expirySeconds?: number } = {},
) {
  return node.lnd.addInvoice(
    { amount: msat(BigInt(amountSat) * 1000n), memo: 'withdrawal', ...options },
    within(),
  );
}

/** The refusal a call ends with. */
async function refusal(call: Promise<unknown>): Promise<LspApiError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof LspApiError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

/** Asserts a quoted fee is within 1 sat + 1 % of the fee paid (msat). */
function assertClose(quotedMsat: bigint, paidMsat: bigint, what: string) {
  const diff = quotedMsat > paidMsat ? quotedMsat - paidMsat : paidMsat - quotedMsat;
  assert.ok(diff <= 1_000n + paidMsat / 100n, `${what}: quoted ${quotedMsat} msat, paid ${paidMsat} msat`);
}

test('a probed quote for an invoice four hops away is within 1 sat + 1 % of the fee the payment pays', async () => {
  const balance = (await exchange.getBalance()).balance;
  const ledgerSize = (await exchange.getLedger()).entries.length;
  const invoice = await invoiceOf(graph.gina, 100_000);

  // From the graph alone (the default): a route's fee, time lock, one part, odds.
  const fromGraph = await exchange.quotePayment({ invoice: invoice.paymentRequest });
  assert.equal(fromGraph.mode, 'graph');
  assert.equal(fromGraph.destination, graph.gina.pubkey);
  assert.equal(fromGraph.amountMsat, '100000000');
  assert.ok(BigInt(fromGraph.feeMsat) > 0n, 'three hops take a fee');
  assert.equal(fromGraph.feeSat, Math.ceil(Number(fromGraph.feeMsat) / 1000));
  assert.ok(fromGraph.timeLockDelta > 0, `time lock ${fromGraph.timeLockDelta}`);
  assert.equal(fromGraph.parts, 1);
  assert.equal(fromGraph.cached, false);
  assert.ok(fromGraph.successProbability !== null && fromGraph.successProbability > 0);
  // The same request again, moments later: from the cache.
  const again = await exchange.quotePayment({ invoice: invoice.paymentRequest });
  assert.deepEqual(again, { ...fromGraph, cached: true });

  const probed = await exchange.quotePayment({ invoice: invoice.paymentRequest, probe: true });
  assert.equal(probed.mode, 'probe');
  assert.equal(probed.cached, false);
  assert.ok(BigInt(probed.feeMsat) > 0n);
  assert.ok(probed.timeLockDelta > 0);
  assert.ok(probed.successProbability !== null && probed.successProbability > 0);
  // The graph's cheapest route (through dave, who holds 5 % of his channel to frank) cannot carry
  // 100,000 sat: the probe learns it and quotes the dearer route that can.
  assert.ok(
    BigInt(fromGraph.feeMsat) < BigInt(probed.feeMsat),
    `graph ${fromGraph.feeMsat} msat, probed ${probed.feeMsat} msat`,
  );

  // Quotes touch no balance.
  assert.equal((await exchange.getBalance()).balance, balance);
  assert.equal((await exchange.getLedger()).entries.length, ledgerSize);

  const payment = await exchange.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(payment.status, 'succeeded', payment.failure ?? '');
  assert.ok(payment.feePaidMsat !== null);
  assertClose(BigInt(probed.feeMsat), BigInt(payment.feePaidMsat), 'probed quote');
  const settled = await graph.gina.lnd.lookupInvoice(invoice.paymentHash, within());
  assert.equal(settled.state, 'settled');
  await assertCleanAudit(lsp);
});

test("an invoice of a private node behind another node's route hint: LND probes to that node and adds the hint's fee", async () => {
  const invoice = await invoiceOf(hank, 50_000, { private: true });
  const probed = await exchange.quotePayment({ invoice: invoice.paymentRequest, probe: true });
  assert.equal(probed.mode, 'probe');
  assert.equal(probed.destination, hank.pubkey);
  // frank's hint: 1,000 msat + 5 ppm of 50,000,000 msat = 1,250 msat at least.
  assert.ok(BigInt(probed.feeMsat) >= 1_250n, `fee ${probed.feeMsat}`);
  // The graph alone knows no path to a private node (graph mode does not read route hints).
  const fromGraph = await refusal(exchange.quotePayment({ invoice: invoice.paymentRequest }));
  assert.equal(fromGraph.status, 422);
  assert.equal(fromGraph.code, 'lightning_rejected');

  const payment = await exchange.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(payment.status, 'succeeded', payment.failure ?? '');
  assert.ok(payment.feePaidMsat !== null);
  assertClose(BigInt(probed.feeMsat), BigInt(payment.feePaidMsat), 'quote through the route hint');
  await assertCleanAudit(lsp);
});

test('a graph quote for a destination and amount answers without a probe', async () => {
  const quote = await exchange.quotePayment({ destination: graph.gina.pubkey, amountSat: 40_000 });
  assert.equal(quote.mode, 'graph');
  assert.equal(quote.amountMsat, '40000000');
  assert.ok(BigInt(quote.feeMsat) > 0n);
  assert.ok(
    quote.successProbability !== null && quote.successProbability > 0 && quote.successProbability <= 1,
  );
});

test('bad input is a 400 naming the field', async () => {
  const cases: [string, Parameters<LSPClient['quotePayment']>[0], string][] = [
    ['an invoice for another network', { invoice: MAINNET_INVOICE }, 'invoice'],
    ['not an invoice', { invoice: 'lnbcrt1nonsense' }, 'invoice'],
    ['a zero amount', { destination: graph.gina.pubkey, amountSat: 0 }, 'amountSat'],
    ['a negative amount', { destination: graph.gina.pubkey, amountSat: -5 }, 'amountSat'],
    ['a malformed destination', { destination: 'zz', amountSat: 1_000 }, 'destination'],
    ['an uncompressed key', { destination: `04${'11'.repeat(64)}`, amountSat: 1_000 }, 'destination'],
    ['a destination without an amount', { destination: graph.gina.pubkey }, 'amountSat'],
    [
      'a probe without an invoice',
      { destination: graph.gina.pubkey, amountSat: 1_000, probe: true },
      'probe',
    ],
    ['nothing to quote', {}, 'invoice'],
  ];
  for (const [what, body, field] of cases) {
    const err = await refusal(exchange.quotePayment(body));
    assert.equal(err.status, 400, `${what}: ${err.status} ${err.message}`);
    assert.equal(err.details?.field, field, `${what}: ${err.message}`);
  }
  const amounted = await invoiceOf(graph.gina, 1_000);
  const both = await refusal(exchange.quotePayment({ invoice: amounted.paymentRequest, amountSat: 1_000 }));
  assert.equal(both.status, 400);
  assert.equal(both.details?.field, 'amountSat');

  // An expired invoice: one second of validity, then quoted once it has passed.
  const short = await invoiceOf(graph.gina, 1_000, { expirySeconds: 1 });
  const made = Date.now();
  await net.h.waitFor(() => Date.now() - made > 2_000, { what: 'the invoice to expire', intervalMs: 100 });
  const expired = await refusal(exchange.quotePayment({ invoice: short.paymentRequest }));
  assert.equal(expired.status, 400);
  assert.equal(expired.code, 'invoice_expired');
  assert.equal(expired.details?.field, 'invoice');
});

test('quotes are limited per tenant: past the limit a 429, other tenants unaffected', async () => {
  const chatty = (await lsp.newTenant('chatty')).client;
  for (let i = 0; i < QUOTES_PER_WINDOW; i++) {
    // Cached answers count too.
    await chatty.quotePayment({ destination: graph.erin.pubkey, amountSat: 1_000 });
  }
  const over = await refusal(chatty.quotePayment({ destination: graph.erin.pubkey, amountSat: 1_000 }));
  assert.equal(over.status, 429);
  assert.equal(over.code, 'rate_limited');
  assert.ok(Number(over.details?.retryAfterSeconds) > 0);
  const other = await exchange.quotePayment({ destination: graph.erin.pubkey, amountSat: 1_000 });
  assert.equal(other.mode, 'graph');
  await assertCleanAudit(lsp);
});
