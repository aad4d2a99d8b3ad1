/**
 * The network of the JIT burst stories: a payer (alice) with a channel to the LSP's node, wallets
 * with no channel (`lnd-lsps2-client` nodes running `runLsps2Client`), and the LSP serving a
 * wallet vendor's tenant. Each story says how the LSP's wallet is funded and how it is
 * configured; after a burst, each wallet's channels are read once no HTLC is in flight.
 */
import { type Channel, type LightningBackend, type Msat, msat, type Sat, sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import { Harness, type LndNode } from '@blgv/regtest';
import { JitWallet } from './jit-wallet.ts';
import { startTestLsp, type TestLsp } from './lsp-server.ts';
import { within } from './network.ts';

/** A running launch-day network; {@link LaunchDay.stop} ends it. */
export interface LaunchDay {
  readonly h: Harness;
  readonly alice: LndNode;
  readonly lsp: LndNode;
  readonly wallets: readonly JitWallet[];
  readonly server: TestLsp;
  /** The wallet vendor's tenant. */
  readonly vendor: LSPClient;
  stop(): Promise<void>;
}

/** Starts a launch-day network. */
export async function startLaunchDay(options: {
  /** How many wallets. */
  readonly wallets: number;
  /** The LSP wallet's confirmed coins. */
  readonly lspCoins: readonly Sat[];
  /** The LSP server's config file. */
  readonly file: Record<string, unknown>;
  /** What alice must be able to send the LSP over her channel. */
  readonly canSend: Msat;
  /** Wraps the LSP node's backend for the server (e.g. to inject faults around the real LND). */
  readonly wrap?: (lightning: LightningBackend) => LightningBackend;
}): Promise<LaunchDay> {
  const h = await Harness.start();
  const streams = new AbortController();
  let server: TestLsp | undefined;
  try {
    const nodes = await Promise.all([
      h.newNode('alice'),
      h.newNode('lsp', { requireInterceptor: true }),
      ...Array.from({ length: options.wallets }, (_, i) => h.newNode(`wallet${i}`, { lsps2Client: true })),
    ]);
    const [alice, lsp] = nodes as [LndNode, LndNode];
    await h.fund([alice, sat(5_000_000)], ...options.lspCoins.map((c) => [lsp, c] as const));
    server = await startTestLsp(
      { h, alice, lsp, bob: alice },
      { file: options.file, ...(options.wrap ? { wrap: options.wrap } : {}) },
    );
    const channel = await h.openChannel(alice, lsp, sat(3_000_000));
    await h.waitCanSend(alice, lsp, channel.scid, msat(options.canSend));
    const wallets = await Promise.all(nodes.slice(2).map((n) => JitWallet.start(h, n, lsp, streams.signal)));
    const vendor = (await server.newTenant('wallet-vendor')).client;
    const running = server;
    return {
      h,
      alice,
      lsp,
      wallets,
      server: running,
      vendor,
      async stop() {
        streams.abort();
        await running.stop();
        await h.stop();
      },
    };
  } catch (err) {
    streams.abort();
    await server?.stop();
    await h.stop();
    throw err;
  }
}

/** `node`'s channels once none has an HTLC in flight (a payment's last update is through). */
export function settledChannels(h: Harness, node: LndNode): Promise<Channel[]> {
  return h.waitFor(
    async () => {
      const list = await node.lnd.listChannels(within());
      return list.every((c) => c.pendingHtlcs === 0) && list;
    },
    { what: `${node.name}'s channels with no HTLC in flight` },
  );
}
