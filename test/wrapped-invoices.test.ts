/**
 * Story: a wallet on a stock lnd node (the release build, no hook: what Zeus embeds) gets a JIT
 * channel the Flow 2.0 way. It asks the LSP for its node and a fee, hands over its own 50,000 sat
 * invoice, and gets a wrapped invoice for the same payment hash. A payer pays the wrapped
 * invoice with no block mined: the LSP opens a zero-conf channel to the wallet, pays the wallet's
 * invoice over it, and settles with the preimage that returns. The funding transaction is
 * published only then.
 *
 * Before that, everything that must cost the LSP nothing: invoices it will not wrap (each a 400
 * naming why), a wallet that refuses the channel, one that takes the channel but never settles
 * the payment, and a payment to a random hash. In each the payer's HTLC fails back and no
 * funding transaction reaches the mempool or the chain; the audit ends clean.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Hex32, msat, parseHex32, sat } from '@blgv/core';
import { verifyWrappedInvoice } from '@blgv/lsp-client';
import type { LndNode } from '@blgv/regtest';
import {
  type Network,
  startNetwork,
  startStockWallet,
  startTestLsp,
  type TestLsp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { forgetPaymentFailures } from './support/mission-control.ts';
import {
  assertNothingSpent,
  height as chainHeight,
  mempool as chainMempool,
} from './support/nothing-spent.ts';

const AMOUNT_MSAT = 50_000_000n;

let net: Network;
let server: TestLsp;
let wallet: LndNode;
/** How the wallet answers: refuse the LSP's channel, or take it and cancel the payment's HTLC. */
const policy = { refuseChannel: false, refusePayment: false };
const streams = new AbortController();
/** The fees of the wrapped invoices paid so far (msat). */
const earned: bigint[] = [];

before(async () => {
  net = await startNetwork({ bob: { release: true } });
  const { h, alice, lsp, bob } = net;
  wallet = bob;
  server = await startTestLsp(net, {
    file: { wrapped: { nodeAddresses: [lsp.host], maxUnsettledPerWallet: 2 } },
  });
  await h.openChannel(alice, lsp, sat(1_000_000));
  // The wallet takes zero-conf channels from its LSP only, as a stock wallet's acceptor does.
  await startStockWallet(h, bob, lsp, streams.signal, { refuseChannel: () => policy.refuseChannel });
  let modifier = false;
  await bob.lnd.modifyInvoiceHtlcs(() => (policy.refusePayment ? { cancelSet: true } : {}), {
    signal: streams.signal,
    onConnected: () => (modifier = true),
  });
  await h.waitFor(() => modifier, { what: "the wallet's HTLC modifier" });
});
after(async () => {
  streams.abort();
  await server?.stop();
  await net?.h.stop();
});

/** Calls a Flow 2.0 route unsigned, as a wallet does. */
async function flow<T>(path: string, body?: object): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}/api/v1/${path}`, {
    method: body ? 'POST' : 'GET',
    ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface FeeAnswer {
  amount_msat: number;
  fee_amount_msat: number;
  id: string;
}

async function fee(amountMsat = AMOUNT_MSAT): Promise<FeeAnswer> {
  const r = await flow<FeeAnswer>('fee', { amount_msat: Number(amountMsat), pubkey: wallet.pubkey });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** The wallet's invoice, wrapped: the wrapped invoice and the fee it adds. */
async function wrapped(expirySeconds = 3600) {
  const quote = await fee();
  const invoice = await wallet.lnd.addInvoice({ amount: msat(AMOUNT_MSAT), expirySeconds }, within());
  const r = await flow<{ jit_bolt11: string }>('proposal', {
    bolt11: invoice.paymentRequest,
    fee_id: quote.id,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { invoice, jit: r.body.jit_bolt11, fee: BigInt(quote.fee_amount_msat), quote };
}

const mempool = () => chainMempool(net);
const height = () => chainHeight(net);

/** The wallet's channels with the LSP, open or pending. */
async function walletChannels() {
  const [open, pending] = await Promise.all([
    wallet.lnd.listChannels(within()),
    wallet.lnd.pendingChannels(within()),
  ]);
  return [...open, ...pending].filter((c) => c.remotePubkey === net.lsp.pubkey);
}

/** Pays `paymentRequest` from alice and returns the outcome. */
async function pay(paymentRequest: string) {
  await forgetPaymentFailures(net.alice);
  return net.alice.lnd.sendPayment(
    { paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 90, maxParts: 1 },
    within(150_000),
  );
}

test("the LSP's node and a fee, as Flow 2.0 clients read them", async () => {
  const info = await flow<{
    pubkey: string;
    connection_methods: { type: string; address: string; port: number }[];
  }>('info');
  assert.equal(info.status, 200);
  assert.equal(info.body.pubkey, net.lsp.pubkey);
  assert.deepEqual(info.body.connection_methods, [
    { type: 'ipv4', address: '127.0.0.1', port: Number(net.lsp.host.split(':')[1]) },
  ]);
  const q = await fee();
  assert.ok(q.fee_amount_msat > 0, 'a fee');
  assert.equal(q.amount_msat, q.fee_amount_msat, 'the fee under both names clients read');
  const small = await flow<{ status: string; reason: string }>('fee', {
    amount_msat: 1000,
    pubkey: wallet.pubkey,
  });
  assert.equal(small.status, 400);
  assert.match(small.body.reason, /amount_msat 1000 is outside/);
  const badKey = await flow<{ reason: string }>('fee', { amount_msat: Number(AMOUNT_MSAT), pubkey: 'nope' });
  assert.equal(badKey.status, 400);
  assert.match(badKey.body.reason, /pubkey/);
});

test('invoices the LSP will not wrap are refused, each with its reason, and nothing is made', async () => {
  const quote = await fee();
  const refusal = async (bolt11: string, feeId = quote.id) => {
    const r = await flow<{ status: string; reason: string; error: { code: string } }>('proposal', {
      bolt11,
      fee_id: feeId,
    });
    assert.equal(r.body.status, 'ERROR');
    return { status: r.status, reason: r.body.reason };
  };
  const noAmount = await wallet.lnd.addInvoice({}, within());
  assert.deepEqual(await refusal(noAmount.paymentRequest), {
    status: 400,
    reason: 'bolt11 cannot be wrapped: the invoice has no amount; wrap only invoices with one',
  });
  const short = await wallet.lnd.addInvoice({ amount: msat(AMOUNT_MSAT), expirySeconds: 120 }, within());
  assert.match(
    (await refusal(short.paymentRequest)).reason,
    /expires in 1\d\d s; wrapping needs at least 180 s/,
  );
  const other = await wallet.lnd.addInvoice({ amount: msat(AMOUNT_MSAT + 1n) }, within());
  assert.match((await refusal(other.paymentRequest)).reason, /the fee was quoted for 50000000 msat/);
  const known = await wallet.lnd.addInvoice({ amount: msat(AMOUNT_MSAT) }, within());
  assert.match(
    (await refusal(known.paymentRequest, randomBytes(16).toString('hex'))).reason,
    /not a fee this LSP quoted/,
  );
  // BOLT 11's own example: a mainnet invoice.
  const mainnet =
    'lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh';
  assert.match((await refusal(mainnet)).reason, /another network/);
  assert.equal((await refusal('hello')).status, 400);
  // One hash, one wrapping: the same invoice twice is a conflict.
  const first = await flow<{ jit_bolt11: string }>('proposal', {
    bolt11: known.paymentRequest,
    fee_id: quote.id,
  });
  assert.equal(first.status, 200);
  const again = await refusal(known.paymentRequest);
  assert.equal(again.status, 409);
  assert.match(again.reason, /already in use/);
  await wallet.lnd.cancelInvoice(known.paymentHash, within());
});

test('a wallet that is offline when the payment comes: the payer’s HTLC fails back, nothing is published', async () => {
  const balance = (await net.lsp.lnd.walletBalance(within())).confirmed;
  const [pool, h0] = [await mempool(), await height()];
  const { jit } = await wrapped();
  // The wallet goes away (it has no channel yet, so neither side reconnects).
  await wallet.lnd.disconnectPeer(net.lsp.pubkey, within());
  await net.h.waitFor(
    async () =>
      (await net.lsp.lnd.listPeers(within())).some((p) => p.pubkey === wallet.pubkey) ? undefined : true,
    { what: 'the wallet offline for the LSP' },
  );
  try {
    const r = await pay(jit);
    assert.equal(r.status, 'failed', 'the payer is not charged');
  } finally {
    await wallet.lnd.connectPeer(net.lsp.pubkey, net.lsp.host, within());
  }
  assert.deepEqual(await walletChannels(), [], 'no channel');
  await assertNothingSpent(net, balance, pool, h0);
});

test('a wallet that refuses the channel: the payer’s HTLC fails back, nothing is published', async () => {
  const balance = (await net.lsp.lnd.walletBalance(within())).confirmed;
  const [pool, h0] = [await mempool(), await height()];
  const { jit } = await wrapped();
  policy.refuseChannel = true;
  try {
    const r = await pay(jit);
    assert.equal(r.status, 'failed', 'the payer is not charged');
  } finally {
    policy.refuseChannel = false;
  }
  assert.deepEqual(await walletChannels(), [], 'no channel');
  await assertNothingSpent(net, balance, pool, h0);
});

test('a wallet that takes the channel but never settles: funding withheld, channel abandoned, inputs back', async () => {
  const balance = (await net.lsp.lnd.walletBalance(within())).confirmed;
  const [pool, h0] = [await mempool(), await height()];
  const { jit } = await wrapped();
  policy.refusePayment = true;
  try {
    const r = await pay(jit);
    assert.equal(r.status, 'failed', 'the payer is not charged');
  } finally {
    policy.refusePayment = false;
  }
  await assertNothingSpent(net, balance, pool, h0);
  await net.h.waitFor(
    async () =>
      (await net.lsp.lnd.listChannels(within())).some((c) => c.remotePubkey === wallet.pubkey)
        ? undefined
        : true,
    { what: 'the LSP to abandon the channel it never funded' },
  );
  await assertCleanAudit(server);
});

test('a payment to a random hash stops at the LSP and opens nothing', async () => {
  const { invoice } = await wrapped();
  const channels = (await net.lsp.lnd.listChannels(within())).length;
  await forgetPaymentFailures(net.alice);
  const probe = await net.alice.lnd.probe(
    { destination: net.lsp.pubkey, amount: msat(AMOUNT_MSAT + 5_000_000n), timeoutSeconds: 30 },
    within(60_000),
  );
  assert.equal(probe.status, 'failed');
  assert.equal(probe.status === 'failed' && probe.reason, 'incorrect_payment_details');
  assert.equal((await net.lsp.lnd.listChannels(within())).length, channels, 'no channel opened');
  await wallet.lnd.cancelInvoice(parseHex32(invoice.paymentHash), within());
});

test('paid with no block mined: the wallet gets exactly its invoice, the LSP its fee, one channel', async () => {
  const h0 = await height();
  const { invoice, jit, fee: quoted, quote } = await wrapped();
  // The wallet checks the wrapped invoice before handing it out, as the SDK does it.
  const check = await verifyWrappedInvoice(invoice.paymentRequest, jit, quote, { endpoint: server.url });
  assert.deepEqual(check.failures, [], 'the SDK finds nothing wrong with the wrapped invoice');
  const decoded = await net.alice.lnd.decodePaymentRequest(jit, within());
  assert.equal(decoded.paymentHash, invoice.paymentHash, 'the same payment hash');
  assert.equal(decoded.destination, net.lsp.pubkey, 'paid to the LSP');
  assert.equal(decoded.amount, AMOUNT_MSAT + quoted, "the wallet's amount plus the quoted fee");

  const r = await pay(jit);
  assert.equal(
    r.status,
    'succeeded',
    JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
  );
  assert.equal(r.status === 'succeeded' && r.amount, AMOUNT_MSAT + quoted);

  const paid = await wallet.lnd.lookupInvoice(invoice.paymentHash as Hex32, within());
  assert.equal(paid.state, 'settled');
  assert.equal(paid.amountPaid, AMOUNT_MSAT, 'the wallet received exactly its invoice');
  const held = await net.lsp.lnd.lookupInvoice(invoice.paymentHash as Hex32, within());
  assert.equal(held.state, 'settled');
  assert.equal(held.amountPaid, AMOUNT_MSAT + quoted, 'the LSP was paid the amount and its fee');
  // One channel: the LSP has exactly one with the wallet (the one it withheld earlier it abandoned;
  // the wallet forgets its side once that funding never confirms), and the wallet has it too.
  // The payer has the preimage once the wallet settled; the LSP's side of the channel shows the
  // wallet's balance once the HTLC is also removed from the commitment (a round trip later).
  const lspSide = await net.h.waitFor(
    async () => {
      const mine = (await net.lsp.lnd.listChannels(within())).filter((c) => c.remotePubkey === wallet.pubkey);
      return mine.every((c) => c.pendingHtlcs === 0) ? mine : undefined;
    },
    { what: "the LSP's channel with the wallet to have no HTLC in flight" },
  );
  assert.equal(lspSide.length, 1, 'exactly one channel');
  const [channel] = lspSide;
  assert.ok(channel);
  assert.ok(
    (await walletChannels()).some((c) => c.channelPoint.txid === channel.channelPoint.txid),
    'the wallet has the channel',
  );
  assert.equal(channel.remoteBalance, sat(AMOUNT_MSAT / 1000n), 'holding what the wallet was paid');
  // Published only now that the preimage is out: the funding is in the mempool, not mined.
  await net.h.waitFor(
    async () => ((await mempool()).includes(channel.channelPoint.txid) ? true : undefined),
    {
      what: 'the funding transaction in the mempool',
    },
  );
  assert.equal(await height(), h0, 'no block was mined');
  const report = await assertCleanAudit(server);
  assert.equal(report.totals.wrappedFeesMsat, Number(quoted), 'the fee earned, as the audit counts it');
  earned.push(quoted);
});

test('a tenant wraps through the signed API: the wallet’s channel has room, so it is paid over it', async () => {
  const { client } = await server.newTenant('wallet-vendor');
  const amountMsat = 20_000_000n;
  const channelsBefore = (await net.lsp.lnd.listChannels(within())).filter(
    (c) => c.remotePubkey === wallet.pubkey,
  );
  assert.equal(channelsBefore.length, 1);
  const quote = await client.wrappedInvoiceFee({
    amountMsat: amountMsat.toString(),
    walletPubkey: wallet.pubkey,
  });
  const invoice = await wallet.lnd.addInvoice({ amount: msat(amountMsat) }, within());
  const w = await client.wrapInvoice({ invoice: invoice.paymentRequest, feeId: quote.feeId });
  assert.equal(w.state, 'awaiting_payment');
  assert.equal(w.paymentHash, invoice.paymentHash);
  assert.equal(w.feeMsat, quote.feeMsat);
  // A fee id is its tenant's own: another tenant cannot use it.
  const other = await server.newTenant('other-vendor');
  await assert.rejects(
    other.client.wrapInvoice({ invoice: invoice.paymentRequest, feeId: quote.feeId }),
    (e: Error) => /not a fee this LSP quoted/.test(e.message),
  );
  await assert.rejects(other.client.getWrappedInvoice(w.id), (e: Error) =>
    /no wrapped invoice/.test(e.message),
  );

  const r = await pay(w.wrappedInvoice);
  assert.equal(r.status, 'succeeded');
  const done = await net.h.waitFor(
    async () => {
      const now = await client.getWrappedInvoice(w.id);
      return now.state === 'completed' ? now : undefined;
    },
    { what: 'the wrapped invoice completed' },
  );
  assert.equal(done.channelScid, String(channelsBefore[0]?.scid), 'over the channel the wallet had');
  const paid = await wallet.lnd.lookupInvoice(invoice.paymentHash as Hex32, within());
  assert.equal(paid.amountPaid, amountMsat, 'the wallet received exactly its invoice');
  earned.push(BigInt(quote.feeMsat));
  // The operator's figures count the fees as revenue of their own.
  const figures = await server.admin.admin.figures('24h');
  assert.equal(
    figures.revenue.bySource.wrapped_fees,
    earned.reduce((a, b) => a + b, 0n).toString(),
    'the wrapped invoices’ fees in the figures',
  );
  assert.equal(
    (await net.lsp.lnd.listChannels(within())).filter((c) => c.remotePubkey === wallet.pubkey).length,
    1,
    'no new channel',
  );
  await assertCleanAudit(server);
});

test('the LSP’s payments of wallets’ invoices count as `wrapped`, the one a wallet refused too, never as a probe', async () => {
  // Two wallets' invoices paid above (one over a new channel, one over the channel it had), and
  // one refused by the wallet that never settles: that one fails at its destination as a
  // probe's random hash does, and was counted a probe before the LSP recorded its purpose.
  const m = await net.h.waitFor(
    async () => {
      const now = await server.admin.admin.lspMetrics();
      const w = now.paymentsByPurpose.wrapped;
      return w.succeeded >= 2 && w.failed >= 1 ? now : undefined;
    },
    { what: 'the node monitor to count the wallets’ payments as wrapped' },
  );
  assert.deepEqual(
    { succeeded: m.paymentsByPurpose.wrapped.succeeded, failed: m.paymentsByPurpose.wrapped.failed },
    { succeeded: 2, failed: 1 },
  );
  // They are payments made for someone: counted in the node's payments and success rate.
  assert.ok(m.payments.succeeded >= 2 && m.payments.failed >= 1, JSON.stringify(m.payments));
});
