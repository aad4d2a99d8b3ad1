/**
 * Story: wallets with no channels receive their first payment through an LSPS2 JIT channel.
 * carol and dave run `lnd-lsps2-client` with `runLsps2Client` (zero-conf acceptor for the LSP,
 * invoice HTLC modifier). Each buys a JIT scid, puts it in an invoice as the only route hint,
 * and alice pays. The LSP holds the payment, opens one zero-conf private channel, and forwards
 * with its opening fee deducted (TLV 65537); the wallet counts each HTLC as amount + extra_fee,
 * so its invoice settles and it holds exactly the payment less the opening fee. The LSP runs
 * here with `lsps2.clientTrustsLsp` off (bLIP-52 "LSP trusts client"): each channel's funding
 * is published at its commit point, before the payment is forwarded (the default, funding
 * withheld until the preimage: `test/lsps2-trust.test.ts`).
 *
 * The fee schedule here (100 sat minimum, 5,000 ppm) makes the proportional part decide the
 * fee, and the amounts carry odd msat, so the rounding (`ceil`) and the msat accounting show.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex32, type Msat, msat, type Pubkey, sat } from '@blgv/core';
import { extraFee } from '@blgv/lnd';
import { lsps2OpeningFee } from '@blgv/lsp-client';
import type { Lsps2BuyResult, Lsps2Info, OpeningFeeParams } from '@blgv/protocol';
import type { LndNode } from '@blgv/regtest';
import { JitWallet, type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { assertEventsEndIn } from './support/events.ts';
import { HtlcGate } from './support/htlc-gate.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { forgetPaymentFailures } from './support/mission-control.ts';

let net: Network;
let server: TestLsp;
let carol: JitWallet;
let dave: JitWallet;
let erin: JitWallet;
/** Keeps back all but the first HTLC of a payment, so the LSP holds it half-arrived. */
const gate = new HtlcGate();
const streams = new AbortController();

before(async () => {
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  const { h, alice, lsp } = net;
  server = await startTestLsp(net, {
    file: {
      fees: { channelOpening: { baseFee: 100, capacityFeePpm: 5000 } },
      monitoring: { intervalMs: 500 },
      lsps2: { clientTrustsLsp: false },
    },
    wrap: (lightning) => gate.wrap(lightning),
  });
  // Two channels, each smaller than the fixed-amount payment: alice must split it.
  for (let i = 0; i < 2; i++) {
    const channel = await h.openChannel(alice, lsp, sat(200_000));
    await net.h.waitCanSend(alice, lsp, channel.scid, msat(100_000_000n));
  }
  const [carolNode, daveNode, erinNode] = await Promise.all([
    h.newNode('carol', { lsps2Client: true }),
    h.newNode('dave', { lsps2Client: true }),
    h.newNode('erin', { lsps2Client: true }),
  ]);
  [carol, dave, erin] = await Promise.all([
    JitWallet.start(h, carolNode, lsp, streams.signal),
    JitWallet.start(h, daveNode, lsp, streams.signal),
    JitWallet.start(h, erinNode, lsp, streams.signal),
  ]);
});
after(async () => {
  streams.abort();
  await server?.stop();
  await net?.h.stop();
});

/** JSON with bigints as strings, for assertion messages. */
const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

/** The JIT channel of a `buy` result, as the admin API shows it. */
function jitRecord(bought: Lsps2BuyResult) {
  return server.admin.admin.jitChannel(bought.jit_channel_scid);
}

/** Waits until the LSP has recorded the JIT channel final, and returns the record. */
async function finalRecord(bought: Lsps2BuyResult) {
  return net.h.waitFor(
    async () => {
      const r = await jitRecord(bought);
      return r && ['completed', 'failed', 'expired'].includes(r.state) ? r : undefined;
    },
    { what: 'the JIT channel to reach a final state' },
  );
}

/**
 * What the wallet must end with after a JIT payment of `amount` for `fee`: one new channel,
 * private and zero-conf, from the LSP; the invoice settled for the full amount; HTLCs that
 * carried exactly `amount - fee` and claimed exactly `fee` in `extra_fee`; and a channel
 * balance of exactly `amount - fee`.
 */
async function assertReceived(wallet: JitWallet, hash: Hex32, amount: Msat, fee: Msat, lsp: Pubkey) {
  const node: LndNode = wallet.node;
  const invoice = await node.lnd.lookupInvoice(hash, within());
  assert.equal(invoice.state, 'settled');
  assert.equal(invoice.amountPaid, amount, 'the invoice counts the payment in full');

  const seen = wallet.htlcsOf(hash);
  assert.ok(seen.length >= 1);
  const carried = seen.reduce((s, x) => s + x.htlc.amount, 0n);
  const claimed = seen.reduce((s, x) => s + (extraFee(x.htlc.wireCustomRecords) ?? 0n), 0n);
  assert.equal(carried, amount - fee, 'the HTLCs carried the payment less the opening fee');
  assert.equal(claimed, fee, 'their extra_fee records add up to the opening fee');
  for (const { htlc, decision } of seen) {
    const own = extraFee(htlc.wireCustomRecords);
    assert.ok(own !== undefined && own > 0n, 'each part carries its share of the fee');
    assert.deepEqual(decision, { amountPaid: htlc.amount + own });
  }

  // The invoice settles before the commitments drop the HTLCs: wait until they have.
  const channels = await net.h.waitFor(
    async () => {
      const list = await node.lnd.listChannels(within());
      return list.every((c) => c.pendingHtlcs === 0) ? list : undefined;
    },
    { what: `${node.name}'s channel to settle the HTLCs` },
  );
  assert.equal(channels.length, 1, 'exactly one channel');
  const [channel] = channels;
  assert.ok(channel);
  assert.equal(channel.remotePubkey, lsp);
  assert.equal(channel.private, true);
  assert.equal(channel.zeroConf, true);
  assert.equal(channel.initiator, false, 'the LSP opened it');
  // The LSP funds the channel and pays its commitment fee; the wallet's side is what it got.
  assert.equal(channel.capacity, ((amount + 999n) / 1000n) * 2n, 'twice the payment, rounded up to sat');
  assert.equal(channel.localBalance, (amount - fee) / 1000n);
  const balance = await node.lnd.channelBalance(within());
  assert.equal(balance.local, amount - fee, 'the wallet holds the payment less the fee, to the msat');
}

test('fixed amount, multi-part: a wallet with no channels is paid in parts through one new JIT channel', async () => {
  const { alice, lsp } = net;
  assert.equal((await carol.node.lnd.listChannels(within())).length, 0, 'carol starts with no channel');
  const rpc = new LspsPeerClient(carol.node, lsp.pubkey);
  try {
    await net.h.waitFor(() => rpc.ready, { what: "carol's peer messages" });
    const info = await rpc.call<Lsps2Info>('lsps2.get_info', {});
    const params: OpeningFeeParams | undefined = info.result?.opening_fee_params_menu[0];
    assert.ok(params, JSON.stringify(info));
    // The base fee plus the channel's on-chain cost: 165 vB at the network's 2 sat/vB.
    assert.equal(params.min_fee_msat, '430000');
    assert.equal(params.proportional, 5000);

    const amount = msat(300_000_123n);
    const fee = msat(lsps2OpeningFee(params, amount) ?? -1n);
    assert.equal(fee, 1_500_001n, 'ceil(300,000,123 x 5,000 / 1e6) is above the 430,000 minimum');
    const buy = await rpc.call<Lsps2BuyResult>('lsps2.buy', {
      opening_fee_params: params,
      payment_size_msat: amount.toString(),
    });
    const bought = buy.result;
    assert.ok(bought, JSON.stringify(buy.error));
    const invoice = await carol.invoice(bought, amount, fee);

    const paid = await alice.lnd.sendPayment(
      { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 60 },
      within(90_000),
    );
    assert.equal(paid.status, 'succeeded', show(paid));
    assert.ok(paid.htlcCount > 1, `paid in ${paid.htlcCount} parts`);
    assert.equal(paid.amount, amount);
    assert.equal(paid.fee, 0n, 'the JIT hop is free to the payer: the fee comes out of the payment');
    assert.equal(carol.htlcsOf(invoice.paymentHash).length, paid.htlcCount, 'carol got every part');

    await assertReceived(carol, invoice.paymentHash, amount, fee, lsp.pubkey);
    const record = await finalRecord(bought);
    assert.equal(record.state, 'completed');
    assert.equal(record.feeMsat, fee.toString());
    assert.equal(record.paymentSizeMsat, amount.toString());
    assert.equal(record.paymentHash, invoice.paymentHash);
    assert.equal(bought.client_trusts_lsp, false, 'bLIP-52: the LSP trusts the client');
    assert.deepEqual(await assertEventsEndIn(server.admin, 'jit_channel', record.id, 'completed'), [
      'awaiting_payment',
      'opening',
      'publishing',
      'forwarding',
      'completed',
    ]);
  } finally {
    rpc.close();
  }
  await assertCleanAudit(server);
});

test('variable amount, single part: bought over HTTP, the fee is priced on and taken from the one HTLC', async () => {
  const { h, alice, lsp } = net;
  assert.equal((await dave.node.lnd.listChannels(within())).length, 0, 'dave starts with no channel');
  // The first story spent most of alice's two channels; this payment goes in one part.
  const channel = await h.openChannel(alice, lsp, sat(500_000));
  await net.h.waitCanSend(alice, lsp, channel.scid, msat(200_000_000n));
  const { client } = await server.newTenant('wallet-co');
  const [params] = (await client.lsps2.getInfo()).opening_fee_params_menu;
  assert.ok(params);
  const bought = await client.lsps2.buy({ opening_fee_params: params, client_node_pubkey: dave.node.pubkey });

  const amount = msat(150_000_777n);
  const fee = msat(lsps2OpeningFee(params, amount) ?? -1n);
  assert.equal(fee, 750_004n, 'ceil(150,000,777 x 5,000 / 1e6)');
  const invoice = await dave.invoice(bought, amount, fee);
  const paid = await alice.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 60, maxParts: 1 },
    within(90_000),
  );
  assert.equal(paid.status, 'succeeded', show(paid));
  assert.equal(paid.htlcCount, 1);
  assert.equal(paid.amount, amount);
  assert.equal(paid.fee, 0n);

  const [only, ...more] = dave.htlcsOf(invoice.paymentHash);
  assert.ok(only);
  assert.equal(more.length, 0);
  assert.equal(only.htlc.amount, amount - fee, 'the one HTLC carries the payment less the fee');
  assert.equal(extraFee(only.htlc.wireCustomRecords), fee);
  await assertReceived(dave, invoice.paymentHash, amount, fee, lsp.pubkey);
  const record = await finalRecord(bought);
  assert.equal(record.state, 'completed');
  assert.equal(record.paymentSizeMsat, undefined, 'variable amount: no size was bought');
  assert.equal(record.feeMsat, fee.toString());

  // The operator's figures count both JIT channels so far, their fees to the msat, and how long
  // each first payment waited from intercept to forward.
  // (The monitor copies the LSP node's forwards on its interval: wait until it has both.)
  const figures = await net.h.waitFor(
    async () => {
      if ((await server.admin.admin.lspMetrics()).forwardCount < 3) return undefined;
      return server.admin.admin.figures('24h');
    },
    { what: "the monitor to have copied the LSP node's three JIT forwards" },
  );
  assert.equal(figures.jitChannelsOpened, 2);
  assert.equal(figures.revenue.bySource.jit_opening_fees, (1_500_001n + fee).toString());
  // LND logs each JIT forward with the opening fee as its fee: not counted again as routing.
  assert.equal(figures.revenue.bySource.routing, '0');
  assert.equal(figures.jitLatency.count, 2);
  assert.ok(
    (figures.jitLatency.medianMs ?? 0) > 0 &&
      (figures.jitLatency.maxMs ?? 0) >= (figures.jitLatency.medianMs ?? 0),
  );
  await assertCleanAudit(server);
});

test('a stray HTLC of another payment for a JIT scid in use fails alone; the held parts stay and complete', async () => {
  const { alice, lsp } = net;
  // The earlier stories' funding transactions confirm: the LSP's wallet funds from confirmed coins.
  await net.h.mine(1);
  const { client } = await server.newTenant('stray-co');
  const [params] = (await client.lsps2.getInfo()).opening_fee_params_menu;
  assert.ok(params);
  const amount = msat(60_000_000n);
  const fee = msat(lsps2OpeningFee(params, amount) ?? -1n);
  const bought = await client.lsps2.buy({
    opening_fee_params: params,
    payment_size_msat: amount.toString(),
    client_node_pubkey: erin.node.pubkey,
  });
  const invoice = await erin.invoice(bought, amount, fee);
  const stray = await erin.invoice(bought, msat(20_000_000n), fee);

  // The payment goes in two parts; the LSP sees the first and holds it, waiting for the rest.
  gate.gate(invoice.paymentHash);
  const paying = alice.lnd.sendPayment(
    {
      paymentRequest: invoice.paymentRequest,
      feeLimit: msat(0),
      timeoutSeconds: 60,
      maxShardSize: msat(30_000_000n),
    },
    within(90_000),
  );
  await gate.keptOne.promise;
  // Another payment to the same JIT scid meanwhile: failed back alone.
  await forgetPaymentFailures(alice);
  const strayResult = await alice.lnd.sendPayment(
    { paymentRequest: stray.paymentRequest, feeLimit: msat(0), timeoutSeconds: 30, maxParts: 1 },
    within(60_000),
  );
  assert.equal(strayResult.status, 'failed', show(strayResult));
  assert.deepEqual(
    strayResult.status === 'failed'
      ? strayResult.attemptFailures.map((f) => `${f.code}@${f.sourceIndex}`)
      : [],
    ['unknown_next_peer@1'],
    'the LSP failed the stray HTLC',
  );
  assert.equal((await jitRecord(bought)).state, 'awaiting_payment', 'the held payment is untouched');

  gate.release();
  const paid = await paying;
  assert.equal(paid.status, 'succeeded', show(paid));
  assert.ok(paid.htlcCount >= 2, `paid in ${paid.htlcCount} parts`);
  const record = await finalRecord(bought);
  assert.equal(record.state, 'completed');
  assert.equal(record.paymentHash, invoice.paymentHash);
  await assertReceived(erin, invoice.paymentHash, amount, fee, lsp.pubkey);
  await assertCleanAudit(server);
});
