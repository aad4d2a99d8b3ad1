/**
 * Story: three wallets on stock lnd nodes (the release build, as Zeus embeds it) each hand the
 * LSP an invoice the Flow 2.0 way, and a payer pays the three wrapped invoices at once. Their
 * channels are opened together (`wrapped.batchWindowMs`): one withheld funding for the three,
 * published with the first wallet's preimage. Each wallet gets exactly its invoice,
 * the LSP its fees; the audit ends clean. Then a batch in which one wallet never settles (its
 * invoice cancelled): the others are paid and the funding published with their preimages, so the
 * unpaid wallet's channel is on chain too; the LSP closes it at once, at its own cost.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex32, msat, sat } from '@blgv/core';
import { Harness, type LndNode } from '@blgv/regtest';
import {
  fundingTransactions,
  payAtOnce,
  settledChannels,
  startStockWallet,
  startTestLsp,
  type TestLsp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { assertUnpaidChannelCost } from './support/unpaid-channel.ts';

const WALLETS = 3;
const METRICS_TOKEN = 'wrapped-burst-metrics-token';
const AMOUNT = msat(50_000_000n);

let h: Harness;
let alice: LndNode;
let lsp: LndNode;
let wallets: LndNode[];
let server: TestLsp;
const streams = new AbortController();

before(async () => {
  h = await Harness.start();
  const nodes = await Promise.all([
    h.newNode('alice'),
    h.newNode('lsp'),
    ...Array.from({ length: WALLETS }, (_, i) => h.newNode(`wallet${i}`, { release: true })),
  ]);
  [alice, lsp, ...wallets] = nodes as [LndNode, LndNode, ...LndNode[]];
  await h.fund([alice, sat(5_000_000)], [lsp, sat(3_000_000)]);
  server = await startTestLsp(
    { h, alice, lsp, bob: alice },
    // A window wide enough for payments sent together to reach the LSP within it on a busy
    // test machine (the default is 50 ms).
    {
      file: {
        wrapped: { nodeAddresses: [lsp.host], batchWindowMs: 500 },
        monitoring: { prometheusToken: METRICS_TOKEN },
      },
    },
  );
  const channel = await h.openChannel(alice, lsp, sat(1_000_000));
  await h.waitCanSend(alice, lsp, channel.scid, msat(AMOUNT * BigInt(2 * WALLETS)));
  for (const w of wallets) await startStockWallet(h, w, lsp, streams.signal);
});
after(async () => {
  streams.abort();
  await server?.stop();
  await h?.stop();
});

/** A Flow 2.0 call, unsigned, as a wallet makes it. */
async function flow<T>(path: string, body: object): Promise<T> {
  const res = await fetch(`${server.url}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as T;
  assert.equal(res.status, 200, JSON.stringify(answer));
  return answer;
}

/** `wallet`'s invoice of `amount`, wrapped; with the wallet's own invoice's hash. */
async function wrappedFor(wallet: LndNode, amount = AMOUNT): Promise<{ wrapped: string; hash: Hex32 }> {
  const quote = await flow<{ id: string }>('fee', { amount_msat: Number(amount), pubkey: wallet.pubkey });
  const invoice = await wallet.lnd.addInvoice({ amount, expirySeconds: 3600 }, within());
  const r = await flow<{ jit_bolt11: string }>('proposal', {
    bolt11: invoice.paymentRequest,
    fee_id: quote.id,
  });
  return { wrapped: r.jit_bolt11, hash: invoice.paymentHash };
}

const pointKey = (c: { channelPoint: { txid: string; outputIndex: number } }) =>
  `${c.channelPoint.txid}:${c.channelPoint.outputIndex}`;

test('three wrapped invoices paid at once: one withheld funding for their channels, each wallet paid exactly', async () => {
  const invoices = (await Promise.all(wallets.map((w) => wrappedFor(w)))).map((i) => i.wrapped);
  const outcomes = await payAtOnce(alice, invoices);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    Array(WALLETS).fill('succeeded'),
    JSON.stringify(outcomes),
  );
  for (const w of wallets) {
    const channels = await settledChannels(h, w);
    assert.equal(channels.length, 1, `${w.name} has one channel`);
    assert.equal(channels[0]?.localBalance, sat(AMOUNT / 1000n), `${w.name} holds exactly its invoice`);
  }
  const txs = await fundingTransactions(lsp, wallets);
  assert.equal(txs.size, 1, `one funding for the ${WALLETS} channels: ${JSON.stringify([...txs])}`);
  await assertCleanAudit(server);
});

test('a batch in which one wallet never settles: the others are paid, its channel went out with theirs and the LSP closes it', async () => {
  // Twice the first payment: more than the channels the wallets have can take, so each needs a
  // new one again.
  const amount = msat(AMOUNT * 2n);
  const [unpaid, ...payers] = wallets as [LndNode, ...LndNode[]];
  const before = new Map<string, Set<string>>();
  for (const w of wallets) before.set(w.name, new Set((await w.lnd.listChannels(within())).map(pointKey)));
  const [never, ...others] = await Promise.all([unpaid, ...payers].map((w) => wrappedFor(w, amount)));
  assert.ok(never);
  // The wallet forgets its invoice: it fails the LSP's payment to it, never settling.
  await unpaid.lnd.cancelInvoice(never.hash, within());

  const [neverOutcome, ...othersOutcomes] = await payAtOnce(alice, [
    never.wrapped,
    ...others.map((o) => o.wrapped),
  ]);
  assert.equal(neverOutcome?.status, 'failed', JSON.stringify(neverOutcome));
  assert.deepEqual(
    othersOutcomes.map((o) => o.status),
    Array(WALLETS - 1).fill('succeeded'),
    JSON.stringify(othersOutcomes),
  );
  for (const w of payers) {
    const fresh = (await settledChannels(h, w)).filter((c) => !before.get(w.name)?.has(pointKey(c)));
    assert.equal(fresh.length, 1, `${w.name} has one new channel`);
    assert.equal(fresh[0]?.localBalance, sat(amount / 1000n), `${w.name} holds exactly its invoice in it`);
  }
  // The unpaid wallet's new channel came with the others' (one funding, published with their
  // preimages), and the LSP closes it.
  const closing = await h.waitFor(
    async () =>
      (await lsp.lnd.closingChannels(within())).find(
        (c) => c.remotePubkey === unpaid.pubkey && !before.get(unpaid.name)?.has(pointKey(c)),
      ),
    { what: 'the LSP to close the channel of the wallet that never settled' },
  );
  const txs = await fundingTransactions(lsp, payers);
  assert.ok(txs.has(closing.channelPoint.txid), 'the unpaid channel was funded with the others');
  assert.equal(
    (await unpaid.lnd.listChannels(within())).filter((c) => !before.get(unpaid.name)?.has(pointKey(c)))
      .length,
    0,
    'the wallet that never paid keeps no new channel open',
  );
  // What it cost the LSP is its own expense, shown in the figures and /metrics.
  const share = await assertUnpaidChannelCost(
    h,
    server,
    closing.channelPoint.txid,
    (txs.get(closing.channelPoint.txid) ?? 0) + 1,
  );
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  assert.match(text, /^lsp_unpaid_channels_total 1$/m);
  assert.match(text, new RegExp(`^lsp_unpaid_channels_funding_share_sat_total ${share}$`, 'm'));
  await assertCleanAudit(server);
});
