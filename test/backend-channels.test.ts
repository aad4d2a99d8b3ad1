/**
 * Story: the LSP's everyday channel and node operations through the backend port: fund two
 * channels in one transaction through the PSBT flow (peers sign before we do; we publish),
 * cancel one before anyone signed, watch them pending then open, set their forwarding policy,
 * bake a restricted macaroon, estimate fees, and close a channel.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { formatChannelPoint, isLspError, LspError, msat, parseHex32, sat } from '@blgv/core';
import { lndBackend } from '@blgv/lnd';
import { type Network, startNetwork, within } from '@blgv/testkit';

let net: Network;
before(async () => {
  net = await startNetwork();
});
after(() => net?.h.stop());

test('PSBT funding: two peers sign before anything is signed on our side; one transaction, published by us', async () => {
  const { h, alice, lsp, bob } = net;
  await h.connect(lsp, alice);
  await h.connect(lsp, bob);
  const before = await lsp.lnd.walletBalance(within());
  assert.ok(before.confirmed >= 10_000_000n);

  const lockId = parseHex32(randomBytes(32).toString('hex'));
  const toAlice = lsp.lnd.negotiateChannel({
    pendingChanId: parseHex32(randomBytes(32).toString('hex')),
    remotePubkey: alice.pubkey,
    localAmount: sat(400_000),
    pushAmount: sat(10_000),
    memo: 'psbt:alice',
  });
  const toBob = lsp.lnd.negotiateChannel({
    pendingChanId: parseHex32(randomBytes(32).toString('hex')),
    remotePubkey: bob.pubkey,
    localAmount: sat(300_000),
    private: true,
  });
  const outputs = await Promise.all([toAlice.accepted, toBob.accepted]);
  assert.deepEqual(
    outputs.map((o) => o.amount),
    [400_000n, 300_000n],
  );
  const funded = await lsp.lnd.fundPsbt({ outputs, satPerVbyte: 5n, lockId, lockSeconds: 600 }, within());
  assert.ok(
    funded.fee > 0n && funded.fee >= BigInt(funded.vsize) * 5n,
    `fee ${funded.fee} for ${funded.vsize} vB`,
  );
  const leased = (await lsp.lnd.listLeases(within())).filter((l) => l.lockId === lockId);
  assert.equal(leased.length, funded.lockedInputs.length, 'the inputs are leased under our id');

  await lsp.lnd.verifyPsbtFunding(toAlice.pendingChanId, funded.psbt, within());
  await lsp.lnd.verifyPsbtFunding(toBob.pendingChanId, funded.psbt, within());
  const points = await Promise.all([toAlice.signed, toBob.signed]);
  assert.equal(points[0].txid, funded.txid);
  assert.equal(points[1].txid, funded.txid, 'one funding transaction');

  // Signed by the peers, not by us: nothing is on the chain or in btcd's mempool yet.
  const mempool = await h.btcd.rpc<string[]>('getrawmempool', []);
  assert.ok(!mempool.includes(funded.txid), 'not published before we publish');

  const tx = await lsp.lnd.signPsbt(funded.psbt, within());
  assert.equal(tx.txid, funded.txid);
  await lsp.lnd.publishTransaction(tx, 'test funding', within());
  await lsp.lnd.publishTransaction(tx, 'test funding', within()); // again: harmless
  await h.waitFor(async () => (await h.btcd.rpc<string[]>('getrawmempool', [])).includes(funded.txid), {
    what: 'the funding transaction in the mempool',
  });

  await h.mine(6);
  const atAlice = await h.waitChannelActive(lsp, points[0]);
  const atBob = await h.waitChannelActive(lsp, points[1]);
  assert.equal(atAlice.remoteBalance, 10_000n);
  assert.equal(atAlice.pushAmount, 10_000n);
  assert.equal(atAlice.memo, 'psbt:alice');
  assert.equal(atBob.private, true);
  assert.equal(atAlice.confirmed, true);
  const aliceSide = await h.waitChannelActive(alice, points[0]);
  assert.equal(aliceSide.localBalance, 10_000n, 'alice got the push');
  toAlice.close();
  toBob.close();
});

test('PSBT funding cancelled before anyone signed: no channel, inputs released', async () => {
  const { h, lsp, bob } = net;
  await h.mine(1);
  const lockId = parseHex32(randomBytes(32).toString('hex'));
  const n = lsp.lnd.negotiateChannel({
    pendingChanId: parseHex32(randomBytes(32).toString('hex')),
    remotePubkey: bob.pubkey,
    localAmount: sat(200_000),
  });
  const output = await n.accepted;
  const funded = await lsp.lnd.fundPsbt(
    { outputs: [output], satPerVbyte: 2n, lockId, lockSeconds: 600 },
    within(),
  );
  await lsp.lnd.cancelPsbtFunding(n.pendingChanId, within());
  await assert.rejects(n.signed, /cancel/i);
  await lsp.lnd.cancelPsbtFunding(n.pendingChanId, within()); // unknown now: still fine
  for (const input of funded.lockedInputs) await lsp.lnd.releaseOutput(lockId, input, within());
  assert.deepEqual(
    (await lsp.lnd.listLeases(within())).filter((l) => l.lockId === lockId),
    [],
    'inputs released',
  );
  const pending = await lsp.lnd.pendingChannels(within());
  assert.ok(!pending.some((p) => p.channelPoint.txid === funded.txid), 'no channel');
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
  // Every channel at once: refused too while another new channel's edge is not there yet.
  await h.waitFor(
    () =>
      lsp.lnd
        .updateChannelPolicy({ baseFee: msat(1000), feeRatePpm: 100n, timeLockDelta: 80 }, within())
        .then(() => true),
    { what: 'the policy update of every channel', intervalMs: 200 },
  );

  // A read-only macaroon can read but not spend.
  const macaroon = await lsp.lnd.bakeMacaroon([{ entity: 'info', action: 'read' }], within());
  const readOnly = lndBackend({ ...lsp.connection, macaroon: Buffer.from(macaroon, 'hex') });
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
  const closed = (await lsp.lnd.closedChannels(within())).find(
    (c) => formatChannelPoint(c.channelPoint) === id,
  );
  assert.ok(closed, 'LND lists it among its closed (or closing) channels');
  assert.equal(closed.capacity, target.capacity);

  const bogus = { txid: target.channelPoint.txid, outputIndex: 99 };
  await assert.rejects(
    lsp.lnd.closeChannel({ channelPoint: bogus }, within()),
    (e) => e instanceof LspError && e.code !== 'internal',
  );
});
