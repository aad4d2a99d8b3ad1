/**
 * The one port through which the LSP talks to its Lightning node. The LND adapter in
 * `@blgv/lnd` implements it; tests of pure logic may implement small fakes of it.
 *
 * Every call takes an `AbortSignal`. Failures are {@link LspError}s with a code. Streams are
 * async iterables that reconnect on their own when the node restarts and end when the signal
 * aborts.
 */
import type { Hex32, Pubkey, Scid } from '../ids.ts';
import type { Sat } from '../money.ts';
import type {
  AddHoldInvoiceRequest,
  AddInvoiceRequest,
  Channel,
  ChannelBackup,
  ChannelBalance,
  ChannelEvent,
  ChannelNegotiation,
  ChannelOpenDecision,
  ChannelOpenProposal,
  ChannelPoint,
  ChannelPolicyUpdate,
  CloseChannelRequest,
  ClosedChannel,
  ClosingChannel,
  CreatedInvoice,
  CustomMessage,
  DecodedPaymentRequest,
  FeeEstimate,
  ForwardingEvent,
  ForwardingHistoryQuery,
  FundedPsbt,
  FundPsbtRequest,
  HtlcResolution,
  InterceptedHtlc,
  InvoiceHtlc,
  InvoiceHtlcDecision,
  InvoiceStatus,
  MacaroonPermission,
  NodeInfo,
  OnchainTransaction,
  OpenChannelRequest,
  OpenChannelResult,
  Outpoint,
  OutputLease,
  PaymentResult,
  Peer,
  PeerEvent,
  PendingChannel,
  ProbeRequest,
  PsbtOpenRequest,
  SendCoinsRequest,
  SendFeeEstimate,
  SendPaymentRequest,
  SentPayment,
  SentPaymentsQuery,
  SignedTransaction,
  VerifiedMessage,
  WalletBalance,
} from './types.ts';

/** Options every stream takes. */
export interface StreamOptions {
  /** Ends the stream. */
  readonly signal: AbortSignal;
  /** Called each time the stream is (re)established with the node. */
  readonly onConnected?: () => void;
}

/** A live HTLC interceptor: HTLCs come in, resolutions go out. */
export interface HtlcInterceptor {
  /** HTLCs as LND hands them over; after a reconnect LND replays the ones still held. */
  readonly htlcs: AsyncIterable<InterceptedHtlc>;
  /** Resolves one held HTLC. */
  resolve(resolution: HtlcResolution): Promise<void>;
}

/** Everything the LSP needs from a Lightning node. */
export interface LightningBackend {
  getInfo(signal: AbortSignal): Promise<NodeInfo>;
  newAddress(signal: AbortSignal): Promise<string>;
  walletBalance(signal: AbortSignal): Promise<WalletBalance>;
  channelBalance(signal: AbortSignal): Promise<ChannelBalance>;
  /** Connects to a peer; succeeds when already connected. */
  connectPeer(pubkey: Pubkey, host: string, signal: AbortSignal): Promise<void>;
  listPeers(signal: AbortSignal): Promise<Peer[]>;
  /** Disconnects a peer; succeeds when it was not connected. */
  disconnectPeer(pubkey: Pubkey, signal: AbortSignal): Promise<void>;
  /**
   * What the node's graph knows of `pubkey` (from its node announcement): its addresses, or
   * `undefined` when the graph does not hold the node.
   */
  graphNode(
    pubkey: Pubkey,
    signal: AbortSignal,
  ): Promise<{ readonly addresses: readonly string[] } | undefined>;
  /**
   * Re-signs the node's own announcement, unchanged but with a fresh timestamp, and sends it to
   * every connected peer at once (past their gossip filters), so that a peer whose graph missed
   * it learns the node and its addresses. Fails when the node announces no address.
   */
  reannounce(signal: AbortSignal): Promise<void>;
  /**
   * Peers connecting and disconnecting, as they happen (after a reconnect, events missed
   * meanwhile are not replayed: `listPeers` tells who is connected).
   */
  peerEvents(options: StreamOptions): AsyncIterable<PeerEvent>;
  /**
   * Signs `message` with the node key, as LND `SignMessage` (bLIP-50 `ln_signature`):
   * `zbase32(SigRec(SHA256(SHA256("Lightning Signed Message:" + message))))`.
   */
  signMessage(message: Uint8Array, signal: AbortSignal): Promise<string>;
  /** Verifies a {@link signMessage} signature and recovers the key that made it. */
  verifyMessage(message: Uint8Array, signature: string, signal: AbortSignal): Promise<VerifiedMessage>;
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
  /**
   * Opens a channel and lets the node fund and publish it (tests and the demo network; the LSP
   * opens through the PSBT calls below, which leave publishing to it).
   */
  openChannel(request: OpenChannelRequest, signal: AbortSignal): Promise<OpenChannelResult>;
  /**
   * Starts negotiating a channel whose funding transaction the caller supplies and publishes
   * (`fundPsbt`, `verifyPsbtFunding`, `signPsbt`, `publishTransaction`). Until the caller
   * publishes, nothing reaches the chain.
   */
  negotiateChannel(request: PsbtOpenRequest): ChannelNegotiation;
  /** Builds an unsigned transaction paying `outputs` from the wallet, leasing its inputs. */
  fundPsbt(request: FundPsbtRequest, signal: AbortSignal): Promise<FundedPsbt>;
  /**
   * Gives a negotiation its funding transaction (unsigned). The peer is asked to sign our
   * commitment at once; the negotiation's `signed` resolves when it has.
   */
  verifyPsbtFunding(pendingChanId: Hex32, psbt: string, signal: AbortSignal): Promise<void>;
  /**
   * Cancels a negotiation that has not been given its transaction yet (the peer is told);
   * one the node no longer knows counts as cancelled.
   */
  cancelPsbtFunding(pendingChanId: Hex32, signal: AbortSignal): Promise<void>;
  /** Signs the wallet's inputs of a funded PSBT. */
  signPsbt(psbt: string, signal: AbortSignal): Promise<SignedTransaction>;
  /** Publishes a transaction; publishing one already in the mempool or mined succeeds. */
  publishTransaction(tx: SignedTransaction, label: string, signal: AbortSignal): Promise<void>;
  /** Wallet outputs leased against other spends. */
  listLeases(signal: AbortSignal): Promise<OutputLease[]>;
  /**
   * Leases (locks) a wallet output under `lockId` for `seconds`, so that no funding or send
   * of the node picks it; leasing again under the same id extends the lease. Unconfirmed
   * outputs can be leased too. Resolves with when the lease ends. Fails when the wallet does
   * not hold the output unspent (`unknown output`, e.g. its spend confirmed) or another id
   * holds it (`output already locked`).
   */
  leaseOutput(lockId: Hex32, outpoint: Outpoint, seconds: number, signal: AbortSignal): Promise<Date>;
  /** Ends a lease (releasing what is not leased succeeds). */
  releaseOutput(lockId: Hex32, outpoint: Outpoint, signal: AbortSignal): Promise<void>;
  /** Forgets a pending channel whose funding transaction will never be published. */
  abandonChannel(point: ChannelPoint, signal: AbortSignal): Promise<void>;
  /** Starts a close and returns the closing transaction id once it is published. */
  closeChannel(request: CloseChannelRequest, signal: AbortSignal): Promise<{ closingTxid: Hex32 }>;
  addInvoice(request: AddInvoiceRequest, signal: AbortSignal): Promise<CreatedInvoice>;
  addHoldInvoice(request: AddHoldInvoiceRequest, signal: AbortSignal): Promise<{ paymentRequest: string }>;
  settleInvoice(preimage: Hex32, signal: AbortSignal): Promise<void>;
  cancelInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<void>;
  lookupInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<InvoiceStatus>;
  /** Invoices not settled or cancelled yet (open, or accepted hold invoices), oldest first. */
  openInvoices(signal: AbortSignal): Promise<InvoiceStatus[]>;
  /** Updates of one invoice, starting with its current state. */
  subscribeInvoice(paymentHash: Hex32, options: StreamOptions): AsyncIterable<InvoiceStatus>;
  /** Every invoice added or settled after the given indexes. */
  subscribeInvoices(
    from: { readonly addIndex?: bigint; readonly settleIndex?: bigint },
    options: StreamOptions,
  ): AsyncIterable<InvoiceStatus>;
  /** Pays and waits for the final outcome. */
  sendPayment(request: SendPaymentRequest, signal: AbortSignal): Promise<PaymentResult>;
  /**
   * Waits for the final outcome of a payment this node sent (at once when it is already
   * final); `undefined` when the node never sent a payment with this hash.
   */
  trackPayment(paymentHash: Hex32, signal: AbortSignal): Promise<PaymentResult | undefined>;
  decodePaymentRequest(paymentRequest: string, signal: AbortSignal): Promise<DecodedPaymentRequest>;
  channelEvents(options: StreamOptions): AsyncIterable<ChannelEvent>;
  sendCustomMessage(message: CustomMessage, signal: AbortSignal): Promise<void>;
  customMessages(options: StreamOptions): AsyncIterable<CustomMessage>;
  /** Registers as LND's HTLC interceptor (one at a time per node). */
  interceptHtlcs(options: StreamOptions): HtlcInterceptor;
  /** Registers a channel acceptor that answers every inbound open with `decide`. */
  acceptChannels(
    decide: (proposal: ChannelOpenProposal) => ChannelOpenDecision | Promise<ChannelOpenDecision>,
    options: StreamOptions,
  ): Promise<void>;
  /**
   * Registers as the node's invoice HTLC modifier (one at a time per node): every HTLC paying one
   * of our invoices waits for `decide` before the node counts it. Answer quickly: the node
   * handles invoice HTLCs one at a time meanwhile. A `decide` that throws or takes longer than
   * a few seconds counts the HTLC as it is.
   */
  modifyInvoiceHtlcs(
    decide: (htlc: InvoiceHtlc) => InvoiceHtlcDecision | Promise<InvoiceHtlcDecision>,
    options: StreamOptions,
  ): Promise<void>;
  /** Makes `alias` route to the channel whose confirmed or base scid is `base`. */
  addChannelAlias(alias: Scid, base: Scid, signal: AbortSignal): Promise<void>;
  /**
   * Bakes a macaroon with exactly these permissions; returns it as hex. `rootKeyId` (a positive
   * integer below 2^64) bakes it under that root key (created when the node has none by that
   * id), so it can be revoked alone with {@link deleteMacaroonId}; without it LND uses root key
   * 0, the one of the admin macaroon, which can never be deleted.
   */
  bakeMacaroon(
    permissions: readonly MacaroonPermission[],
    signal: AbortSignal,
    rootKeyId?: bigint,
  ): Promise<string>;
  /**
   * Deletes a macaroon root key (LND `DeleteMacaroonID`): every macaroon baked under it is
   * refused from the next call on. True when the node had it, false when it did not. LND
   * refuses root key 0.
   */
  deleteMacaroonId(rootKeyId: bigint, signal: AbortSignal): Promise<boolean>;
  updateChannelPolicy(update: ChannelPolicyUpdate, signal: AbortSignal): Promise<void>;
  forwardingHistory(query: ForwardingHistoryQuery, signal: AbortSignal): Promise<ForwardingEvent[]>;
  /** Fee rate for confirmation within `targetConf` blocks. */
  estimateFee(targetConf: number, signal: AbortSignal): Promise<FeeEstimate>;
  /** What paying `amount` to `address` from the wallet would cost now. */
  estimateSendFee(
    request: { readonly address: string; readonly amount: Sat; readonly targetConf: number },
    signal: AbortSignal,
  ): Promise<SendFeeEstimate>;
  /** Pays from the on-chain wallet and returns the txid once the transaction is published. */
  sendCoins(request: SendCoinsRequest, signal: AbortSignal): Promise<{ txid: Hex32 }>;
  /** Wallet transactions confirmed at or above `startHeight`, and unconfirmed ones. */
  listOnchainTransactions(
    query: { readonly startHeight: number },
    signal: AbortSignal,
  ): Promise<OnchainTransaction[]>;
  /**
   * Sends an HTLC no one can settle: a result of `failed` with `incorrect_payment_details`
   * proves the route (e.g. a new channel) carries `amount`. Moves no money.
   */
  probe(request: ProbeRequest, signal: AbortSignal): Promise<PaymentResult>;
  /** Payments this node sent, by payment index after `afterIndex`, oldest first (at most `max`). */
  listPayments(query: SentPaymentsQuery, signal: AbortSignal): Promise<SentPayment[]>;
  /**
   * Every payment this node sends, as it starts (`in_flight`) and as its status changes
   * (routerrpc `TrackPayments`), from the moment the stream is (re)established: payments that
   * ended while it was not are not replayed (read them with {@link listPayments} when
   * `onConnected` is called). The same payment comes several times, not always in order.
   */
  trackPayments(options: StreamOptions): AsyncIterable<SentPayment>;
  /** The node's static channel backup each time it changes (the current one first). */
  channelBackups(options: StreamOptions): AsyncIterable<ChannelBackup>;
  /** Scores for LND's autopilot `externalscore` heuristic (0..1 per node). */
  setAutopilotScores(scores: ReadonlyMap<Pubkey, number>, signal: AbortSignal): Promise<void>;
  /** Releases connections. */
  close(): void;
}

/** Formats a channel point as `txid:index`. */
export function formatChannelPoint(point: ChannelPoint): string {
  return `${point.txid}:${point.outputIndex}`;
}
