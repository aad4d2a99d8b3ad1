/**
 * Story: LSPS2 with `client_trusts_lsp` (bLIP-52), the LSP's default. The JIT channel's funding
 * is committed withheld: every peer signed, the LSP did not, so nothing can reach the chain. The
 * channel is made usable as it is and the payment forwarded over it; the funding is published only
 * once the client has settled (the LSP holds the preimage).
 *
 * carol buys, her wallet receives the HTLC and cancels it: the payer's payment fails, no funding
 * transaction reaches btcd's mempool or chain, the LSP's inputs come back and its on-chain balance
 * is whole, and the JIT channel ends `withdrawn`. Once she has done that `maxUnsettledPerClient`
 * times, her buys are refused (`client_rejected`), over peer messages and for her over HTTP. dave
 * settles a payment made in two parts: he is paid, and the funding is in the mempool only after
 * his wallet let the HTLCs go (it was not there while he held them over the usable channel). Each
 * ends with a clean audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex32, type Msat, msat, sat } from '@blgv/core';
import { LspsRpcError, lsps2OpeningFee } from '@blgv/lsp-client';
import type { Lsps2BuyResult, Lsps2Info, OpeningFeeParams } from '@blgv/protocol';
import {
  JitWallet,
  jitInvoice,
  type Network,
  startNetwork,
  startTestLsp,
  type TestLsp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { assertEventsEndIn } from './support/events.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { forgetPaymentFailures } from './support/mission-control.ts';
import {
  assertNothingSpent,
  height as chainHeight,
  mempool as chainMempool,
} from './support/nothing-spent.ts';

/** Channels a client may take and never settle before its buys are refused. */
const MAX_UNSETTLED = 2;
const AMOUNT = msat(50_000_123n);

let net: Network;
let server: TestLsp;
let carol: JitWallet;
let dave: JitWallet;
let carolRpc: LspsPeerClient;
const streams = new AbortController();

before(async () => {
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  const { h, alice, lsp } = net;
  server = await startTestLsp(net, { file: { lsps2: { maxUnsettledPerClient: MAX_UNSETTLED } } });
  const channel = await h.openChannel(alice, lsp, sat(1_000_000));
  await h.waitCanSend(alice, lsp, channel.scid, msat(100_000_000n));
  const [carolNode, daveNode] = await Promise.all([
    h.newNode('carol', { lsps2Client: true }),
    h.newNode('dave', { lsps2Client: true }),
  ]);
  [carol, dave] = await Promise.all([
    JitWallet.start(h, carolNode, lsp, streams.signal),
    JitWallet.start(h, daveNode, lsp, streams.signal),
  ]);
  carolRpc = new LspsPeerClient(carol.node, lsp.pubkey);
  await h.waitFor(() => carolRpc.ready, { what: "carol's peer messages" });
});
after(async () => {
  streams.abort();
  carolRpc?.close();
  await server?.stop();
  await net?.h.stop();
});

/** JSON with bigints as strings, for assertion messages. */
const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

async function menu(rpc: LspsPeerClient): Promise<OpeningFeeParams> {
  const info = await rpc.call<Lsps2Info>('lsps2.get_info', {});
  const params = info.result?.opening_fee_params_menu[0];
  assert.ok(params, show(info));
  return params;
}

/** carol's `lsps2.buy` of a fixed-size JIT channel over peer messages: the answer, result or error. */
async function carolBuys() {
  const params = await menu(carolRpc);
  return carolRpc.call<Lsps2BuyResult>('lsps2.buy', {
    opening_fee_params: params,
    payment_size_msat: AMOUNT.toString(),
  });
}

const mempool = () => chainMempool(net);
const height = () => chainHeight(net);

/** True when btcd knows the transaction (in its mempool or a block: it runs with a tx index). */
async function btcdKnows(txid: string): Promise<boolean> {
  return net.h.btcd.rpc('getrawtransaction', [txid, 0]).then(
    () => true,
    () => false,
  );
}

/** The JIT channel of a `buy` result, once it reaches `state`. */
function jitIn(bought: Lsps2BuyResult, state: string) {
  return net.h.waitFor(
    async () => {
      const r = await server.admin.admin.jitChannel(bought.jit_channel_scid);
      return r.state === state ? r : undefined;
    },
    { what: `the JIT channel to be ${state}` },
  );
}

/** Pays `paymentRequest` from alice (in one part, or in parts of at most `shard`) and returns the outcome. */
async function pay(paymentRequest: string, shard?: Msat) {
  await forgetPaymentFailures(net.alice);
  return net.alice.lnd.sendPayment(
    {
      paymentRequest,
      feeLimit: msat(0),
      timeoutSeconds: 60,
      ...(shard ? { maxShardSize: shard } : { maxParts: 1 }),
    },
    within(90_000),
  );
}

/**
 * carol buys, and her wallet receives the HTLC and cancels it (no fee was agreed for its hash,
 * so her invoice modifier cancels the set): nothing is published and the JIT channel ends
 * withdrawn. Answers the ended record.
 */
async function carolNeverSettles() {
  const balance = (await net.lsp.lnd.walletBalance(within())).confirmed;
  const [pool, h0] = [await mempool(), await height()];
  const buy = await carolBuys();
  const bought = buy.result;
  assert.ok(bought, show(buy.error));
  assert.equal(bought.client_trusts_lsp, true, 'bLIP-52: the client trusts the LSP with the funding');
  const invoice = await jitInvoice(carol.node, net.lsp.pubkey, bought, AMOUNT);

  const paid = await pay(invoice.paymentRequest);
  assert.equal(paid.status, 'failed', 'the payer is not charged');
  const seen = carol.htlcsOf(invoice.paymentHash);
  assert.ok(seen.length >= 1, 'carol received the HTLC over the JIT channel');
  assert.deepEqual(seen[0]?.decision, { cancelSet: true }, 'and cancelled it');

  const record = await jitIn(bought, 'withdrawn');
  assert.ok(record.fundingTxid, 'the channel was committed');
  assert.match(record.failure ?? '', /never settled/);
  await assertNothingSpent(net, balance, pool, h0);
  assert.equal(await btcdKnows(record.fundingTxid), false, 'btcd never saw the funding transaction');
  await net.h.waitFor(
    async () => {
      const [open, pending] = await Promise.all([
        net.lsp.lnd.listChannels(within()),
        net.lsp.lnd.pendingChannels(within()),
      ]);
      return [...open, ...pending].some((c) => c.remotePubkey === carol.node.pubkey) ? undefined : true;
    },
    { what: 'the LSP to abandon the channel it never published' },
  );
  assert.deepEqual(await assertEventsEndIn(server.admin, 'jit_channel', record.id, 'withdrawn'), [
    'awaiting_payment',
    'opening',
    'withheld',
    'awaiting_preimage',
    'withdrawn',
  ]);
  return record;
}

test('a buyer whose wallet receives the HTLC and never settles: no funding published, inputs released, the channel withdrawn', async () => {
  await carolNeverSettles();
  await assertCleanAudit(server);
});

test('past maxUnsettledPerClient channels never settled, the client’s buys are refused with client_rejected', async () => {
  // Under the limit, carol may still buy; she does the same again.
  for (let done = 1; done < MAX_UNSETTLED; done++) await carolNeverSettles();

  const refused = await carolBuys();
  assert.equal(refused.result, undefined);
  assert.equal(refused.error?.code, 1, show(refused.error));
  assert.match(
    String(refused.error?.data?.message),
    new RegExp(`opened ${MAX_UNSETTLED} JIT channels it never settled`),
  );
  // Counted for the client node, whoever buys for it: a tenant over HTTP is refused for her too.
  const { client } = await server.newTenant('wallet-co');
  const [params] = (await client.lsps2.getInfo()).opening_fee_params_menu;
  assert.ok(params);
  await assert.rejects(
    client.lsps2.buy({ opening_fee_params: params, client_node_pubkey: carol.node.pubkey }),
    (err: unknown) => err instanceof LspsRpcError && err.code === 1,
  );
  await assertCleanAudit(server);
});

test('a wallet that settles is paid, and its funding is published only once it released the preimage', async () => {
  const rpc = new LspsPeerClient(dave.node, net.lsp.pubkey);
  try {
    await net.h.waitFor(() => rpc.ready, { what: "dave's peer messages" });
    const params = await menu(rpc);
    const fee = msat(lsps2OpeningFee(params, AMOUNT) ?? -1n);
    const buy = await rpc.call<Lsps2BuyResult>('lsps2.buy', {
      opening_fee_params: params,
      payment_size_msat: AMOUNT.toString(),
    });
    const bought = buy.result;
    assert.ok(bought, show(buy.error));
    assert.equal(bought.client_trusts_lsp, true);
    const invoice = await dave.invoice(bought, AMOUNT, fee);

    // While dave holds the HTLCs (before he answers, so before he settles), the channel they came
    // over is usable and its funding is nowhere on chain. alice pays in two parts.
    const whileHeld: { channels: string[]; mempool: string[] }[] = [];
    dave.onHtlc = async (hash: Hex32) => {
      if (hash !== invoice.paymentHash) return;
      const [channels, pool] = await Promise.all([dave.node.lnd.listChannels(within()), mempool()]);
      whileHeld.push({
        channels: channels.filter((c) => c.remotePubkey === net.lsp.pubkey).map((c) => c.channelPoint.txid),
        mempool: pool,
      });
    };
    const paid = await pay(invoice.paymentRequest, msat(30_000_000n));
    dave.onHtlc = undefined;
    assert.equal(paid.status, 'succeeded', show(paid));
    assert.equal(paid.amount, AMOUNT);
    assert.ok(paid.htlcCount >= 2, `paid in ${paid.htlcCount} parts`);

    const record = await jitIn(bought, 'completed');
    const txid = record.fundingTxid;
    assert.ok(txid);
    assert.equal(record.feeMsat, fee.toString());
    assert.equal(whileHeld.length, dave.htlcsOf(invoice.paymentHash).length, 'dave looked at each part');
    for (const held of whileHeld) {
      assert.ok(held.channels.includes(txid), 'each came over the JIT channel, usable');
      assert.ok(!held.mempool.includes(txid), 'whose funding was not in the mempool while he held it');
    }
    await net.h.waitFor(async () => ((await mempool()).includes(txid) ? true : undefined), {
      what: 'the funding transaction in the mempool once dave settled',
    });

    const received = await dave.node.lnd.lookupInvoice(invoice.paymentHash, within());
    assert.equal(received.state, 'settled');
    assert.equal(received.amountPaid, AMOUNT, 'the invoice counts the payment in full');
    const balance = await net.h.waitFor(
      async () => {
        const b = await dave.node.lnd.channelBalance(within());
        return b.local > 0n ? b : undefined;
      },
      { what: "dave's channel balance" },
    );
    assert.equal(balance.local, (AMOUNT - fee) as Msat, 'dave holds the payment less the fee, to the msat');
    assert.deepEqual(await assertEventsEndIn(server.admin, 'jit_channel', record.id, 'completed'), [
      'awaiting_payment',
      'opening',
      'withheld',
      'awaiting_preimage',
      'releasing',
      'completed',
    ]);
    // Mined (LND confirms a zero-conf channel of this size at 6 blocks): an ordinary channel now.
    await net.h.mine(6);
    await net.h.waitFor(
      async () =>
        (await net.lsp.lnd.listChannels(within())).some((c) => c.channelPoint.txid === txid && c.confirmed)
          ? true
          : undefined,
      { what: 'the JIT channel confirmed' },
    );
  } finally {
    rpc.close();
  }
  await assertCleanAudit(server);
});
