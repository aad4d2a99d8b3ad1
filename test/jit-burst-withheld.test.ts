/**
 * Story: launch day with the default menu (bLIP-52 `client_trusts_lsp`: each JIT channel's
 * funding withheld until its client settles). Four wallets' first payments arrive together:
 * their channels share one withheld funding, published with the first preimage, and every
 * payment succeeds. Then a batch in which one wallet never settles (its invoice cancelled): the
 * others complete and the funding is published with their preimages, so the channel of the
 * wallet that never paid is on chain too; the LSP closes it at once, at its own cost. The same
 * again with the LSP's cooperative close refused (as when the client does not answer): it
 * force-closes, and the close is priced once LND has swept the LSP's output, at all that did not
 * come back to its wallet (the commitment's fee, the anchors, the sweep's fee). Each ends with a
 * clean audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import {
  firstPayment,
  fundingTransactions,
  type JitWallet,
  type LaunchDay,
  payAtOnce,
  settledChannels,
  startLaunchDay,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { Faults } from './support/faulty-backend.ts';
import {
  assertUnpaidChannelCost,
  assertUnpaidCloseCost,
  assertUnpaidForceCloseCost,
  unpaidCosts,
} from './support/unpaid-channel.ts';

const WALLETS = 4;
const AMOUNT = msat(50_000_000n);

let net: LaunchDay;
/** Faults around the LSP node's backend, for the story whose cooperative close fails. */
const faults = new Faults();

before(async () => {
  net = await startLaunchDay({
    wallets: WALLETS,
    lspCoins: [sat(3_000_000), sat(3_000_000)],
    // The default menu; a window wide enough for payments sent together to reach the LSP
    // within it on a busy test machine (the default is 50 ms).
    file: { lsps2: { batchWindowMs: 500 } },
    canSend: msat(AMOUNT * BigInt(3 * WALLETS)),
    wrap: (l) => faults.wrap(l),
  });
});
after(() => net?.stop());

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x));

test('four first payments at once, each funding withheld until its client settles, share one funding and all succeed', async () => {
  const { h, alice, lsp, wallets, vendor, server } = net;
  const firsts = await Promise.all(wallets.map((w) => firstPayment(vendor, w, AMOUNT)));
  const outcomes = await payAtOnce(
    alice,
    firsts.map((f) => f.paymentRequest),
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    Array(WALLETS).fill('succeeded'),
    show(outcomes),
  );
  for (const f of firsts) {
    const channels = await settledChannels(h, f.wallet.node);
    assert.equal(channels.length, 1, `${f.wallet.node.name} has one channel`);
    assert.equal(channels[0]?.localBalance, sat((AMOUNT - f.fee) / 1000n));
  }
  const txs = await fundingTransactions(
    lsp,
    wallets.map((w) => w.node),
  );
  assert.ok(
    txs.size < WALLETS,
    `${WALLETS} withheld channels in ${txs.size} funding transactions: ${show([...txs])}`,
  );
  await assertCleanAudit(server);
});

/**
 * A batch of first payments in which the first wallet's never settles (its invoice cancelled):
 * the others succeed, and the LSP closes the channel the funding put on chain for the first.
 * Answers that close as the LSP's node lists it, and the figures' unpaid costs before the batch.
 */
async function batchWithOneUnpaid() {
  const { h, alice, lsp, wallets, vendor, server } = net;
  const [unpaid, ...payers] = wallets as [JitWallet, ...JitWallet[]];
  const before = await unpaidCosts(server);
  const [never, ...others] = await Promise.all(
    [unpaid, ...payers].map((w) => firstPayment(vendor, w, AMOUNT)),
  );
  assert.ok(never);
  // The wallet forgets the invoice: it fails the HTLC when it comes, never settling.
  await unpaid.node.lnd.cancelInvoice(never.paymentHash, within());
  const channelsBefore = new Set(
    (await unpaid.node.lnd.listChannels(within())).map(
      (c) => `${c.channelPoint.txid}:${c.channelPoint.outputIndex}`,
    ),
  );

  const [neverOutcome, ...othersOutcomes] = await payAtOnce(alice, [
    never.paymentRequest,
    ...others.map((o) => o.paymentRequest),
  ]);
  assert.equal(neverOutcome?.status, 'failed', show(neverOutcome));
  assert.deepEqual(
    othersOutcomes.map((o) => o.status),
    Array(WALLETS - 1).fill('succeeded'),
    show(othersOutcomes),
  );

  // Its new channel came with the others' (one funding, published with their preimages), and
  // the LSP closes it: it leaves the open channels of both sides and waits for its close.
  const closing = await h.waitFor(
    async () => {
      const pending = await lsp.lnd.closingChannels(within());
      return pending.find(
        (c) =>
          c.remotePubkey === unpaid.node.pubkey &&
          !channelsBefore.has(`${c.channelPoint.txid}:${c.channelPoint.outputIndex}`),
      );
    },
    { what: 'the LSP to close the channel of the wallet that never settled' },
  );
  const othersTxs = await fundingTransactions(
    lsp,
    payers.map((w) => w.node),
  );
  assert.ok(othersTxs.has(closing.channelPoint.txid), 'the unpaid channel was funded with the others');
  // What it cost the LSP is its own expense, shown in the figures.
  await assertUnpaidChannelCost(
    h,
    server,
    closing.channelPoint.txid,
    (othersTxs.get(closing.channelPoint.txid) ?? 0) + 1,
    before,
  );
  const keepsNone = async () =>
    assert.equal(
      (await unpaid.node.lnd.listChannels(within())).filter(
        (c) => !channelsBefore.has(`${c.channelPoint.txid}:${c.channelPoint.outputIndex}`),
      ).length,
      0,
      'the wallet that never paid keeps no new channel open',
    );
  return { closing, before, keepsNone };
}

test('a batch in which one wallet never settles: the others complete, its channel went out with theirs and the LSP closes it', async () => {
  const { h, lsp, server } = net;
  const { closing, keepsNone } = await batchWithOneUnpaid();
  // Once its close is mined, what the close cost is the LSP's expense too.
  await assertUnpaidCloseCost(h, server, lsp, closing);
  await keepsNone();
  await assertCleanAudit(server);
});

test("an unpaid channel whose cooperative close fails is force-closed, and priced with its sweep: all that did not come back to the LSP's wallet", async () => {
  const { h, lsp, server } = net;
  // The LSP's cooperative close is refused once (as when the client does not answer): it
  // force-closes the channel.
  const { hit } = faults.inject('closeChannel', 'fail');
  const { closing, before, keepsNone } = await batchWithOneUnpaid();
  await hit;
  await assertUnpaidForceCloseCost(h, server, lsp, closing, before);
  await keepsNone();
  await assertCleanAudit(server);
});
