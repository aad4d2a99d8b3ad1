/**
 * What the upstream LSPS1 source asks of the LSP's own Lightning node, kept beside the source
 * (whose file is otherwise past 400 lines with it).
 */
import type { NodePort, PeersPort, WalletPort } from '@blgv/core';
import type { LspsPeerClientLightning } from '../lsps0/lsps-peer-client.ts';
import type { PurchaseWaitsLightning } from './upstream-purchase-waits.ts';

/**
 * The Lightning calls the upstream source makes: connecting to the upstream, the wallet (a refund
 * address, the fee, the balance, paying and finding the payment again), the block height, and
 * those of its LSPS client and its waits.
 */
export type UpstreamLsps1SourceLightning = Pick<PeersPort, 'connectPeer'> &
  Pick<
    WalletPort,
    'estimateSendFee' | 'listOnchainTransactions' | 'newAddress' | 'sendCoins' | 'walletBalance'
  > &
  Pick<NodePort, 'getInfo'> &
  LspsPeerClientLightning &
  PurchaseWaitsLightning;
