/**
 * The network most integration stories start from: btcd plus three funded LND nodes,
 * alice (a payer), lsp (our LSP's node) and bob (a client).
 */
import { sat } from '@blgv/core';
import { Harness, type LndNode, type LndNodeOptions } from '@blgv/regtest';

/** A started network; `stop()` ends every process. */
export interface Network {
  readonly h: Harness;
  readonly alice: LndNode;
  readonly lsp: LndNode;
  readonly bob: LndNode;
}

/** Starts btcd, alice, lsp and bob, and gives each wallet 0.1 BTC. */
export async function startNetwork(options: { lsp?: LndNodeOptions } = {}): Promise<Network> {
  const h = await Harness.start();
  try {
    const [alice, lsp, bob] = await Promise.all([
      h.newNode('alice'),
      h.newNode('lsp', options.lsp),
      h.newNode('bob'),
    ]);
    await h.fund([alice, sat(10_000_000)], [lsp, sat(10_000_000)], [bob, sat(10_000_000)]);
    return { h, alice, lsp, bob };
  } catch (err) {
    await h.stop();
    throw err;
  }
}

/** A signal that aborts after `ms` (default 30 s): every backend call in tests takes one. */
export function within(ms = 30_000): AbortSignal {
  return AbortSignal.timeout(ms);
}
