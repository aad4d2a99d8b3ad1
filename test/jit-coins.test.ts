/**
 * Story: launch day on an LSP whose wallet holds a single coin, with the default menu (bLIP-52
 * `client_trusts_lsp`: each JIT channel's funding is withheld until its client settles) and
 * withheld fundings not batched (`batchWithheld: false`: each in a transaction of its own). Five wallets' first payments arrive together. The first
 * open takes the one coin and holds it until its client settles; every other open finds the
 * wallet empty, waits, and is funded from the change of a funding before it as soon as that one
 * is published, unconfirmed (the LSP's own change: no one else can double-spend it). Every
 * payment succeeds, each wallet ends with one channel holding its payment less its opening fee,
 * the fundings form a chain on the one coin, and the audit is clean.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import {
  chainTransaction,
  firstPayment,
  fundingTransactions,
  type LaunchDay,
  payAtOnce,
  settledChannels,
  startLaunchDay,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const WALLETS = 5;
const AMOUNT = msat(50_000_000n);

let net: LaunchDay;

before(async () => {
  net = await startLaunchDay({
    wallets: WALLETS,
    lspCoins: [sat(3_000_000)], // one coin, enough for every channel
    // The default menu (withheld fundings), each alone: the coins, not batching, are the story.
    file: { lsps2: { batchWithheld: false } },
    canSend: msat(AMOUNT * BigInt(WALLETS)),
  });
});
after(() => net?.stop());

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x));

test('five first payments at once on a wallet of one coin, each funding withheld until its client settles: all succeed', async () => {
  const { h, alice, lsp, wallets, vendor, server } = net;
  const coins = (await lsp.lnd.listUnspent(within())).length;
  assert.equal(coins, 1, 'the LSP starts with one coin');
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
    assert.equal(
      channels[0]?.localBalance,
      sat((AMOUNT - f.fee) / 1000n),
      `${f.wallet.node.name} holds its payment less its fee`,
    );
  }

  // One funding per channel (withheld fundings go alone), each published once its client
  // settled; all but the first spend the change of another of them.
  const txs = await fundingTransactions(
    lsp,
    wallets.map((w) => w.node),
  );
  assert.equal(txs.size, WALLETS, show([...txs]));
  const fundings = await Promise.all(
    [...txs.keys()].map((txid) =>
      h.waitFor(() => chainTransaction(h, txid).catch(() => false as const), { what: `${txid} published` }),
    ),
  );
  const chained = fundings.filter((tx) => tx.vin.some((i) => txs.has(i.txid)));
  assert.equal(chained.length, WALLETS - 1, 'every funding but the first spends the change of another');
  await assertCleanAudit(server);
});
