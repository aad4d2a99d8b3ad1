/**
 * The Lightning side of an LSPS1 order's effects, for the order runner (`order-runner.ts`):
 * reaching the client, checking the payment is still safely held before the commit point,
 * settling or cancelling the hold invoice, and the channel an order funds.
 */
import {
  CHANNEL_FUNDING_VBYTES,
  ErrorCode,
  type FeeSchedule,
  type InvoicesPort,
  isLspError,
  type NodePort,
  type OrderEvent,
  type PaymentMethod,
  type PeersPort,
  type Pubkey,
  parseHex32,
  parsePubkey,
  sat,
} from '@blgv/core';
import type { Lsps1OrderRecord } from '@blgv/store';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import { forwardingFees } from '../channels/forwarding-policy.ts';
import type { FundingChannel } from '../funding/channel-funder.ts';
import { heldHtlcCheck } from './hold-timing.ts';

const MEMO_PREFIX = 'lsps1:';

/**
 * The Lightning calls the order runner makes: following, settling and cancelling an order's
 * hold invoice, the block height, and connecting to the client before its channel opens.
 */
export type OrderRunnerLightning = Pick<
  InvoicesPort,
  'cancelInvoice' | 'lookupInvoice' | 'settleInvoice' | 'subscribeInvoice'
> &
  Pick<NodePort, 'getInfo'> &
  Pick<PeersPort, 'connectPeer' | 'listPeers'>;

/** The funder's owner key of an order's channel. */
export function orderOwner(order: Pick<Lsps1OrderRecord, 'id'>): string {
  return `lsps1:${order.id}`;
}

/** The channel an order funds: its balances, privacy and forwarding fees. */
export function orderChannel(order: Lsps1OrderRecord, schedule: FeeSchedule): FundingChannel {
  return {
    owner: orderOwner(order),
    open: {
      ...forwardingFees(schedule),
      remotePubkey: parsePubkey(order.clientPubkey),
      localAmount: sat(order.lspBalanceSat + order.clientBalanceSat),
      pushAmount: sat(order.clientBalanceSat),
      private: !order.announceChannel,
      memo: `${MEMO_PREFIX}${order.id}`,
    },
  };
}

/** The fee rate the order's network fee was priced at (its share is exact: rate x vbytes). */
export function orderFeeRate(order: Pick<Lsps1OrderRecord, 'networkFeeSat'>): bigint {
  const rate = order.networkFeeSat / CHANNEL_FUNDING_VBYTES;
  return rate >= 1n ? rate : 1n;
}

/** True when the client is a peer, or could be connected to at the host it gave. */
export async function reachable(
  lightning: OrderRunnerLightning,
  client: Pubkey,
  host: string | null,
  signal: AbortSignal,
): Promise<boolean> {
  const peers = await lightning.listPeers(signal);
  if (peers.some((p) => p.pubkey === client)) return true;
  if (!host) return false;
  return lightning.connectPeer(client, host, signal).then(
    () => true,
    () => false,
  );
}

/**
 * Throws (cancelling the open before its commit point) unless LND still holds the order's
 * HTLC, expiring far enough above the chain's height that LND cannot cancel it before the
 * funding is published and the invoice settled.
 */
export async function stillHeld(
  deps: { readonly lightning: OrderRunnerLightning; readonly holdExpiryDelta: number; readonly log: Logger },
  order: Lsps1OrderRecord,
): Promise<void> {
  const signal = AbortSignal.timeout(15_000);
  const [invoice, info] = await Promise.all([
    deps.lightning.lookupInvoice(parseHex32(order.paymentHash), signal),
    deps.lightning.getInfo(signal),
  ]);
  const held = heldHtlcCheck(invoice, info.blockHeight, deps.holdExpiryDelta);
  if (!held.ok) {
    deps.log.warn({ order: order.id, reason: held.reason }, 'payment no longer safely held; not committing');
    throw new Error(held.reason);
  }
}

/** Settles the order's hold invoice (settled already counts). */
export async function settleHeldInvoice(
  lightning: OrderRunnerLightning,
  box: SecretBox,
  order: Lsps1OrderRecord,
  signal: AbortSignal,
): Promise<void> {
  await lightning
    .settleInvoice(parseHex32(box.open(order.preimageCiphertext)), signal)
    .catch((err: unknown) => {
      if (!/already settled/i.test(String(err))) throw err;
    });
}

/** Cancels the order's held payment (cancelled already, or unknown to LND, counts). */
export async function cancelHeldInvoice(
  lightning: OrderRunnerLightning,
  order: Lsps1OrderRecord,
  signal: AbortSignal,
): Promise<void> {
  await lightning.cancelInvoice(parseHex32(order.paymentHash), signal).catch((err: unknown) => {
    if (!/already canceled|already cancelled/i.test(String(err)) && !isLspError(err, ErrorCode.NotFound))
      throw err;
  });
}

/** Cancels an invoice no one will pay (best effort: an open one only expires otherwise). */
export async function dropInvoice(
  lightning: OrderRunnerLightning,
  order: Lsps1OrderRecord,
  signal: AbortSignal,
): Promise<void> {
  await lightning.cancelInvoice(parseHex32(order.paymentHash), signal).catch(() => {});
}

/** The payment method an event establishes, if any. */
export function paymentMethodOf(event: OrderEvent): PaymentMethod | undefined {
  if (event.type === 'payment_held') return 'bolt11';
  if (event.type === 'onchain_paid' || event.type === 'underpaid_expired') return 'onchain';
  return undefined;
}
