/**
 * The Lightning side of paying a wrapped invoice's wallet (the runner's `pay_wallet` effect):
 * which channel of the wallet's can carry the payment (an existing one, or the new one once
 * active), whether the payer's payment can still wait
 * for it, sending it over that channel, and the wrapped invoice's event its outcome makes. No state is kept here: the runner applies the event.
 */
import {
  type ChannelsPort,
  type InvoicesPort,
  type NodePort,
  type PaymentResult,
  type PaymentsPort,
  parseHex32,
  type Scid,
  scid,
  type WrappedInvoiceEvent,
} from '@blgv/core';
import type { WrappedInvoiceRecord } from '@blgv/store';
import type { Logger } from 'pino';
import { activeChannel, type ChannelActivityLightning } from '../lsps2/channel-open.ts';
import { pause } from '../poll.ts';

/**
 * The channel the wallet's payment goes over: the one chosen (`channelScid`), or the new one
 * (its funding outpoint) once active, waited for up to `waitMs`. A new channel that never
 * becomes active within it is `neverActive` (the payment then fails: never sent), and throws.
 */
export async function walletChannel(
  lightning: ChannelActivityLightning,
  w: Pick<WrappedInvoiceRecord, 'id' | 'channelScid' | 'fundingTxid' | 'fundingOutputIndex'>,
  options: { waitMs: number; signal: AbortSignal; neverActive: (reason: string) => Promise<void> },
): Promise<Scid> {
  if (w.fundingTxid === null || w.fundingOutputIndex === null) {
    if (!w.channelScid) throw new Error(`wrapped invoice ${w.id} is paying without a channel`);
    return scid(BigInt(w.channelScid));
  }
  const channel = await activeChannel(
    lightning,
    { channelPoint: { txid: parseHex32(w.fundingTxid), outputIndex: w.fundingOutputIndex } },
    AbortSignal.any([options.signal, AbortSignal.timeout(options.waitMs)]),
  ).catch(async (err: unknown) => {
    // Never sent: the wallet took the channel but never made it usable.
    if (err instanceof DOMException && err.name === 'TimeoutError')
      await options.neverActive('the new channel never became active');
    throw err;
  });
  return channel.scid;
}

/** HTLCs in flight above which a channel is not chosen (LND's limit is 483 per side). */
const MAX_PENDING_HTLCS = 400;
/** What a chosen channel keeps beyond the payment (sat), for its fee and rounding. */
const ROOM_MARGIN_SAT = 1_000n;

/** A channel of the wallet's, active, that can carry its amount now (`undefined`: none). */
export async function channelWithRoom(
  lightning: Pick<ChannelsPort, 'listChannels'>,
  w: Pick<WrappedInvoiceRecord, 'walletPubkey' | 'walletAmount'>,
  signal: AbortSignal,
): Promise<Scid | undefined> {
  const channels = await lightning.listChannels(signal);
  const need = (w.walletAmount + 999n) / 1000n;
  const fit = channels.find(
    (c) =>
      c.remotePubkey === w.walletPubkey &&
      c.active &&
      c.localBalance - c.localReserve >= need + ROOM_MARGIN_SAT &&
      c.pendingHtlcs < MAX_PENDING_HTLCS,
  );
  return fit?.scid;
}

/** How {@link sendToWallet} waits. */
export interface SendToWalletOptions {
  /** How long one payment may take before its outcome is taken as unknown. */
  readonly waitMs: number;
  /** Past this (ms since the epoch), a payment the new channel did not take is not sent again. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * Sends the wallet's payment over `channel`, on a one-hop route built without LND's graph (a
 * new channel reaches the graph up to a second or two after it is active). A channel that has
 * just become active may not take an HTLC for a moment: a payment whose HTLC failed at the LSP's
 * own node (hop 0) never left it, so it is sent again until the channel carries it or the
 * deadline passes.
 */
export async function sendToWallet(
  lightning: Pick<PaymentsPort, 'payOverChannel'>,
  w: Pick<WrappedInvoiceRecord, 'id' | 'walletInvoice'>,
  channel: Scid,
  options: SendToWalletOptions,
): Promise<PaymentResult> {
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    const result = await lightning.payOverChannel(
      { paymentRequest: w.walletInvoice, scid: channel },
      AbortSignal.any([options.signal, AbortSignal.timeout(options.waitMs)]),
    );
    const notSent =
      result.status === 'failed' &&
      result.attemptFailures.length > 0 &&
      result.attemptFailures.every((f) => f.sourceIndex === 0);
    if (!notSent || Date.now() + delay > options.deadline) return result;
    options.log.debug(
      { wrapped: w.id, failures: result.attemptFailures.map((f) => f.code), againInMs: delay },
      'the new channel did not take the payment yet; sending it again',
    );
    await pause(delay, options.signal);
  }
}

/**
 * The wrapped invoice's event for the wallet payment's outcome: `wallet_paid` with its preimage
 * and the channel its settled HTLC went over, or `pay_failed` with LND's reason.
 */
export function walletPaymentEvent(result: PaymentResult): WrappedInvoiceEvent {
  if (result.status !== 'succeeded')
    return { type: 'pay_failed', reason: `the wallet's invoice could not be paid: ${result.reason}` };
  // The channel it went over: the first hop of its settled HTLC.
  const channelScid = result.attempts?.find((a) => a.status === 'succeeded')?.hops[0]?.scid;
  return {
    type: 'wallet_paid',
    preimage: result.preimage,
    ...(channelScid !== undefined ? { channelScid } : {}),
  };
}

/**
 * Blocks kept between the wallet's HTLC and the payer's when the wallet is paid late: LND's
 * `invoices.holdexpirydelta` (18), which cancels a held payment that close to its expiry, and
 * LND's block padding of an outgoing payment (3).
 */
const HOLD_EXPIRY_MARGIN_BLOCKS = 21;
/** Deadline of one LND call. */
const LOOKUP_MS = 30_000;

/**
 * Why the wallet cannot be paid now, if it cannot: the payer's payment is no longer held, or
 * its HTLCs expire too soon to be settled after a wallet that holds its own HTLC to the end
 * (LND cancels a held payment `invoices.holdexpirydelta`, 18 blocks, before it expires).
 */
export async function whyWalletNotPayable(
  lightning: Pick<InvoicesPort, 'lookupInvoice'> & Pick<NodePort, 'getInfo'>,
  w: Pick<WrappedInvoiceRecord, 'paymentHash' | 'walletCltv'>,
): Promise<string | undefined> {
  const invoice = await lightning.lookupInvoice(w.paymentHash, AbortSignal.timeout(LOOKUP_MS));
  if (invoice.state !== 'accepted') return `the payment is no longer held (invoice ${invoice.state})`;
  const expiries = invoice.htlcs.filter((h) => h.state === 'accepted').map((h) => h.expiryHeight);
  if (expiries.length === 0) return 'the payment is no longer held (no HTLC)';
  const { blockHeight } = await lightning.getInfo(AbortSignal.timeout(LOOKUP_MS));
  const left = Math.min(...expiries) - blockHeight;
  if (left <= w.walletCltv + HOLD_EXPIRY_MARGIN_BLOCKS)
    return `the payer's HTLCs expire in ${left} blocks, too soon to pay the wallet (its invoice asks ${w.walletCltv}, and ${HOLD_EXPIRY_MARGIN_BLOCKS} more are kept)`;
  return undefined;
}
