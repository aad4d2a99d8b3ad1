/**
 * The network most integration stories start from: btcd plus three funded LND nodes,
 * alice (a payer), lsp (our LSP's node) and bob (a client).
 */
import { after, before } from 'node:test';
import { sat } from '@blgv/core';
import { Harness, type LndNode, type LndNodeOptions } from '@blgv/regtest';

/** A started network; `stop()` ends every process. */
export interface Network {
  readonly h: Harness;
  readonly alice: LndNode;
  readonly lsp: LndNode;
  readonly bob: LndNode;
}

/** Options of the network's nodes. */
export interface NetworkOptions {
  readonly lsp?: LndNodeOptions;
  readonly bob?: LndNodeOptions;
}

/** Starts btcd, alice, lsp and bob, and gives each wallet 0.1 BTC. */
export async function startNetwork(options: NetworkOptions = {}): Promise<Network> {
  const h = await Harness.start();
  try {
    const [alice, lsp, bob] = await Promise.all([
      h.newNode('alice'),
      h.newNode('lsp', options.lsp),
      h.newNode('bob', options.bob),
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

/** What {@link useNetwork} hands a test file. */
export interface NetworkContext {
  /** The network (available inside tests, after `before`). */
  readonly net: Network;
  /** Aborted after the file's tests: pass it to streams the tests open. */
  readonly signal: AbortSignal;
}

/** Starts a network before the file's tests and stops it, and every stream on `signal`, after. */
export function useNetwork(options: NetworkOptions = {}): NetworkContext {
  let current: Network | undefined;
  const stop = new AbortController();
  before(async () => {
    current = await startNetwork(options);
  });
  after(async () => {
    stop.abort();
    await current?.h.stop();
  });
  return {
    get net() {
      if (!current) throw new Error('the network starts in before()');
      return current;
    },
    signal: stop.signal,
  };
}

/** Drains an async iterable into an array in the background (for streams under test). */
export function collect<T>(items: AsyncIterable<T>): T[] {
  const seen: T[] = [];
  void (async () => {
    for await (const item of items) seen.push(item);
  })();
  return seen;
}
