/**
 * Channels: listing them in every phase, opening (tests and the demo), closing, accepting,
 * their events, backups, policies and forwards.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Hex32, Scid } from '../../ids.ts';
import type { StreamOptions } from '../stream-options.ts';
import type {
  Channel,
  ChannelBackup,
  ChannelBalance,
  ChannelEvent,
  ChannelOpenDecision,
  ChannelOpenProposal,
  ChannelPoint,
  ChannelPolicyUpdate,
  CloseChannelRequest,
  ClosedChannel,
  ClosingChannel,
  ForwardingEvent,
  ForwardingHistoryQuery,
  OpenChannelRequest,
  OpenChannelResult,
  PendingChannel,
} from '../types.ts';

/** Channels: listing them in every phase, opening (tests and the demo), closing, accepting, their events, backups, policies and forwards. */
export interface ChannelsPort {
  listChannels(signal: AbortSignal): Promise<Channel[]>;

  pendingChannels(signal: AbortSignal): Promise<PendingChannel[]>;

  /**
   * Channels whose close has not resolved yet: waiting for the closing transaction to confirm,
   * or force-closed with funds time-locked or not yet swept back to the wallet.
   */
  closingChannels(signal: AbortSignal): Promise<ClosingChannel[]>;

  /**
   * Channels closed, abandoned, or closing (their close not yet confirmed: `closeType`
   * `CLOSING`).
   */
  closedChannels(signal: AbortSignal): Promise<ClosedChannel[]>;

  channelBalance(signal: AbortSignal): Promise<ChannelBalance>;

  /**
   * Opens a channel and lets the node fund and publish it (tests and the demo network; the LSP
   * opens through the PSBT calls below, which leave publishing to it).
   */
  openChannel(request: OpenChannelRequest, signal: AbortSignal): Promise<OpenChannelResult>;

  /** Starts a close and returns the closing transaction id once it is published. */
  closeChannel(request: CloseChannelRequest, signal: AbortSignal): Promise<{ closingTxid: Hex32 }>;

  /** Forgets a pending channel whose funding transaction will never be published. */
  abandonChannel(point: ChannelPoint, signal: AbortSignal): Promise<void>;

  /** Registers a channel acceptor that answers every inbound open with `decide`. */
  acceptChannels(
    decide: (proposal: ChannelOpenProposal) => ChannelOpenDecision | Promise<ChannelOpenDecision>,
    options: StreamOptions,
  ): Promise<void>;

  channelEvents(options: StreamOptions): AsyncIterable<ChannelEvent>;

  /** The node's static channel backup each time it changes (the current one first). */
  channelBackups(options: StreamOptions): AsyncIterable<ChannelBackup>;

  updateChannelPolicy(update: ChannelPolicyUpdate, signal: AbortSignal): Promise<void>;

  forwardingHistory(query: ForwardingHistoryQuery, signal: AbortSignal): Promise<ForwardingEvent[]>;

  /** Makes `alias` route to the channel whose confirmed or base scid is `base`. */
  addChannelAlias(alias: Scid, base: Scid, signal: AbortSignal): Promise<void>;
}
