/**
 * The network the LSP runs on when no LND is configured: the embedded regtest demo of
 * `npm start`. It is composed outside the server (`packages/cli`, on the test harness) and handed
 * to {@link startLsp}, so the server's production code never loads the harness. These types name
 * only what the server reads of it.
 */
import type { LightningBackend } from '@blgv/core';
import type { ChainBackend } from '@blgv/node-runner';
import type { Logger } from 'pino';

/** A node of the embedded network. */
export interface EmbeddedNode {
  readonly pubkey: string;
  /** `host:port` where peers reach it. */
  readonly host: string;
  /** Its gRPC port on 127.0.0.1. */
  readonly rpcPort: number;
  /** Its data directory (`tls.cert`, macaroons, logs). */
  readonly dir: string;
}

/** A started embedded network: the LSP's node, a demo client node and the chain. */
export interface EmbeddedNetwork {
  /** The network's data directory (hosted nodes and the walk-through's `demo.json` go under it). */
  readonly dir: string;
  /** The chain: the backend hosted nodes use, and btcd's RPC address. */
  readonly btcd: { readonly chain: ChainBackend; readonly rpcHost: string };
  /** The LSP's node, and the backend the LSP runs on. */
  readonly lsp: EmbeddedNode & { readonly lnd: LightningBackend };
  /** The demo client node the walk-through pays from. */
  readonly client: EmbeddedNode;
  /** Stops the network: its chain first, then every process. */
  stop(): Promise<void>;
}

/** Starts an embedded network, logging each step to `log`. */
export type EmbeddedNetworkStarter = (log: Logger) => Promise<EmbeddedNetwork>;
