/** Channels in every phase: the domain types its port speaks (no LND type). */
import type { Hex32, Pubkey, Scid } from '../../ids.ts';
import type { Msat, Sat } from '../../money.ts';

/** Funding outpoint of a channel, `txid:index`. */
export interface ChannelPoint {
  readonly txid: Hex32;
  readonly outputIndex: number;
}

/** An open channel. */
export interface Channel {
  readonly channelPoint: ChannelPoint;
  /** The confirmed short channel id, or an alias for unconfirmed zero-conf channels. */
  readonly scid: Scid;
  readonly aliasScids: readonly Scid[];
  /** The alias the peer should use in route hints (scid-alias channels). */
  readonly peerAliasScid: Scid | undefined;
  readonly remotePubkey: Pubkey;
  readonly capacity: Sat;
  readonly localBalance: Sat;
  readonly remoteBalance: Sat;
  /** What the initiator gave the other side at open. */
  readonly pushAmount: Sat;
  /** What we must keep on our side (the channel reserve): spendable is `localBalance` minus this. */
  readonly localReserve: Sat;
  /** What the peer must keep on its side: what it can send us is `remoteBalance` minus this. */
  readonly remoteReserve: Sat;
  readonly active: boolean;
  readonly private: boolean;
  readonly initiator: boolean;
  readonly zeroConf: boolean;
  readonly confirmed: boolean;
  /** HTLCs in flight on the channel. */
  readonly pendingHtlcs: number;
  /** Those HTLCs, with the block height each times out at. */
  readonly htlcs: readonly ChannelHtlc[];
  /** The note given at open (we tag channels with what they were opened for). */
  readonly memo: string;
}

/** An HTLC in flight on a channel. */
export interface ChannelHtlc {
  /** True when the peer offered it to us. */
  readonly incoming: boolean;
  readonly amount: Sat;
  /** The block height its CLTV expires at. */
  readonly expirationHeight: number;
  /** The payment it belongs to. */
  readonly paymentHash: Hex32;
}

/** Sum of channel balances. */
export interface ChannelBalance {
  readonly local: Msat;
  readonly remote: Msat;
  readonly pendingOpenLocal: Msat;
}

/** A channel whose funding transaction has not confirmed yet. */
export interface PendingChannel {
  readonly channelPoint: ChannelPoint;
  readonly remotePubkey: Pubkey;
  readonly capacity: Sat;
  readonly localBalance: Sat;
  readonly remoteBalance: Sat;
  readonly initiator: boolean;
  readonly private: boolean;
  /** Blocks until the channel opens (when LND knows). */
  readonly confirmationsUntilActive: number | undefined;
  readonly memo: string;
}

/**
 * A channel on its way to closed: its closing transaction waiting to confirm
 * (`waiting_close`), or force-closed with our share still time-locked or unswept
 * (`force_closing`). Our funds in it are not in the wallet yet.
 */
export interface ClosingChannel {
  readonly channelPoint: ChannelPoint;
  readonly remotePubkey: Pubkey;
  readonly capacity: Sat;
  readonly kind: 'waiting_close' | 'force_closing';
  /** The closing (or commitment) transaction, when LND knows it. */
  readonly closingTxid: Hex32 | undefined;
  /** Our funds in the channel not yet recovered to the wallet. */
  readonly limboBalance: Sat;
  /** `force_closing`: the height from which our time-locked output can be swept. */
  readonly maturityHeight: number | undefined;
  /** `force_closing`: blocks until then (negative once past). */
  readonly blocksTilMaturity: number | undefined;
  /** `force_closing`: HTLCs still to resolve on chain. */
  readonly pendingHtlcs: number;
  /**
   * `waiting_close` after a force close (any close but a cooperative one): LND does not list
   * its HTLCs until the closing transaction has its confirmations (`force_closing` then), so
   * whether it has any to resolve on chain is not known yet.
   */
  readonly htlcsUnknown: boolean;
}

/** A channel that is closed, abandoned or closing, as the node remembers it. */
export interface ClosedChannel {
  readonly channelPoint: ChannelPoint;
  readonly remotePubkey: Pubkey;
  readonly capacity: Sat;
  /** LND's close type (`COOPERATIVE_CLOSE`, `ABANDONED`, …), or `CLOSING` while it confirms. */
  readonly closeType: string;
  /**
   * Once the close is resolved (not `CLOSING`): what it settled back to this node (a
   * cooperative close: its output; a force close: its outputs before they are swept).
   */
  readonly settledBalance?: Sat;
  /** The block its close transaction confirmed in (once resolved). */
  readonly closeHeight?: number;
  /** A force close, once resolved: what became of each of its outputs (LND's resolutions). */
  readonly resolutions?: readonly CloseResolution[];
}

/** What became of one output of a force close, as LND resolved it. */
export interface CloseResolution {
  /** `commit` (this node's own output), `anchor`, `incoming_htlc`, `outgoing_htlc`. */
  readonly kind: 'commit' | 'anchor' | 'incoming_htlc' | 'outgoing_htlc' | 'unknown';
  /**
   * `claimed`: swept to this node's wallet; `timeout`: an outgoing HTLC taken back; `unclaimed`,
   * `abandoned`: nothing came back; `first_stage`: an HTLC's first transaction only.
   */
  readonly outcome: 'claimed' | 'timeout' | 'unclaimed' | 'abandoned' | 'first_stage' | 'unknown';
  /** The output, `txid:index`. */
  readonly outpoint: ChannelPoint;
  readonly amount: Sat;
  /** The transaction that swept it to this node's wallet, when one did. */
  readonly sweepTxid?: Hex32;
}

/** Parameters of a new channel. */
export interface OpenChannelRequest {
  readonly remotePubkey: Pubkey;
  readonly localAmount: Sat;
  readonly pushAmount?: Sat;
  readonly private?: boolean;
  /** Funding fee rate; LND picks one from its estimator when absent. */
  readonly satPerVbyte?: bigint;
  /** Confirmation target used when no fee rate is given. */
  readonly targetConf?: number;
  readonly zeroConf?: boolean;
  readonly scidAlias?: boolean;
  /** Where the LSP's side goes on cooperative close. */
  readonly closeAddress?: string;
  readonly remoteChanReserve?: Sat;
  readonly minHtlc?: Msat;
  readonly baseFee?: Msat;
  readonly feeRatePpm?: bigint;
  /**
   * The most blocks the peer may make us wait for our funds after we force-close (its
   * `to_self_delay`); a peer asking more is refused. LND's `bitcoin.maxlocaldelay` when absent.
   */
  readonly maxLocalCsv?: number;
  /** A note stored with the channel (at most 500 bytes), e.g. the order it was opened for. */
  readonly memo?: string;
}

/** The outcome of publishing a channel's funding transaction. */
export interface OpenChannelResult {
  readonly channelPoint: ChannelPoint;
}

/** How to close a channel. */
export interface CloseChannelRequest {
  readonly channelPoint: ChannelPoint;
  readonly force?: boolean;
  readonly satPerVbyte?: bigint;
}

/** A change in the set of channels. */
export type ChannelEvent =
  | { readonly type: 'pending_open'; readonly channelPoint: ChannelPoint }
  | { readonly type: 'open'; readonly channel: Channel }
  | { readonly type: 'active' | 'inactive' | 'fully_resolved'; readonly channelPoint: ChannelPoint }
  | { readonly type: 'closed'; readonly channelPoint: ChannelPoint; readonly closingTxid: string };

/** A peer's request to open a channel to us. */
export interface ChannelOpenProposal {
  readonly remotePubkey: Pubkey;
  readonly pendingChanId: Uint8Array;
  readonly fundingAmount: Sat;
  readonly pushAmount: Msat;
  readonly wantsZeroConf: boolean;
  readonly wantsScidAlias: boolean;
  readonly private: boolean;
}

/** Our answer to a {@link ChannelOpenProposal}. */
export type ChannelOpenDecision =
  | {
      readonly accept: true;
      readonly zeroConf?: boolean;
      /** The `to_self_delay` we ask of the opener (LND's default when absent). */
      readonly csvDelay?: number;
    }
  | { readonly accept: false; readonly error: string };

/** Forwarding policy for one channel or all channels. */
export interface ChannelPolicyUpdate {
  /** Absent to apply to every channel. */
  readonly channelPoint?: ChannelPoint;
  readonly baseFee: Msat;
  readonly feeRatePpm: bigint;
  readonly timeLockDelta: number;
  /**
   * The inbound fee (LND 0.18+): added to the fee of HTLCs that arrive over the channel; LND
   * accepts only discounts (0 or negative) by default. Absent: left as it is.
   */
  readonly inboundFee?: { readonly baseFee: bigint; readonly feeRatePpm: bigint };
}

/** One side's forwarding policy of a channel, as the node's graph has it. */
export interface ChannelEdgePolicy {
  readonly baseFee: Msat;
  readonly feeRatePpm: bigint;
  readonly inboundBaseFee: bigint;
  readonly inboundFeeRatePpm: bigint;
  readonly timeLockDelta: number;
  readonly disabled: boolean;
  /** When this side last updated it (its channel_update's timestamp). */
  readonly lastUpdate: Date;
}

/** A channel as the node's graph has it: both ends and each end's policy (when announced). */
export interface ChannelEdge {
  readonly scid: Scid;
  readonly node1: Pubkey;
  readonly node2: Pubkey;
  readonly node1Policy: ChannelEdgePolicy | undefined;
  readonly node2Policy: ChannelEdgePolicy | undefined;
}

/** One forwarded payment. */
export interface ForwardingEvent {
  readonly timestamp: Date;
  readonly incomingScid: Scid;
  readonly outgoingScid: Scid;
  readonly amountIn: Msat;
  readonly amountOut: Msat;
  readonly fee: Msat;
}

/** Which forwards to list. */
export interface ForwardingHistoryQuery {
  readonly start: Date;
  readonly end: Date;
  readonly offset?: number;
  readonly limit?: number;
}

/** A node's static channel backup (all its channels), as LND exports it. */
export interface ChannelBackup {
  /** The encrypted multi-channel backup, base64. */
  readonly multiChannelBackup: string;
  /** How many channels it covers. */
  readonly channelCount: number;
}
