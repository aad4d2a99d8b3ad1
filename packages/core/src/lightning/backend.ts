/**
 * The Lightning node, as the LSP reaches it through small ports, each owned by what uses it
 * (`ports/`): the node itself, peers, the graph, channels, funding, the wallet, invoices,
 * payments, HTLC interception and watchtowers. The LND adapter in `@blgv/lnd` implements them all;
 * `LightningBackend` is only their intersection, for wiring. A service names the ports it uses
 * (`FundingPort & Pick<ChannelsPort, 'listChannels'>`), so a unit test fakes just those.
 *
 * Every call takes an `AbortSignal`. Failures are {@link LspError}s with a code. Streams are
 * async iterables that reconnect on their own when the node restarts and end when the signal
 * aborts.
 */
import type { ChannelsPort } from './ports/channels.ts';
import type { FundingPort } from './ports/funding.ts';
import type { GraphPort } from './ports/graph.ts';
import type { HtlcInterceptionPort } from './ports/htlc-interception.ts';
import type { InvoicesPort } from './ports/invoices.ts';
import type { NodePort } from './ports/node.ts';
import type { PaymentsPort } from './ports/payments.ts';
import type { PeersPort } from './ports/peers.ts';
import type { RouteEstimationPort } from './ports/route-estimation.ts';
import type { WalletPort } from './ports/wallet.ts';
import type { WatchtowerPort } from './ports/watchtower.ts';
import type { ChannelPoint } from './types.ts';

export type { ChannelsPort } from './ports/channels.ts';
export type { FundingPort } from './ports/funding.ts';
export type { GraphPort } from './ports/graph.ts';
export type { HtlcInterceptionPort, HtlcInterceptor } from './ports/htlc-interception.ts';
export type { InvoicesPort } from './ports/invoices.ts';
export type { NodePort } from './ports/node.ts';
export type { PaymentsPort } from './ports/payments.ts';
export type { PeersPort } from './ports/peers.ts';
export type {
  RouteEstimationPort,
  RouteFeeEstimate,
  RouteFeeRequest,
  RouteProbabilityRequest,
} from './ports/route-estimation.ts';
export type { WalletPort } from './ports/wallet.ts';
export type { OwnTower, TowerAddress, TowerBackups, WatchtowerPort } from './ports/watchtower.ts';
export type { StreamOptions } from './stream-options.ts';

/** Everything the LSP needs from a Lightning node: every port, and releasing the connection. */
export type LightningBackend = NodePort &
  PeersPort &
  GraphPort &
  ChannelsPort &
  FundingPort &
  WalletPort &
  InvoicesPort &
  PaymentsPort &
  HtlcInterceptionPort &
  RouteEstimationPort &
  WatchtowerPort & {
    /** Releases connections. */
    close(): void;
  };

/** Formats a channel point as `txid:index`. */
export function formatChannelPoint(point: ChannelPoint): string {
  return `${point.txid}:${point.outputIndex}`;
}
