/**
 * Story: three wallets on stock lnd nodes (the release build, as Zeus embeds it) each hand the
 * LSP an invoice the Flow 2.0 way, and a payer pays the three wrapped invoices at once. Their
 * channels are opened together (`wrapped.batchWindowMs`): one withheld funding for the three,
 * published with the first wallet's preimage. Each wallet gets exactly its invoice,
 * the LSP its fees; the audit ends clean.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
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

const WALLETS = 3;
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
    { file: { wrapped: { nodeAddresses: [lsp.host], batchWindowMs: 500 } } },
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

/** `wallet`'s invoice of AMOUNT, wrapped. */
async function wrappedFor(wallet: LndNode): Promise<string> {
  const quote = await flow<{ id: string }>('fee', { amount_msat: Number(AMOUNT), pubkey: wallet.pubkey });
  const invoice = await wallet.lnd.addInvoice({ amount: AMOUNT, expirySeconds: 3600 }, within());
  const r = await flow<{ jit_bolt11: string }>('proposal', {
    bolt11: invoice.paymentRequest,
    fee_id: quote.id,
  });
  return r.jit_bolt11;
}

test('three wrapped invoices paid at once: one withheld funding for their channels, each wallet paid exactly', async () => {
  const invoices = await Promise.all(wallets.map(wrappedFor));
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
