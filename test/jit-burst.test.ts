/**
 * Story: launch day. Ten new wallets (`lnd-lsps2-client` nodes with no channel) each buy a JIT
 * scid through the wallet vendor's tenant, and a payer sends all ten first payments at once.
 * The LSP funds the JIT channels that arrive together in one transaction (`batchWindowMs`;
 * the menu is "LSP trusts client", whose funding is published at the commit point): every
 * payment succeeds, each wallet ends with one channel holding its payment less its opening fee,
 * and the channels share fewer funding transactions than there are wallets. Then a batch in
 * which one wallet refuses the channel: its payment fails back with `unknown_next_peer`, the
 * others complete, and its share of the batch costs the LSP nothing on chain (the transaction
 * funds only the others). Each ends with a clean audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import {
  chainTransaction,
  type FirstPayment,
  firstPayment,
  fundingTransactions,
  jitInvoice,
  type LaunchDay,
  payAtOnce,
  settledChannels,
  startLaunchDay,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const WALLETS = 10;
const AMOUNT = msat(50_000_000n);

let net: LaunchDay;
const streams = new AbortController();

before(async () => {
  net = await startLaunchDay({
    wallets: WALLETS,
    // Enough for every JIT channel twice over, in a few outputs (a batch spends some of them).
    lspCoins: [sat(2_000_000), sat(2_000_000), sat(2_000_000)],
    // A window wide enough for ten payments sent together to reach the LSP within it on a
    // busy test machine (the default is 50 ms).
    file: { lsps2: { clientTrustsLsp: false, batchWindowMs: 500 } },
    canSend: msat(AMOUNT * BigInt(WALLETS)),
  });
});
after(async () => {
  streams.abort();
  await net?.stop();
});

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x));

test('ten wallets’ first payments arriving together all succeed, on channels that share funding transactions', async () => {
  const firsts = await Promise.all(net.wallets.map((w) => firstPayment(net.vendor, w, AMOUNT)));
  const outcomes = await payAtOnce(
    net.alice,
    firsts.map((f) => f.paymentRequest),
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    Array(WALLETS).fill('succeeded'),
    show(outcomes),
  );

  // Each wallet: exactly one channel, holding its payment less the opening fee it agreed to
  // (once the payment's last commitment update is through: the payer has its preimage first).
  for (const f of firsts) {
    const channels = await settledChannels(net.h, f.wallet.node);
    assert.equal(channels.length, 1, `${f.wallet.node.name} has one channel`);
    assert.equal(
      channels[0]?.localBalance,
      sat((AMOUNT - f.fee) / 1000n),
      `${f.wallet.node.name} holds its payment less its fee`,
    );
  }
  const txs = await fundingTransactions(
    net.lsp,
    net.wallets.map((w) => w.node),
  );
  assert.ok(txs.size < WALLETS, `${WALLETS} channels in ${txs.size} funding transactions: ${show([...txs])}`);
  assert.equal(
    [...txs.values()].reduce((a, b) => a + b, 0),
    WALLETS,
  );
  await assertCleanAudit(net.server);
});

test('a wallet in the batch refuses the channel: its payment fails back, the others complete, its share costs nothing', async () => {
  // The refusing wallet: a node whose channel acceptor says no to everything.
  const { h, alice, lsp, vendor, wallets } = net;
  const refuser = await h.newNode('refuser');
  await refuser.lnd.connectPeer(lsp.pubkey, lsp.host, within());
  let proposals = 0;
  let acceptorUp = false;
  await refuser.lnd.acceptChannels(
    () => {
      proposals++;
      return { accept: false, error: 'no thanks' };
    },
    { signal: streams.signal, onConnected: () => (acceptorUp = true) },
  );
  await h.waitFor(() => acceptorUp, { what: "the refuser's channel acceptor" });
  const [params] = (await vendor.lsps2.getInfo()).opening_fee_params_menu;
  assert.ok(params);
  const bought = await vendor.lsps2.buy({ opening_fee_params: params, client_node_pubkey: refuser.pubkey });
  const refused = await jitInvoice(refuser, lsp.pubkey, bought, AMOUNT);

  // Three wallets buy a second JIT channel; the four payments go together.
  const others: FirstPayment[] = await Promise.all(
    wallets.slice(0, 3).map((w) => firstPayment(vendor, w, AMOUNT)),
  );
  const channelsBefore = await fundingTransactions(
    lsp,
    wallets.map((w) => w.node),
  );
  const [refusedOutcome, ...othersOutcomes] = await payAtOnce(alice, [
    refused.paymentRequest,
    ...others.map((o) => o.paymentRequest),
  ]);
  assert.equal(refusedOutcome?.status, 'failed', show(refusedOutcome));
  assert.deepEqual(refusedOutcome?.failures, ['unknown_next_peer@1'], 'bLIP-52: the client refused');
  assert.ok(proposals >= 1, 'the LSP proposed the channel and the refuser said no');
  assert.deepEqual(
    othersOutcomes.map((o) => o.status),
    ['succeeded', 'succeeded', 'succeeded'],
    show(othersOutcomes),
  );

  // Nothing was opened to the refuser, and the others' new channels are funded by
  // transactions that fund them alone (their outputs and the LSP's change), nothing for it.
  assert.equal(
    (await lsp.lnd.listChannels(within())).filter((c) => c.remotePubkey === refuser.pubkey).length,
    0,
  );
  assert.equal(
    (await lsp.lnd.pendingChannels(within())).filter((c) => c.remotePubkey === refuser.pubkey).length,
    0,
  );
  const after = await fundingTransactions(
    lsp,
    wallets.map((w) => w.node),
  );
  const fresh = [...after].filter(([txid]) => !channelsBefore.has(txid));
  assert.equal(
    fresh.reduce((n, [, channels]) => n + channels, 0),
    3,
    `the three new channels: ${show(fresh)}`,
  );
  for (const [txid, channels] of fresh) {
    const tx = await chainTransaction(h, txid);
    assert.ok(
      tx.vout.length <= channels + 1,
      `${txid} pays ${tx.vout.length} outputs for ${channels} channel(s) and at most the change`,
    );
  }
  await assertCleanAudit(net.server);
});
