/**
 * Story: a client node answers the LSP's channel only after the LSP's open deadline (its
 * ChannelAcceptor waits, with LND's `--acceptortimeout` raised so LND lets it). The LSP cancels
 * the open before anything is funded: no channel, its wallet inputs not leased, and the buyer
 * made whole. For a REST purchase the charge is refunded; for an LSPS1 order the payer's hold
 * invoice is cancelled; for a JIT channel the payer's HTLC is failed back. When the client
 * finally accepts, nothing appears: the next channel it accepts is the only one. Each ends with
 * a clean audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ChannelOpenProposal, msat, type Pubkey, sat } from '@blgv/core';
import type { Lsps1Order, Lsps2BuyResult, Lsps2Info } from '@blgv/protocol';
import type { LndNode } from '@blgv/regtest';
import {
  jitInvoice,
  type Network,
  startNetwork,
  startTestLsp,
  type TestLsp,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lsps1Order } from './support/lsps1-order.ts';

/** The LSP gives a client this long to accept (and then to sign). */
const OPEN_TIMEOUT_S = 3;
/** How long the clients' LND waits for their acceptor (far beyond the LSP's deadline). */
const ACCEPTOR_TIMEOUT = '--acceptortimeout=5m';

let net: Network;
let lsp: TestLsp;
let dave: LndNode;
const streams = new AbortController();

before(async () => {
  net = await startNetwork({ lsp: { requireInterceptor: true }, bob: { extraArgs: [ACCEPTOR_TIMEOUT] } });
  const { h, alice, lsp: node, bob } = net;
  dave = await h.newNode('dave', { extraArgs: [ACCEPTOR_TIMEOUT] });
  await h.openChannel(alice, node, sat(2_000_000));
  await h.openChannel(bob, node, sat(1_000_000));
  lsp = await startTestLsp(net, { file: { channels: { openTimeoutSeconds: OPEN_TIMEOUT_S } } });
});
after(async () => {
  streams.abort();
  await lsp?.stop();
  await net?.h.stop();
});

/**
 * A client acceptor that holds each proposal until `release()` and then accepts it (zero-conf
 * when asked). `proposed` resolves at the first proposal, `answered` once it was answered.
 */
async function slowAcceptor(node: LndNode) {
  const proposed = Promise.withResolvers<ChannelOpenProposal>();
  const answered = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const stop = new AbortController();
  let up = false;
  let late = true;
  await node.lnd.acceptChannels(
    async (p) => {
      proposed.resolve(p);
      if (late) await gate.promise;
      queueMicrotask(() => answered.resolve());
      return { accept: true, zeroConf: p.wantsZeroConf };
    },
    { signal: AbortSignal.any([stop.signal, streams.signal]), onConnected: () => (up = true) },
  );
  await net.h.waitFor(() => up, { what: `${node.name}'s channel acceptor` });
  return {
    proposed: proposed.promise,
    answered: answered.promise,
    /** Lets the held proposal through; later ones are accepted at once. */
    release() {
      late = false;
      gate.resolve();
    },
    stop: () => stop.abort(),
  };
}

/** The LSP's leased wallet outputs (an open in progress leases its inputs). */
/**
 * After an open cancelled at the deadline: no wallet input stays leased, and when the client
 * finally accepts, nothing opens from it (only the next channel appears).
 */
async function lateAcceptanceGetsNothing(
  acceptor: Awaited<ReturnType<typeof slowAcceptor>>,
  client: LndNode,
  before: number,
): Promise<void> {
  assert.equal(await leases(), 0, "the LSP's wallet inputs are not leased");
  acceptor.release();
  await acceptor.answered;
  await onlyTheNextChannelAppears(client, before);
}

async function leases(): Promise<number> {
  return (await net.lsp.lnd.listLeases(within())).length;
}

/** Channels (open or pending) between the LSP and `peer`. */
async function channelsWith(peer: Pubkey): Promise<number> {
  const [open, pending] = await Promise.all([
    net.lsp.lnd.listChannels(within()),
    net.lsp.lnd.pendingChannels(within()),
  ]);
  return [...open, ...pending].filter((c) => c.remotePubkey === peer).length;
}

/**
 * After the late answer: the client accepts the next channel the LSP opens (messages between two
 * peers are handled in order, so the late one was handled first), and that is the only channel.
 */
async function onlyTheNextChannelAppears(client: LndNode, before: number): Promise<void> {
  const { h } = net;
  const { channelPoint } = await net.lsp.lnd.openChannel(
    { remotePubkey: client.pubkey, localAmount: sat(50_000), satPerVbyte: 2n },
    within(60_000),
  );
  await h.mine(1);
  await h.waitChannelActive(net.lsp, channelPoint);
  assert.equal(await channelsWith(client.pubkey), before + 1, 'the late answer created no channel');
}

test('REST: a client that accepts after the deadline gets no channel; the charge is refunded', async () => {
  const { h, alice, bob } = net;
  const { client } = await lsp.newTenant('wallet-co');
  await topUp(h, alice, client, 20_000);
  const before = await channelsWith(bob.pubkey);
  const acceptor = await slowAcceptor(bob);
  try {
    const started = Date.now();
    await assert.rejects(
      client.requestChannel({ clientPubkey: bob.pubkey, channelSize: 100_000, feeRate: 2 }),
      (e: Error & { status?: number; code?: string }) => {
        assert.equal(e.status, 422);
        assert.equal(e.code, 'lightning_rejected');
        assert.match(e.message, new RegExp(`did not accept the channel within ${OPEN_TIMEOUT_S} s`));
        return true;
      },
    );
    assert.ok(Date.now() - started >= OPEN_TIMEOUT_S * 1000, 'refused at the deadline, not before');
    await acceptor.proposed;
    assert.equal((await client.getBalance()).balance, 20_000, 'everything charged was refunded');
    await lateAcceptanceGetsNothing(acceptor, bob, before);
  } finally {
    acceptor.stop();
  }
  await assertCleanAudit(lsp);
});

test("LSPS1: a client that accepts after the deadline gets no channel; the payer's hold invoice is cancelled", async () => {
  const { h, bob } = net;
  const before = await channelsWith(bob.pubkey);
  const peer = await LspsPeerClient.connect(h, bob, net.lsp.pubkey);
  const acceptor = await slowAcceptor(bob);
  try {
    const created = await peer.call<Lsps1Order>(
      'lsps1.create_order',
      lsps1Order({ lsp_balance_sat: '100000', client_balance_sat: '10000' }),
    );
    const order = created.result;
    assert.ok(order, JSON.stringify(created.error));
    const paid = await bob.lnd.sendPayment(
      { paymentRequest: order.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 120 },
      within(150_000),
    );
    assert.equal(paid.status, 'failed', 'the hold invoice was cancelled: the payer keeps the money');
    await acceptor.proposed;
    const failed = await peer.call<Lsps1Order>('lsps1.get_order', { order_id: order.order_id });
    assert.equal(failed.result?.order_state, 'FAILED');
    assert.equal(failed.result?.payment.bolt11.state, 'REFUNDED');
    assert.equal(failed.result?.channel, null);
    await lateAcceptanceGetsNothing(acceptor, bob, before);
  } finally {
    acceptor.stop();
    peer.close();
  }
  await assertCleanAudit(lsp);
});

test('JIT: a client that accepts after the deadline gets no channel; the HTLC is failed back', async () => {
  const { h, alice } = net;
  const before = await channelsWith(dave.pubkey);
  await h.connect(dave, net.lsp);
  const peer = await LspsPeerClient.connect(h, dave, net.lsp.pubkey);
  const acceptor = await slowAcceptor(dave);
  try {
    const info = await peer.call<Lsps2Info>('lsps2.get_info', {});
    const params = info.result?.opening_fee_params_menu[0];
    assert.ok(params, JSON.stringify(info.error));
    const bought = await peer.call<Lsps2BuyResult>('lsps2.buy', { opening_fee_params: params });
    assert.ok(bought.result, JSON.stringify(bought.error));
    const invoice = await jitInvoice(dave, net.lsp.pubkey, bought.result, msat(50_000_000n));
    const paid = await alice.lnd.sendPayment(
      { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 60, maxParts: 1 },
      within(90_000),
    );
    assert.ok(paid.status === 'failed', 'the HTLC was failed back: the payer keeps the money');
    assert.deepEqual(
      paid.attemptFailures.map((f) => `${f.code}@${f.sourceIndex}`),
      ['temporary_channel_failure@1'],
      'bLIP-52: a client that does not answer is not a refusal; the JIT scid stays usable',
    );
    await acceptor.proposed;
    await lateAcceptanceGetsNothing(acceptor, dave, before);
  } finally {
    acceptor.stop();
    peer.close();
  }
  await assertCleanAudit(lsp);
});
