/**
 * Story: the LSP's everyday channel and node operations through the backend port: batch-open
 * two channels in one transaction, watch them pending then open, set their forwarding policy,
 * bake a restricted macaroon, estimate fees, and close a channel.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatChannelPoint, isLspError, LspError, msat, sat } from '@blgv/core';
import { LndBackend } from '@blgv/lnd';
import { type Network, startNetwork, within } from './support/network.ts';

let net: Network;
before(async () => {
  net = await startNetwork();
});
after(() => net?.h.stop());

test('batch open puts two channels in one funding transaction; pending, then open', async () => {
  const { h, alice, lsp, bob } = net;
  await h.connect(lsp, alice);
  await h.connect(lsp, bob);
  const before = await lsp.lnd.walletBalance(within());
  assert.ok(before.confirmed >= 10_000_000n);

  const opened = await lsp.lnd.batchOpenChannels(
    [
      { remotePubkey: alice.pubkey, localAmount: sat(400_000), pushAmount: sat(10_000) },
      { remotePubkey: bob.pubkey, localAmount: sat(300_000), private: true },
    ],
    { satPerVbyte: 5n },
    within(),
  );
  assert.equal(opened.length, 2);
  assert.equal(opened[0]?.channelPoint.txid, opened[1]?.channelPoint.txid, 'one funding transaction');

  const pending = await lsp.lnd.pendingChannels(within());
  assert.deepEqual(
    pending.map((p) => [p.remotePubkey, p.capacity]).sort(),
    [
      [alice.pubkey, 400_000n],
      [bob.pubkey, 300_000n],
    ].sort(),
  );

  await h.mine(6);
  const toAlice = await h.waitChannelActive(lsp, opened[0]!.channelPoint);
  const toBob = await h.waitChannelActive(lsp, opened[1]!.channelPoint);
  assert.equal(toAlice.remoteBalance, 10_000n);
  assert.equal(toBob.private, true);
  assert.equal(toAlice.confirmed, true);
  const aliceSide = await h.waitChannelActive(alice, opened[0]!.channelPoint);
  assert.equal(aliceSide.localBalance, 10_000n, 'alice got the push');

  const balance = await lsp.lnd.channelBalance(within());
  assert.ok(balance.local > 0n && balance.local < 700_000_000n);
});

test('forwarding policy, a restricted macaroon and a fee estimate', async () => {
  const { h, alice, lsp } = net;
  const channel = (await lsp.lnd.listChannels(within())).find((c) => c.remotePubkey === alice.pubkey);
  assert.ok(channel);
  // LND adds a new channel's graph edge a moment after the channel is active; until then a
  // policy update is refused ("could not update policies").
  await h.waitFor(
    () =>
      lsp.lnd
        .updateChannelPolicy(
          { channelPoint: channel.channelPoint, baseFee: msat(2000), feeRatePpm: 250n, timeLockDelta: 80 },
          within(),
        )
        .then(() => true),
    { what: 'the policy update of the new channel', intervalMs: 200 },
  );
  await assert.rejects(
    lsp.lnd.updateChannelPolicy(
      {
        channelPoint: { ...channel.channelPoint, outputIndex: 77 },
        baseFee: msat(1),
        feeRatePpm: 1n,
        timeLockDelta: 80,
      },
      within(),
    ),
    (e) => isLspError(e, 'lightning_rejected') && /NOT_FOUND/.test(e.message),
  );
  await lsp.lnd.updateChannelPolicy({ baseFee: msat(1000), feeRatePpm: 100n, timeLockDelta: 80 }, within());

  // A read-only macaroon can read but not spend.
  const macaroon = await lsp.lnd.bakeMacaroon([{ entity: 'info', action: 'read' }], within());
  const readOnly = new LndBackend({ ...lsp.connection, macaroon: Buffer.from(macaroon, 'hex') });
  try {
    assert.equal((await readOnly.getInfo(within())).pubkey, lsp.pubkey);
    await assert.rejects(
      readOnly.newAddress(within()),
      (e) => isLspError(e) && /permission|macaroon/i.test(e.message),
    );
  } finally {
    readOnly.close();
  }

  const fee = await lsp.lnd.estimateFee(6, within());
  assert.equal(fee.targetConf, 6);
  assert.ok(fee.satPerVbyte >= 1n);
});

test('a channel closes cooperatively and an unknown one is a not_found error', async () => {
  const { h, lsp } = net;
  const channels = await lsp.lnd.listChannels(within());
  const target = channels.find((c) => c.private);
  assert.ok(target);
  const { closingTxid } = await lsp.lnd.closeChannel(
    { channelPoint: target.channelPoint, satPerVbyte: 5n },
    within(),
  );
  assert.match(closingTxid, /^[0-9a-f]{64}$/);
  await h.mine(1);
  const id = formatChannelPoint(target.channelPoint);
  await h.waitFor(
    async () =>
      !(await lsp.lnd.listChannels(within())).some((c) => formatChannelPoint(c.channelPoint) === id),
    {
      what: 'the closed channel to leave the list',
    },
  );

  const bogus = { txid: target.channelPoint.txid, outputIndex: 99 };
  await assert.rejects(
    lsp.lnd.closeChannel({ channelPoint: bogus }, within()),
    (e) => e instanceof LspError && e.code !== 'internal',
  );
});
