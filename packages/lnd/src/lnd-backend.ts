/**
 * The LND implementation of {@link LightningBackend}: one gRPC connection, and each port
 * implemented in `ports/` (node, peers, graph, channels, funding, wallet, invoices, payments,
 * HTLC interception, watchtowers), put together here. No LND type leaves this package.
 */
import type { LightningBackend } from '@blgv/core';
import { connectLnd, type LndConnectionConfig } from './connection.ts';
import { lndChannels } from './ports/channels.ts';
import { lndFunding } from './ports/funding.ts';
import { lndGraph } from './ports/graph.ts';
import { lndHtlcInterception } from './ports/htlc-interception.ts';
import { lndInvoices } from './ports/invoices.ts';
import { lndNode } from './ports/node.ts';
import { lndPayments } from './ports/payments.ts';
import { lndPeers } from './ports/peers.ts';
import { lndRouteEstimation } from './ports/route-estimation.ts';
import { lndWallet } from './ports/wallet.ts';
import { lndWatchtower } from './ports/watchtower.ts';
import type { StreamHooks } from './streams.ts';

/** Options of {@link LndBackend}. */
export interface LndBackendOptions {
  /** Told when a stream breaks and is retried (for logs). */
  readonly onStreamRetry?: StreamHooks['onRetry'];
}

/** Connects to LND and answers every port of {@link LightningBackend} on that connection. */
export function lndBackend(config: LndConnectionConfig, options: LndBackendOptions = {}): LightningBackend {
  const c = connectLnd(config);
  const node = lndNode(c);
  const hooks: StreamHooks = {
    ping: (signal) => node.getInfo(signal),
    ...(options.onStreamRetry ? { onRetry: options.onStreamRetry } : {}),
  };
  return {
    ...node,
    ...lndPeers(c, hooks),
    ...lndGraph(c),
    ...lndChannels(c, hooks),
    ...lndFunding(c),
    ...lndWallet(c),
    ...lndInvoices(c, hooks),
    ...lndPayments(c, hooks),
    ...lndHtlcInterception(c, hooks),
    ...lndRouteEstimation(c),
    ...lndWatchtower(c),
    close: () => c.close(),
  };
}
