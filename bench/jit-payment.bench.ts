/**
 * What a JIT channel costs the first payment, both ways a wallet gets one, each against a
 * payment over an open channel in the same run. Every figure runs from `sendPayment` called to
 * the payer holding the preimage (single part); medians.
 *
 * LSPS2 (`BENCH_ROUNDS` times): a wallet (one of `BENCH_WALLETS` `lnd-lsps2-client` nodes
 * running `runLsps2Client`, starting with no channels) buys a fresh JIT scid and alice pays an
 * invoice over it: the LSP holds the HTLC, opens a zero-conf channel, maps the scid onto it and
 * forwards with the fee deducted; the wallet's modifier counts it in full. With the LSP's
 * default menu (`lsps2.clientTrustsLsp`) the channel's funding is withheld until the wallet
 * releases the preimage, and published after the payer has it (outside the figure).
 *
 * Wrapped invoices (`BENCH_ROUNDS` times, each a fresh stock lnd wallet, the release build): the
 * wallet's invoice is wrapped through the tenant API and alice pays the wrapped invoice: the LSP
 * holds it, opens a zero-conf channel (funding withheld), pays the wallet's invoice over it and
 * settles with the preimage that returns.
 *
 * Baseline for both, right after each first payment: alice pays the same wallet the same amount
 * again over the channel that is now open (same path alice -> lsp -> wallet).
 */
import { type Channel, type Hex32, msat, sat } from '@blgv/core';
import { Harness, type LndNode } from '@blgv/regtest';
import {
  firstPayment,
  JitWallet,
  openChannelHint,
  startStockWallet,
  startTestLsp,
  within,
} from '@blgv/testkit';
import { median } from './support/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const WALLETS = Math.min(ROUNDS, Number(process.env.BENCH_WALLETS ?? 2));
const AMOUNT = msat(100_000_000n);
/** The LSP's forwarding fees, set in its config below and used in the baseline's route hints. */
const ROUTING = { baseFee: msat(1_000n), feeRatePpm: 100 };
const result = (name: string, value: number, unit: string) =>
  process.stdout.write(`RESULT ${name} ${Number(value.toFixed(1))} ${unit}\n`);

/** Pays `paymentRequest` from `payer` in one part; milliseconds until it holds the preimage. */
async function timedPayment(payer: LndNode, paymentRequest: string): Promise<number> {
  const t0 = performance.now();
  const paid = await payer.lnd.sendPayment(
    { paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 60, maxParts: 1 },
    within(90_000),
  );
  const ms = performance.now() - t0;
  if (paid.status !== 'succeeded') throw new Error(`payment failed: ${paid.reason}`);
  return ms;
}

/** Waits for `wallet`'s `count` channels to be active with no HTLC in flight; the first of them. */
async function settledChannel(h: Harness, wallet: LndNode, count: number) {
  const channels = await h.waitFor(
    async () => {
      const list = await wallet.lnd.listChannels(within());
      return list.length === count && list.every((c) => c.pendingHtlcs === 0 && c.active) && list;
    },
    { what: `${wallet.name}'s JIT channel to settle` },
  );
  return channels[0];
}

/** Alice pays `wallet` `AMOUNT` over its open channel `channel` from the LSP: the baseline. */
async function overOpenChannel(
  alice: LndNode,
  lsp: LndNode,
  wallet: LndNode,
  channel: Channel | undefined,
): Promise<{ ms: number; paymentHash: Hex32 }> {
  const again = await wallet.lnd.addInvoice(
    { amount: AMOUNT, routeHints: [[openChannelHint(lsp, channel, ROUTING)]] },
    within(),
  );
  return { ms: await timedPayment(alice, again.paymentRequest), paymentHash: again.paymentHash };
}

/** Prints one way's medians against its baseline, prefixed `name`. */
function report(name: string, first: readonly number[], open: readonly number[]) {
  const [j, o] = [median([...first]), median([...open])];
  result(`${name}_first_payment_ms`, j, 'ms');
  result(`${name}_open_channel_payment_ms`, o, 'ms');
  result(`${name}_minus_open_channel_ms`, j - o, 'ms');
  result(`${name}_vs_open_channel_ratio`, j / o, 'x');
}

const h = await Harness.start();
const streams = new AbortController();
try {
  const [alice, lsp] = await Promise.all([
    h.newNode('alice'),
    h.newNode('lsp', { requireInterceptor: true }),
  ]);
  const [clients, stockWallets] = await Promise.all([
    Promise.all(Array.from({ length: WALLETS }, (_, i) => h.newNode(`wallet${i}`, { lsps2Client: true }))),
    Promise.all(Array.from({ length: ROUNDS }, (_, i) => h.newNode(`stock${i}`, { release: true }))),
  ]);
  // One confirmed output per JIT channel: each open spends its own, none waits for change.
  await h.fund(
    [alice, sat(10_000_000)],
    ...Array.from({ length: 2 * ROUNDS }, () => [lsp, sat(1_500_000)] as const),
  );
  const server = await startTestLsp(
    { h, alice, lsp, bob: alice },
    {
      file: {
        lsps2: { minChannelSize: 1_000_000 },
        wrapped: { nodeAddresses: [lsp.host] },
        fees: { routing: { baseFeeMsat: Number(ROUTING.baseFee), feeRatePpm: ROUTING.feeRatePpm } },
      },
    },
  );
  try {
    const channel = await h.openChannel(alice, lsp, sat(3_000_000));
    await h.waitCanSend(alice, lsp, channel.scid, AMOUNT);
    const wallets = await Promise.all(clients.map((c) => JitWallet.start(h, c, lsp, streams.signal)));
    await Promise.all(stockWallets.map((w) => startStockWallet(h, w, lsp, streams.signal)));
    const { client } = await server.newTenant('bench');

    const jit: number[] = [];
    const open: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const wallet = wallets[round % wallets.length];
      if (!wallet) throw new Error('no wallet');
      const first = await firstPayment(client, wallet, AMOUNT);
      jit.push(await timedPayment(alice, first.paymentRequest));
      const opened = await settledChannel(h, wallet.node, Math.floor(round / wallets.length) + 1);
      const again = await overOpenChannel(alice, lsp, wallet.node, opened);
      open.push(again.ms);
      // Sanity: the first went through the JIT path (fee deducted), the second did not.
      if (wallet.htlcsOf(first.paymentHash).length !== 1 || wallet.htlcsOf(again.paymentHash).length !== 0)
        throw new Error('a payment did not take the path it was meant to');
      process.stdout.write(
        `# LSPS2 round ${round} (${wallet.node.name}): JIT ${jit.at(-1)?.toFixed(0)} ms, open channel ${open.at(-1)?.toFixed(0)} ms\n`,
      );
    }

    const wrapped: number[] = [];
    const wrappedOpen: number[] = [];
    for (const [round, wallet] of stockWallets.entries()) {
      const quote = await client.wrappedInvoiceFee({
        amountMsat: AMOUNT.toString(),
        walletPubkey: wallet.pubkey,
      });
      const invoice = await wallet.lnd.addInvoice({ amount: AMOUNT }, within());
      const w = await client.wrapInvoice({ invoice: invoice.paymentRequest, feeId: quote.feeId });
      wrapped.push(await timedPayment(alice, w.wrappedInvoice));
      const opened = await settledChannel(h, wallet, 1);
      wrappedOpen.push((await overOpenChannel(alice, lsp, wallet, opened)).ms);
      // Sanity: the wrapped invoice completed over the channel it opened (the wallet's only one).
      const done = await client.getWrappedInvoice(w.id);
      if (done.state !== 'completed' || done.channelScid === null)
        throw new Error(`the wrapped invoice ended ${done.state}, channel ${done.channelScid}`);
      process.stdout.write(
        `# wrapped round ${round} (${wallet.name}): JIT ${wrapped.at(-1)?.toFixed(0)} ms, open channel ${wrappedOpen.at(-1)?.toFixed(0)} ms\n`,
      );
    }
    report('jit', jit, open);
    report('wrapped_jit', wrapped, wrappedOpen);
  } finally {
    await server.stop();
  }
} finally {
  streams.abort();
  await h.stop();
}
