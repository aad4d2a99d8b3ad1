/**
 * What a JIT channel costs the first payment. `BENCH_ROUNDS` times, a wallet (one of
 * `BENCH_WALLETS` `lnd-lsps2-client` nodes running `runLsps2Client`, starting with no
 * channels) buys a fresh JIT scid and alice pays an invoice over it: the LSP holds the HTLC,
 * opens a zero-conf channel, maps the scid onto it and forwards with the fee deducted; the
 * wallet's modifier counts it in full. Baseline in the same run: right after, alice pays the
 * same wallet the same amount again over the channel that is now open (same path alice -> lsp
 * -> wallet, same modifier). Each figure runs from `sendPayment` called to the payer holding
 * the preimage (single part). Prints medians and the difference.
 */
import { msat, sat } from '@blgv/core';
import { Harness, type LndNode } from '@blgv/regtest';
import { firstPayment, JitWallet, openChannelHint, startTestLsp, within } from '@blgv/testkit';
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

const h = await Harness.start();
const streams = new AbortController();
try {
  const [alice, lsp] = await Promise.all([
    h.newNode('alice'),
    h.newNode('lsp', { requireInterceptor: true }),
  ]);
  const clients = await Promise.all(
    Array.from({ length: WALLETS }, (_, i) => h.newNode(`wallet${i}`, { lsps2Client: true })),
  );
  // One confirmed output per JIT channel: each open spends its own, none waits for change.
  await h.fund(
    [alice, sat(10_000_000)],
    ...Array.from({ length: ROUNDS }, () => [lsp, sat(1_500_000)] as const),
  );
  const server = await startTestLsp(
    { h, alice, lsp, bob: alice },
    {
      file: {
        lsps2: { minChannelSize: 1_000_000 },
        fees: { routing: { baseFeeMsat: Number(ROUTING.baseFee), feeRatePpm: ROUTING.feeRatePpm } },
      },
    },
  );
  try {
    const channel = await h.openChannel(alice, lsp, sat(3_000_000));
    await h.waitCanSend(alice, lsp, channel.scid, AMOUNT);
    const wallets = await Promise.all(clients.map((c) => JitWallet.start(h, c, lsp, streams.signal)));
    const { client } = await server.newTenant('bench');

    const jit: number[] = [];
    const open: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const wallet = wallets[round % wallets.length];
      if (!wallet) throw new Error('no wallet');
      const first = await firstPayment(client, wallet, AMOUNT);
      jit.push(await timedPayment(alice, first.paymentRequest));

      // The same payment again, now over an open channel.
      const opened = Math.floor(round / wallets.length) + 1;
      const channels = await h.waitFor(
        async () => {
          const list = await wallet.node.lnd.listChannels(within());
          return list.length === opened && list.every((c) => c.pendingHtlcs === 0 && c.active) && list;
        },
        { what: `${wallet.node.name}'s JIT channel to settle` },
      );
      const again = await wallet.node.lnd.addInvoice(
        { amount: AMOUNT, routeHints: [[openChannelHint(lsp, channels[0], ROUTING)]] },
        within(),
      );
      open.push(await timedPayment(alice, again.paymentRequest));
      // Sanity: the first went through the JIT path (fee deducted), the second did not.
      if (wallet.htlcsOf(first.paymentHash).length !== 1 || wallet.htlcsOf(again.paymentHash).length !== 0)
        throw new Error('a payment did not take the path it was meant to');
      process.stdout.write(
        `# round ${round} (${wallet.node.name}): JIT ${jit.at(-1)?.toFixed(0)} ms, open channel ${open.at(-1)?.toFixed(0)} ms\n`,
      );
    }
    const [j, o] = [median(jit), median(open)];
    result('jit_first_payment_ms', j, 'ms');
    result('open_channel_payment_ms', o, 'ms');
    result('jit_minus_open_channel_ms', j - o, 'ms');
    result('jit_vs_open_channel_ratio', j / o, 'x');
  } finally {
    await server.stop();
  }
} finally {
  streams.abort();
  await h.stop();
}
