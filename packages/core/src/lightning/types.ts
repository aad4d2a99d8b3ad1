/**
 * Plain domain types that cross the {@link LightningBackend} port. Nothing here knows LND.
 */
import type { Hex32, Pubkey, Scid } from '../ids.ts';
import type { Msat, Sat } from '../money.ts';

/** What a node says about itself. */
export interface NodeInfo {
  readonly pubkey: Pubkey;
  readonly alias: string;
  readonly color: string;
  readonly blockHeight: number;
  readonly blockHash: string;
  readonly syncedToChain: boolean;
  readonly syncedToGraph: boolean;
  /** `pubkey@host:port` for each address the node listens on. */
  readonly uris: readonly string[];
  readonly version: string;
  readonly numActiveChannels: number;
  readonly numPendingChannels: number;
  readonly numPeers: number;
}

/** On-chain wallet balance. */
export interface WalletBalance {
  /** Confirmed and spendable: leased outputs are left out. */
  readonly confirmed: Sat;
  readonly unconfirmed: Sat;
  /** Outputs leased against other spends (funding inputs, LSPS1 orders' receipts). */
  readonly locked: Sat;
  /** Confirmed funds held back for anchor channels, not spendable for new channels. */
  readonly reservedForAnchors: Sat;
}

/** Sum of channel balances. */
export interface ChannelBalance {
  readonly local: Msat;
  readonly remote: Msat;
  readonly pendingOpenLocal: Msat;
}

/** A connected peer. */
export interface Peer {
  readonly pubkey: Pubkey;
  readonly address: string;
  readonly inbound: boolean;
}

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
}

/** A peer connecting or disconnecting. */
export interface PeerEvent {
  readonly pubkey: Pubkey;
  readonly online: boolean;
}

/** What verifying a signed message found. */
export interface VerifiedMessage {
  /** True when the signature is valid over the message (for the key it recovers). */
  readonly valid: boolean;
  /** The node key the signature recovers to. */
  readonly pubkey: Pubkey | undefined;
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

/** A plain BOLT11 invoice we created. */
export interface CreatedInvoice {
  readonly paymentRequest: string;
  readonly paymentHash: Hex32;
  readonly addIndex: bigint;
}

/** Parameters of a new invoice. */
export interface AddInvoiceRequest {
  /** Absent for an amountless invoice. */
  readonly amount?: Msat;
  readonly memo?: string;
  readonly expirySeconds?: number;
  /** Include route hints for private channels. */
  readonly private?: boolean;
  readonly preimage?: Hex32;
  /** Route hints to put in the invoice (e.g. an LSPS2 JIT scid through the LSP). */
  readonly routeHints?: readonly (readonly RouteHintHop[])[];
}

/** Parameters of a new hold invoice (the preimage stays with the caller). */
export interface AddHoldInvoiceRequest {
  readonly paymentHash: Hex32;
  readonly amount?: Msat;
  readonly memo?: string;
  readonly expirySeconds?: number;
  readonly cltvExpiry?: number;
  readonly private?: boolean;
}

/** Lifecycle of an invoice: `accepted` means a hold invoice's HTLCs are held. */
export type InvoiceState = 'open' | 'accepted' | 'settled' | 'canceled';

/** An invoice's current state. */
export interface InvoiceStatus {
  readonly paymentHash: Hex32;
  readonly paymentRequest: string;
  readonly state: InvoiceState;
  readonly amount: Msat;
  readonly amountPaid: Msat;
  readonly preimage: Hex32 | undefined;
  readonly settleIndex: bigint;
  readonly addIndex: bigint;
  readonly memo: string;
  /**
   * The HTLCs paying it, with the height each expires at: an accepted hold invoice's are held
   * until it is settled or cancelled (LND cancels them itself once one comes within its
   * `invoices.holdexpirydelta` of the chain's height).
   */
  readonly htlcs: readonly InvoiceHtlcRecord[];
}

/** A decoded BOLT11 payment request. */
export interface DecodedPaymentRequest {
  readonly destination: Pubkey;
  readonly paymentHash: Hex32;
  readonly amount: Msat;
  readonly timestamp: Date;
  readonly expirySeconds: number;
  readonly description: string;
  readonly cltvExpiry: number;
  readonly routeHints: readonly (readonly RouteHintHop[])[];
}

/** One hop of a route hint. */
export interface RouteHintHop {
  readonly nodeId: Pubkey;
  readonly scid: Scid;
  readonly feeBaseMsat: Msat;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
}

/** What to pay and within which limits. */
export interface SendPaymentRequest {
  readonly paymentRequest: string;
  /** For amountless invoices. */
  readonly amount?: Msat;
  readonly feeLimit: Msat;
  readonly timeoutSeconds: number;
  readonly maxParts?: number;
  /** The largest part a payment is split into (LND's default: no bound). */
  readonly maxShardSize?: Msat;
  /** Restrict the first hop to this channel. */
  readonly outgoingScid?: Scid;
}

/** Why a payment failed, as LND classifies it. */
export type PaymentFailureReason =
  | 'timeout'
  | 'no_route'
  | 'error'
  | 'incorrect_payment_details'
  | 'insufficient_balance'
  | 'canceled'
  | 'unknown';

/** The final outcome of a payment. */
export type PaymentResult =
  | {
      readonly status: 'succeeded';
      readonly paymentHash: Hex32;
      readonly preimage: Hex32;
      readonly amount: Msat;
      readonly fee: Msat;
      readonly htlcCount: number;
    }
  | {
      readonly status: 'failed';
      readonly paymentHash: Hex32;
      readonly reason: PaymentFailureReason;
      readonly htlcCount: number;
      /** Why each HTLC attempt failed, in the order tried. */
      readonly attemptFailures: readonly HtlcAttemptFailure[];
    };

/** How one HTLC attempt of a payment failed. */
export interface HtlcAttemptFailure {
  /** The BOLT 4 failure, lower case, e.g. `unknown_next_peer`. */
  readonly code: string;
  /** Which hop of the route sent it: 0 is the payer, 1 the first hop, and so on. */
  readonly sourceIndex: number;
}

/** A change in the set of channels. */
export type ChannelEvent =
  | { readonly type: 'pending_open'; readonly channelPoint: ChannelPoint }
  | { readonly type: 'open'; readonly channel: Channel }
  | { readonly type: 'active' | 'inactive' | 'fully_resolved'; readonly channelPoint: ChannelPoint }
  | { readonly type: 'closed'; readonly channelPoint: ChannelPoint; readonly closingTxid: string };

/** A custom peer message (LSPS0 uses type 37913). */
export interface CustomMessage {
  readonly peer: Pubkey;
  readonly type: number;
  readonly data: Uint8Array;
}

/** An HTLC held by the interceptor until we resolve it. */
export interface InterceptedHtlc {
  /** Identifies the HTLC for {@link HtlcResolution}. */
  readonly incomingScid: Scid;
  readonly incomingHtlcId: bigint;
  /** The short channel id the payer addressed; a JIT scid when it is one of ours. */
  readonly outgoingScid: Scid;
  readonly paymentHash: Hex32;
  readonly incomingAmount: Msat;
  readonly outgoingAmount: Msat;
  readonly incomingExpiry: number;
  readonly outgoingExpiry: number;
  readonly customRecords: ReadonlyMap<bigint, Uint8Array>;
  readonly onionBlob: Uint8Array;
  /** Block height at which LND fails the HTLC back on its own. */
  readonly autoFailHeight: number;
}

/** What to do with an intercepted HTLC. */
export type HtlcResolution =
  | { readonly action: 'resume'; readonly incomingScid: Scid; readonly incomingHtlcId: bigint }
  | {
      readonly action: 'resume_modified';
      readonly incomingScid: Scid;
      readonly incomingHtlcId: bigint;
      readonly outgoingAmount: Msat;
      /** Custom records (types >= 65536) for the outgoing HTLC, e.g. 65537 `extra_fee`. */
      readonly outgoingCustomRecords?: ReadonlyMap<bigint, Uint8Array>;
    }
  | {
      readonly action: 'fail';
      readonly incomingScid: Scid;
      readonly incomingHtlcId: bigint;
      /**
       * BOLT 4 `temporary_channel_failure` (0x1007), or `unknown_next_peer` (PERM|10). The
       * second only for an HTLC whose outgoing scid leads to no channel: LND's interceptor
       * cannot originate it, so the HTLC is let go on and LND's switch fails it with
       * `unknown_next_peer`, as it fails any HTLC to an unknown channel.
       */
      readonly failure: 'temporary_channel_failure' | 'unknown_next_peer';
    }
  | {
      readonly action: 'settle';
      readonly incomingScid: Scid;
      readonly incomingHtlcId: bigint;
      readonly preimage: Hex32;
    };

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

/** Permissions for a baked macaroon, as `entity:action` pairs or URIs. */
export interface MacaroonPermission {
  readonly entity: string;
  readonly action: string;
}

/** Forwarding policy for one channel or all channels. */
export interface ChannelPolicyUpdate {
  /** Absent to apply to every channel. */
  readonly channelPoint?: ChannelPoint;
  readonly baseFee: Msat;
  readonly feeRatePpm: bigint;
  readonly timeLockDelta: number;
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

/** An on-chain fee estimate. */
export interface FeeEstimate {
  readonly satPerVbyte: bigint;
  readonly targetConf: number;
}

/** One output of an on-chain wallet transaction. */
export interface OnchainOutput {
  readonly outputIndex: number;
  /** Empty when the script has no address form. */
  readonly address: string;
  readonly amount: Sat;
  /** Pays an address of our wallet. */
  readonly ours: boolean;
}

/** A transaction touching the node's on-chain wallet. */
export interface OnchainTransaction {
  readonly txid: Hex32;
  /** 0 while in the mempool. */
  readonly confirmations: number;
  /** 0 while unconfirmed. */
  readonly blockHeight: number;
  /** Fee we paid (0 for transactions others sent us). */
  readonly fee: Sat;
  /** The label given when we sent it (e.g. what it paid for). */
  readonly label: string;
  readonly outputs: readonly OnchainOutput[];
  /** The outpoints it spends. */
  readonly inputs: readonly Outpoint[];
}

/** An outpoint of the wallet. */
export interface Outpoint {
  readonly txid: Hex32;
  readonly outputIndex: number;
}

/** An on-chain payment of `amount` to `address` from the node's wallet (the fee on top). */
export interface SendCoinsRequest {
  readonly address: string;
  readonly amount: Sat;
  /** Fee rate; LND picks one for `targetConf` when absent. */
  readonly satPerVbyte?: bigint;
  readonly targetConf?: number;
  /** Stored with the transaction, so a restart can find what it already sent. */
  readonly label?: string;
  /** Send the whole confirmed balance (`amount` is then ignored). */
  readonly sendAll?: boolean;
}

/** What sending `amount` to an address would cost now. */
export interface SendFeeEstimate {
  readonly fee: Sat;
  readonly satPerVbyte: bigint;
}

/** A probe: an HTLC of `amount` to `destination` with a hash nobody knows. */
export interface ProbeRequest {
  readonly destination: Pubkey;
  readonly amount: Msat;
  /** Restrict the first hop to this channel. */
  readonly outgoingScid?: Scid;
  readonly timeoutSeconds: number;
}

/** State of one HTLC held by an invoice. */
export type InvoiceHtlcState = 'accepted' | 'settled' | 'canceled';

/** An HTLC an invoice already holds. */
export interface InvoiceHtlcRecord {
  readonly incomingScid: Scid;
  readonly incomingHtlcId: bigint;
  /** What it counted towards the invoice (which a modifier may have raised above what it carries). */
  readonly amount: Msat;
  readonly state: InvoiceHtlcState;
  /** The block height it expires at. */
  readonly expiryHeight: number;
  /** Its onion and `update_add_htlc` TLV records, merged (types >= 65536). */
  readonly customRecords: ReadonlyMap<bigint, Uint8Array>;
}

/**
 * An HTLC paying one of our invoices, handed over before the node counts it (LND's invoice HTLC
 * modifier). The answer is an {@link InvoiceHtlcDecision}.
 */
export interface InvoiceHtlc {
  readonly incomingScid: Scid;
  readonly incomingHtlcId: bigint;
  readonly paymentHash: Hex32;
  /** What the HTLC carries. */
  readonly amount: Msat;
  readonly expiry: number;
  readonly currentHeight: number;
  /** The `update_add_htlc` TLV records (types >= 65536), e.g. LSPS2's 65537 `extra_fee`. */
  readonly wireCustomRecords: ReadonlyMap<bigint, Uint8Array>;
  /** The invoice as it stands before this HTLC. */
  readonly invoice: InvoiceStatus;
  /** The HTLCs the invoice already holds (this one excluded unless it is replayed). */
  readonly invoiceHtlcs: readonly InvoiceHtlcRecord[];
}

/**
 * What to do with an {@link InvoiceHtlc}: `{}` counts it as it is; `amountPaid` counts it as
 * paying that much instead; `cancelSet` fails it and every HTLC the invoice holds (the invoice
 * stays open).
 */
export interface InvoiceHtlcDecision {
  readonly amountPaid?: Msat;
  readonly cancelSet?: boolean;
}

/**
 * A channel negotiated under a PSBT funding shim that never publishes: the caller builds the
 * funding transaction, and nothing reaches the chain until the caller publishes it. The open
 * message carries no fee rate (the caller's transaction sets it).
 */
export type PsbtOpenRequest = Omit<OpenChannelRequest, 'satPerVbyte' | 'targetConf'> & {
  /** 32 random bytes naming this negotiation in every later step. */
  readonly pendingChanId: Hex32;
};

/** The output a funding transaction must carry for one negotiated channel. */
export interface FundingOutput {
  readonly address: string;
  readonly amount: Sat;
}

/**
 * One channel negotiation in progress. Both promises reject when the peer refuses or goes away
 * (or LND cancels the flow); nothing is funded before the caller supplies the transaction.
 */
export interface ChannelNegotiation {
  readonly pendingChanId: Hex32;
  /** The peer accepted the channel (`accept_channel`): the output to fund. */
  readonly accepted: Promise<FundingOutput>;
  /**
   * The peer signed our commitment (`funding_signed`; LND reports the channel pending): the
   * channel exists as soon as its funding transaction is published, and never before.
   */
  readonly signed: Promise<ChannelPoint>;
  /** Stops listening (does not cancel the negotiation: see `cancelPsbtFunding`). */
  close(): void;
}

/** What to fund: outputs at a fee rate, from wallet inputs leased under `lockId`. */
export interface FundPsbtRequest {
  readonly outputs: readonly FundingOutput[];
  readonly satPerVbyte: bigint;
  /** 32 bytes: every input chosen is leased under this id (so a restart can release them). */
  readonly lockId: Hex32;
  /** How long the inputs stay leased unless released. */
  readonly lockSeconds: number;
}

/** An unsigned funding transaction built from the node's wallet. */
export interface FundedPsbt {
  /** The PSBT, base64. */
  readonly psbt: string;
  /** Its txid (final: every input is segwit). */
  readonly txid: Hex32;
  /** Inputs minus outputs: what the transaction pays the miners. */
  readonly fee: Sat;
  /** Virtual size once signed (estimated from the input types). */
  readonly vsize: number;
  /** The wallet outputs leased for it. */
  readonly lockedInputs: readonly Outpoint[];
}

/** A signed transaction ready to publish. */
export interface SignedTransaction {
  readonly txid: Hex32;
  /** The raw transaction, hex. */
  readonly rawTx: string;
}

/** A wallet output leased (locked) against being spent by anything else. */
export interface OutputLease {
  /** The lease id, hex. */
  readonly lockId: string;
  readonly outpoint: Outpoint;
  readonly expiresAt: Date;
}

/** A channel that is closed, abandoned or closing, as the node remembers it. */
export interface ClosedChannel {
  readonly channelPoint: ChannelPoint;
  readonly remotePubkey: Pubkey;
  readonly capacity: Sat;
  /** LND's close type (`COOPERATIVE_CLOSE`, `ABANDONED`, …), or `CLOSING` while it confirms. */
  readonly closeType: string;
}

/** Which sent payments to list. */
export interface SentPaymentsQuery {
  /** Only payments with a larger payment index. */
  readonly afterIndex: bigint;
  readonly max: number;
}

/** A payment a node sent. */
export interface SentPayment {
  /** The node's own sequence number of the payment. */
  readonly paymentIndex: bigint;
  readonly paymentHash: Hex32;
  readonly status: 'in_flight' | 'succeeded' | 'failed';
  readonly amount: Msat;
  readonly fee: Msat;
  readonly createdAt: Date;
}

/** A node's static channel backup (all its channels), as LND exports it. */
export interface ChannelBackup {
  /** The encrypted multi-channel backup, base64. */
  readonly multiChannelBackup: string;
  /** How many channels it covers. */
  readonly channelCount: number;
}
