/**
 * {@link LightningBackend} on LND gRPC. The only class in the project that talks to LND.
 */

import {
  type AddHoldInvoiceRequest,
  type AddInvoiceRequest,
  type Channel,
  type ChannelBackup,
  type ChannelBalance,
  type ChannelEvent,
  type ChannelNegotiation,
  type ChannelOpenDecision,
  type ChannelOpenProposal,
  type ChannelPoint,
  type ChannelPolicyUpdate,
  type CloseChannelRequest,
  type ClosedChannel,
  type ClosingChannel,
  type CreatedInvoice,
  type CustomMessage,
  type DecodedPaymentRequest,
  ErrorCode,
  type FeeEstimate,
  type ForwardingEvent,
  type ForwardingHistoryQuery,
  type FundedPsbt,
  type FundPsbtRequest,
  type Hex32,
  type HtlcInterceptor,
  type HtlcResolution,
  type InterceptedHtlc,
  type InvoiceHtlc,
  type InvoiceHtlcDecision,
  type InvoiceStatus,
  type LightningBackend,
  LspError,
  type MacaroonPermission,
  msat,
  type NodeInfo,
  type OnchainTransaction,
  type OpenChannelRequest,
  type OpenChannelResult,
  type Outpoint,
  type OutputLease,
  type PaymentResult,
  type Peer,
  type PeerEvent,
  type PendingChannel,
  type ProbeRequest,
  type PsbtOpenRequest,
  type Pubkey,
  parseHex32,
  parsePubkey,
  type RouteHintHop,
  type Sat,
  type Scid,
  type SendCoinsRequest,
  type SendFeeEstimate,
  type SendPaymentRequest,
  type SentPayment,
  type SentPaymentsQuery,
  type SignedTransaction,
  type StreamOptions,
  sat,
  scid,
  type VerifiedMessage,
  type WalletBalance,
} from '@blgv/core';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { ChannelAcceptRequest__Output } from '../generated/types/lnrpc/ChannelAcceptRequest.ts';
import type { ChannelAcceptResponse } from '../generated/types/lnrpc/ChannelAcceptResponse.ts';
import type { ForwardHtlcInterceptRequest__Output } from '../generated/types/routerrpc/ForwardHtlcInterceptRequest.ts';
import type { ForwardHtlcInterceptResponse } from '../generated/types/routerrpc/ForwardHtlcInterceptResponse.ts';
import { AsyncQueue } from './async-queue.ts';
import { aborted, unary } from './call.ts';
import { connectLnd, type LndClients, type LndConnectionConfig } from './connection.ts';
import { toLspError } from './errors.ts';
import { modifyInvoiceHtlcs } from './invoice-htlc-modifier.ts';
import {
  channelEventFromLnd,
  channelFromLnd,
  channelPointFromMessage,
  channelPointMessage,
  closingChannelsFromLnd,
  customRecordsFromLnd,
  invoiceFromLnd,
  openChannelFields,
  parseChannelPointString,
  payReqFromLnd,
  pendingChannelFromLnd,
  txidFromBytes,
} from './mappers.ts';
import {
  bakeMacaroon,
  channelBackups,
  deleteMacaroonId,
  listPayments,
  setAutopilotScores,
  trackPayments,
} from './node-calls.ts';
import { probe, routerPayment, trackPayment } from './payments.ts';
import {
  disconnectPeer,
  graphNode,
  peerEvents,
  reannounce,
  signMessage,
  verifyMessage,
} from './peer-messages.ts';
import {
  abandonChannel,
  cancelPsbtFunding,
  fundPsbt,
  leaseOutput,
  listLeases,
  negotiateChannel,
  publishTransaction,
  releaseOutput,
  signPsbt,
  verifyPsbtFunding,
} from './psbt-funding.ts';
import { keepStreaming, resilientStream, type StreamHooks } from './streams.ts';
import { estimateSendFee, listOnchainTransactions, sendCoins } from './wallet.ts';

/** Options of {@link LndBackend}. */
export interface LndBackendOptions {
  /** Told when a stream breaks and is retried (for logs). */
  readonly onStreamRetry?: StreamHooks['onRetry'];
}

const PEER_CONNECT_TIMEOUT_S = 15;
/** Why a peer could not be dialled, as a code (LND's words vary by version and OS). */
export type DialFailure =
  | 'connection_refused'
  | 'timeout'
  | 'unresolvable_host'
  | 'unreachable'
  | 'handshake_failed'
  | 'invalid_address'
  | 'connect_failed';

/** Codes of ConnectPeer errors that mean LND could not dial the peer. */
const DIAL_ERROR_CODES: readonly ErrorCode[] = [
  ErrorCode.PeerUnreachable,
  ErrorCode.LightningRejected,
  ErrorCode.Timeout,
];

/** The {@link DialFailure} an LND ConnectPeer error names. */
export function dialFailure(message: string): DialFailure {
  if (/connection refused/i.test(message)) return 'connection_refused';
  if (/i\/o timeout|timed out|deadline exceeded|timeout/i.test(message)) return 'timeout';
  if (/no such host|lookup .* on|server misbehaving/i.test(message)) return 'unresolvable_host';
  if (/network is unreachable|no route to host|host is down/i.test(message)) return 'unreachable';
  if (/handshake|brontide|act (one|two|three)|noise|eof/i.test(message)) return 'handshake_failed';
  if (/missing port|invalid (address|host)|unable to parse|too many colons/i.test(message))
    return 'invalid_address';
  return 'connect_failed';
}

/** Invoices read per ListInvoices call. */
const INVOICE_PAGE = 1000;

function records(map: ReadonlyMap<bigint, Uint8Array> | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of map ?? []) out[k.toString()] = Buffer.from(v);
  return out;
}

/** The LND implementation of {@link LightningBackend}. */
export class LndBackend implements LightningBackend {
  readonly #c: LndClients;
  readonly #hooks: StreamHooks;

  constructor(config: LndConnectionConfig, options: LndBackendOptions = {}) {
    this.#c = connectLnd(config);
    this.#hooks = {
      ping: (signal) => this.getInfo(signal),
      ...(options.onStreamRetry ? { onRetry: options.onStreamRetry } : {}),
    };
  }

  async getInfo(signal: AbortSignal): Promise<NodeInfo> {
    const ln = this.#c.lightning;
    const r = await unary('GetInfo', ln.GetInfo.bind(ln), {}, signal);
    return {
      pubkey: parsePubkey(r.identity_pubkey),
      alias: r.alias,
      color: r.color,
      blockHeight: r.block_height,
      blockHash: r.block_hash,
      syncedToChain: r.synced_to_chain,
      syncedToGraph: r.synced_to_graph,
      uris: r.uris,
      version: r.version,
      numActiveChannels: r.num_active_channels,
      numPendingChannels: r.num_pending_channels,
      numPeers: r.num_peers,
    };
  }

  async newAddress(signal: AbortSignal): Promise<string> {
    const ln = this.#c.lightning;
    const r = await unary('NewAddress', ln.NewAddress.bind(ln), { type: 'WITNESS_PUBKEY_HASH' }, signal);
    return r.address;
  }

  async walletBalance(signal: AbortSignal): Promise<WalletBalance> {
    const ln = this.#c.lightning;
    const r = await unary('WalletBalance', ln.WalletBalance.bind(ln), {}, signal);
    return {
      confirmed: sat(r.confirmed_balance),
      unconfirmed: sat(r.unconfirmed_balance),
      locked: sat(r.locked_balance),
      reservedForAnchors: sat(r.reserved_balance_anchor_chan),
    };
  }

  async channelBalance(signal: AbortSignal): Promise<ChannelBalance> {
    const ln = this.#c.lightning;
    const r = await unary('ChannelBalance', ln.ChannelBalance.bind(ln), {}, signal);
    return {
      local: msat(r.local_balance?.msat ?? '0'),
      remote: msat(r.remote_balance?.msat ?? '0'),
      pendingOpenLocal: msat(r.pending_open_local_balance?.msat ?? '0'),
    };
  }

  async connectPeer(pubkey: Pubkey, host: string, signal: AbortSignal): Promise<void> {
    const ln = this.#c.lightning;
    try {
      await unary(
        'ConnectPeer',
        ln.ConnectPeer.bind(ln),
        { addr: { pubkey, host }, perm: false, timeout: String(PEER_CONNECT_TIMEOUT_S) },
        signal,
      );
    } catch (err) {
      if (err instanceof LspError && /already connected/i.test(err.message)) return;
      // LND answered that it could not dial (or its own dial timed out); anything else is ours.
      if (!(err instanceof LspError) || !DIAL_ERROR_CODES.includes(err.code)) throw err;
      const reason = dialFailure(err.message);
      throw new LspError(
        ErrorCode.PeerUnreachable,
        `cannot connect to the peer: ${reason}`,
        { reason },
        { cause: err },
      );
    }
  }

  async listPeers(signal: AbortSignal): Promise<Peer[]> {
    const ln = this.#c.lightning;
    const r = await unary('ListPeers', ln.ListPeers.bind(ln), {}, signal);
    return r.peers.map((p) => ({ pubkey: parsePubkey(p.pub_key), address: p.address, inbound: p.inbound }));
  }

  disconnectPeer(pubkey: Pubkey, signal: AbortSignal): Promise<void> {
    return disconnectPeer(this.#c, pubkey, signal);
  }

  graphNode(
    pubkey: Pubkey,
    signal: AbortSignal,
  ): Promise<{ readonly addresses: readonly string[] } | undefined> {
    return graphNode(this.#c, pubkey, signal);
  }

  reannounce(signal: AbortSignal): Promise<void> {
    return reannounce(this.#c, signal);
  }

  peerEvents(options: StreamOptions): AsyncIterable<PeerEvent> {
    return peerEvents(this.#c, options, this.#hooks);
  }

  signMessage(message: Uint8Array, signal: AbortSignal): Promise<string> {
    return signMessage(this.#c, message, signal);
  }

  verifyMessage(message: Uint8Array, signature: string, signal: AbortSignal): Promise<VerifiedMessage> {
    return verifyMessage(this.#c, message, signature, signal);
  }

  async listChannels(signal: AbortSignal): Promise<Channel[]> {
    const ln = this.#c.lightning;
    const r = await unary('ListChannels', ln.ListChannels.bind(ln), {}, signal);
    return r.channels.map(channelFromLnd);
  }

  async pendingChannels(signal: AbortSignal): Promise<PendingChannel[]> {
    const ln = this.#c.lightning;
    const r = await unary('PendingChannels', ln.PendingChannels.bind(ln), {}, signal);
    return r.pending_open_channels.map(pendingChannelFromLnd);
  }

  async closingChannels(signal: AbortSignal): Promise<ClosingChannel[]> {
    const ln = this.#c.lightning;
    const r = await unary('PendingChannels', ln.PendingChannels.bind(ln), {}, signal);
    return closingChannelsFromLnd(r);
  }

  async openChannel(request: OpenChannelRequest, signal: AbortSignal): Promise<OpenChannelResult> {
    const ln = this.#c.lightning;
    const r = await unary(
      'OpenChannelSync',
      ln.OpenChannelSync.bind(ln),
      {
        ...openChannelFields(request),
        ...(request.satPerVbyte !== undefined ? { sat_per_vbyte: request.satPerVbyte.toString() } : {}),
        ...(request.targetConf !== undefined ? { target_conf: request.targetConf } : {}),
      },
      signal,
    );
    return { channelPoint: channelPointFromMessage(r) };
  }

  async closedChannels(signal: AbortSignal): Promise<ClosedChannel[]> {
    const ln = this.#c.lightning;
    // LND lists a channel as closed only once its close is fully resolved; until then it is
    // among the pending channels, waiting for the close (or force close) to confirm.
    const [closed, pending] = await Promise.all([
      unary('ClosedChannels', ln.ClosedChannels.bind(ln), {}, signal),
      unary('PendingChannels', ln.PendingChannels.bind(ln), {}, signal),
    ]);
    const closing = [
      ...pending.waiting_close_channels.map((w) => w.channel),
      ...pending.pending_force_closing_channels.map((f) => f.channel),
    ].flatMap((c) =>
      c
        ? [
            {
              channelPoint: parseChannelPointString(c.channel_point),
              remotePubkey: parsePubkey(c.remote_node_pub),
              capacity: sat(c.capacity),
              closeType: 'CLOSING',
            },
          ]
        : [],
    );
    return [
      ...closed.channels.map((c) => ({
        channelPoint: parseChannelPointString(c.channel_point),
        remotePubkey: parsePubkey(c.remote_pubkey),
        capacity: sat(c.capacity),
        closeType: c.close_type,
      })),
      ...closing,
    ];
  }

  negotiateChannel(request: PsbtOpenRequest): ChannelNegotiation {
    return negotiateChannel(this.#c, request);
  }

  fundPsbt(request: FundPsbtRequest, signal: AbortSignal): Promise<FundedPsbt> {
    return fundPsbt(this.#c, request, signal);
  }

  verifyPsbtFunding(pendingChanId: Hex32, psbt: string, signal: AbortSignal): Promise<void> {
    return verifyPsbtFunding(this.#c, pendingChanId, psbt, signal);
  }

  cancelPsbtFunding(pendingChanId: Hex32, signal: AbortSignal): Promise<void> {
    return cancelPsbtFunding(this.#c, pendingChanId, signal);
  }

  signPsbt(psbt: string, signal: AbortSignal): Promise<SignedTransaction> {
    return signPsbt(this.#c, psbt, signal);
  }

  publishTransaction(tx: SignedTransaction, label: string, signal: AbortSignal): Promise<void> {
    return publishTransaction(this.#c, tx, label, signal);
  }

  listLeases(signal: AbortSignal): Promise<OutputLease[]> {
    return listLeases(this.#c, signal);
  }

  leaseOutput(lockId: Hex32, outpoint: Outpoint, seconds: number, signal: AbortSignal): Promise<Date> {
    return leaseOutput(this.#c, lockId, outpoint, seconds, signal);
  }

  releaseOutput(lockId: Hex32, outpoint: Outpoint, signal: AbortSignal): Promise<void> {
    return releaseOutput(this.#c, lockId, outpoint, signal);
  }

  abandonChannel(point: ChannelPoint, signal: AbortSignal): Promise<void> {
    return abandonChannel(this.#c, point, signal);
  }

  closeChannel(request: CloseChannelRequest, signal: AbortSignal): Promise<{ closingTxid: Hex32 }> {
    const ln = this.#c.lightning;
    return new Promise((resolve, reject) => {
      const stream = ln.CloseChannel({
        channel_point: channelPointMessage(request.channelPoint),
        force: request.force ?? false,
        ...(request.satPerVbyte !== undefined ? { sat_per_vbyte: request.satPerVbyte.toString() } : {}),
      });
      const onAbort = () => {
        stream.cancel();
        reject(aborted('CloseChannel', signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        signal.removeEventListener('abort', onAbort);
        stream.cancel();
      };
      stream.on('data', (u) => {
        const txid = u.close_pending?.txid ?? u.chan_close?.closing_txid;
        if (!txid) return;
        finish();
        resolve({ closingTxid: txidFromBytes(txid) });
      });
      stream.on('error', (err: Error) => {
        finish();
        reject(toLspError(err, 'CloseChannel'));
      });
    });
  }

  async addInvoice(request: AddInvoiceRequest, signal: AbortSignal): Promise<CreatedInvoice> {
    const ln = this.#c.lightning;
    const r = await unary(
      'AddInvoice',
      ln.AddInvoice.bind(ln),
      {
        memo: request.memo ?? '',
        value_msat: (request.amount ?? 0n).toString(),
        expiry: String(request.expirySeconds ?? 3600),
        private: request.private ?? false,
        ...(request.preimage ? { r_preimage: Buffer.from(request.preimage, 'hex') } : {}),
        ...(request.routeHints ? { route_hints: request.routeHints.map(routeHintMessage) } : {}),
      },
      signal,
    );
    return {
      paymentRequest: r.payment_request,
      paymentHash: parseHex32(r.r_hash.toString('hex')),
      addIndex: BigInt(r.add_index),
    };
  }

  async addHoldInvoice(
    request: AddHoldInvoiceRequest,
    signal: AbortSignal,
  ): Promise<{ paymentRequest: string }> {
    const inv = this.#c.invoices;
    const r = await unary(
      'AddHoldInvoice',
      inv.AddHoldInvoice.bind(inv),
      {
        hash: Buffer.from(request.paymentHash, 'hex'),
        memo: request.memo ?? '',
        value_msat: (request.amount ?? 0n).toString(),
        expiry: String(request.expirySeconds ?? 3600),
        private: request.private ?? false,
        ...(request.cltvExpiry !== undefined ? { cltv_expiry: String(request.cltvExpiry) } : {}),
      },
      signal,
    );
    return { paymentRequest: r.payment_request };
  }

  async settleInvoice(preimage: Hex32, signal: AbortSignal): Promise<void> {
    const inv = this.#c.invoices;
    await unary(
      'SettleInvoice',
      inv.SettleInvoice.bind(inv),
      { preimage: Buffer.from(preimage, 'hex') },
      signal,
    );
  }

  async cancelInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<void> {
    const inv = this.#c.invoices;
    await unary(
      'CancelInvoice',
      inv.CancelInvoice.bind(inv),
      { payment_hash: Buffer.from(paymentHash, 'hex') },
      signal,
    );
  }

  async lookupInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<InvoiceStatus> {
    const inv = this.#c.invoices;
    const r = await unary(
      'LookupInvoiceV2',
      inv.LookupInvoiceV2.bind(inv),
      { payment_hash: Buffer.from(paymentHash, 'hex') },
      signal,
    );
    return invoiceFromLnd(r);
  }

  async openInvoices(signal: AbortSignal): Promise<InvoiceStatus[]> {
    const ln = this.#c.lightning;
    const open: InvoiceStatus[] = [];
    for (let offset = '0'; ; ) {
      const r = await unary(
        'ListInvoices',
        ln.ListInvoices.bind(ln),
        { pending_only: true, index_offset: offset, num_max_invoices: INVOICE_PAGE },
        signal,
      );
      open.push(...r.invoices.map(invoiceFromLnd));
      if (r.invoices.length < INVOICE_PAGE) return open;
      offset = r.last_index_offset;
    }
  }

  subscribeInvoice(paymentHash: Hex32, options: StreamOptions): AsyncIterable<InvoiceStatus> {
    const inv = this.#c.invoices;
    return resilientStream(
      'SubscribeSingleInvoice',
      () => inv.SubscribeSingleInvoice({ r_hash: Buffer.from(paymentHash, 'hex') }),
      invoiceFromLnd,
      options,
      this.#hooks,
    );
  }

  subscribeInvoices(
    from: { readonly addIndex?: bigint; readonly settleIndex?: bigint },
    options: StreamOptions,
  ): AsyncIterable<InvoiceStatus> {
    const ln = this.#c.lightning;
    // Resume after the last update seen, so a reconnect neither loses nor repeats updates.
    let addIndex = from.addIndex ?? 0n;
    let settleIndex = from.settleIndex ?? 0n;
    return resilientStream(
      'SubscribeInvoices',
      () => ln.SubscribeInvoices({ add_index: addIndex.toString(), settle_index: settleIndex.toString() }),
      (m) => {
        const i = invoiceFromLnd(m);
        if (i.addIndex > addIndex) addIndex = i.addIndex;
        if (i.settleIndex > settleIndex) settleIndex = i.settleIndex;
        return i;
      },
      options,
      this.#hooks,
    );
  }

  sendPayment(request: SendPaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
    return routerPayment(
      this.#c,
      {
        payment_request: request.paymentRequest,
        fee_limit_msat: request.feeLimit.toString(),
        timeout_seconds: request.timeoutSeconds,
        max_parts: request.maxParts ?? 16,
        ...(request.maxShardSize !== undefined
          ? { max_shard_size_msat: request.maxShardSize.toString() }
          : {}),
        ...(request.amount !== undefined ? { amt_msat: request.amount.toString() } : {}),
        ...(request.outgoingScid !== undefined
          ? { outgoing_chan_ids: [request.outgoingScid.toString()] }
          : {}),
      },
      signal,
    );
  }

  trackPayment(paymentHash: Hex32, signal: AbortSignal): Promise<PaymentResult | undefined> {
    return trackPayment(this.#c, paymentHash, signal);
  }

  probe(request: ProbeRequest, signal: AbortSignal): Promise<PaymentResult> {
    return probe(this.#c, request, signal);
  }

  async decodePaymentRequest(paymentRequest: string, signal: AbortSignal): Promise<DecodedPaymentRequest> {
    const ln = this.#c.lightning;
    try {
      const r = await unary('DecodePayReq', ln.DecodePayReq.bind(ln), { pay_req: paymentRequest }, signal);
      return payReqFromLnd(r);
    } catch (err) {
      if (err instanceof LspError && err.code === ErrorCode.LightningRejected) {
        throw new LspError(
          ErrorCode.InvalidInput,
          `invalid payment request: ${err.details?.lnd ?? err.message}`,
        );
      }
      throw err;
    }
  }

  channelEvents(options: StreamOptions): AsyncIterable<ChannelEvent> {
    const ln = this.#c.lightning;
    return resilientStream(
      'SubscribeChannelEvents',
      () => ln.SubscribeChannelEvents({}),
      channelEventFromLnd,
      options,
      this.#hooks,
    );
  }

  async sendCustomMessage(message: CustomMessage, signal: AbortSignal): Promise<void> {
    const ln = this.#c.lightning;
    await unary(
      'SendCustomMessage',
      ln.SendCustomMessage.bind(ln),
      { peer: Buffer.from(message.peer, 'hex'), type: message.type, data: Buffer.from(message.data) },
      signal,
    );
  }

  customMessages(options: StreamOptions): AsyncIterable<CustomMessage> {
    const ln = this.#c.lightning;
    return resilientStream(
      'SubscribeCustomMessages',
      () => ln.SubscribeCustomMessages({}),
      (m) => ({ peer: parsePubkey(m.peer.toString('hex')), type: m.type, data: new Uint8Array(m.data) }),
      options,
      this.#hooks,
    );
  }

  interceptHtlcs(options: StreamOptions): HtlcInterceptor {
    const router = this.#c.router;
    const queue = new AsyncQueue<InterceptedHtlc>();
    type Duplex = ClientDuplexStream<ForwardHtlcInterceptResponse, ForwardHtlcInterceptRequest__Output>;
    let current: Duplex | undefined;
    keepStreaming<ForwardHtlcInterceptRequest__Output, Duplex>(
      'HtlcInterceptor',
      () => router.HtlcInterceptor(),
      (m) => queue.push(interceptedFromLnd(m)),
      options,
      this.#hooks,
      (s) => {
        current = s;
      },
    ).then(
      () => queue.end(),
      (err: unknown) => queue.end(err),
    );
    return {
      htlcs: queue,
      resolve: (resolution) => {
        const stream = current;
        if (!stream) {
          return Promise.reject(
            new LspError(
              ErrorCode.LightningUnavailable,
              'HTLC interceptor is reconnecting; LND will replay the HTLC',
            ),
          );
        }
        return new Promise<void>((resolve, reject) =>
          stream.write(interceptResponse(resolution), (err: Error | null | undefined) =>
            err ? reject(toLspError(err, 'HtlcInterceptor')) : resolve(),
          ),
        );
      },
    };
  }

  async acceptChannels(
    decide: (proposal: ChannelOpenProposal) => ChannelOpenDecision | Promise<ChannelOpenDecision>,
    options: StreamOptions,
  ): Promise<void> {
    const ln = this.#c.lightning;
    type Duplex = ClientDuplexStream<ChannelAcceptResponse, ChannelAcceptRequest__Output>;
    const answer = async (req: ChannelAcceptRequest__Output, stream: Duplex) => {
      let decision: ChannelOpenDecision;
      try {
        decision = await decide(proposalFromLnd(req));
      } catch (err) {
        decision = { accept: false, error: err instanceof Error ? err.message : 'rejected' };
      }
      stream.write(
        decision.accept
          ? {
              pending_chan_id: req.pending_chan_id,
              accept: true,
              ...(decision.zeroConf ? { zero_conf: true, min_accept_depth: 0 } : {}),
              ...(decision.csvDelay !== undefined ? { csv_delay: decision.csvDelay } : {}),
            }
          : { pending_chan_id: req.pending_chan_id, accept: false, error: decision.error },
      );
    };
    void keepStreaming<ChannelAcceptRequest__Output, Duplex>(
      'ChannelAcceptor',
      () => ln.ChannelAcceptor(),
      (req, stream) => void answer(req, stream),
      options,
      this.#hooks,
    );
  }

  modifyInvoiceHtlcs(
    decide: (htlc: InvoiceHtlc) => InvoiceHtlcDecision | Promise<InvoiceHtlcDecision>,
    options: StreamOptions,
  ): Promise<void> {
    return modifyInvoiceHtlcs(this.#c, decide, options, this.#hooks);
  }

  async addChannelAlias(alias: Scid, base: Scid, signal: AbortSignal): Promise<void> {
    const router = this.#c.router;
    await unary(
      'XAddLocalChanAliases',
      router.XAddLocalChanAliases.bind(router),
      { alias_maps: [{ base_scid: base.toString(), aliases: [alias.toString()] }] },
      signal,
    );
  }

  bakeMacaroon(
    permissions: readonly MacaroonPermission[],
    signal: AbortSignal,
    rootKeyId?: bigint,
  ): Promise<string> {
    return bakeMacaroon(this.#c, permissions, signal, rootKeyId);
  }

  deleteMacaroonId(rootKeyId: bigint, signal: AbortSignal): Promise<boolean> {
    return deleteMacaroonId(this.#c, rootKeyId, signal);
  }

  async updateChannelPolicy(update: ChannelPolicyUpdate, signal: AbortSignal): Promise<void> {
    const ln = this.#c.lightning;
    const r = await unary(
      'UpdateChannelPolicy',
      ln.UpdateChannelPolicy.bind(ln),
      {
        ...(update.channelPoint
          ? { chan_point: channelPointMessage(update.channelPoint) }
          : { global: true }),
        base_fee_msat: update.baseFee.toString(),
        fee_rate_ppm: Number(update.feeRatePpm),
        time_lock_delta: update.timeLockDelta,
      },
      signal,
    );
    if (r.failed_updates.length > 0) {
      const reasons = r.failed_updates.map((f) => `${f.reason}: ${f.update_error}`).join('; ');
      throw new LspError(ErrorCode.LightningRejected, `channel policy update failed: ${reasons}`);
    }
  }

  async forwardingHistory(query: ForwardingHistoryQuery, signal: AbortSignal): Promise<ForwardingEvent[]> {
    const ln = this.#c.lightning;
    const r = await unary(
      'ForwardingHistory',
      ln.ForwardingHistory.bind(ln),
      {
        start_time: String(Math.floor(query.start.getTime() / 1000)),
        end_time: String(Math.ceil(query.end.getTime() / 1000)),
        index_offset: query.offset ?? 0,
        num_max_events: query.limit ?? 1000,
      },
      signal,
    );
    return r.forwarding_events.map((f) => ({
      timestamp: new Date(Number(BigInt(f.timestamp_ns) / 1_000_000n)),
      incomingScid: scid(f.chan_id_in),
      outgoingScid: scid(f.chan_id_out),
      amountIn: msat(f.amt_in_msat),
      amountOut: msat(f.amt_out_msat),
      fee: msat(f.fee_msat),
    }));
  }

  async estimateFee(targetConf: number, signal: AbortSignal): Promise<FeeEstimate> {
    const wk = this.#c.walletKit;
    const r = await unary('EstimateFee', wk.EstimateFee.bind(wk), { conf_target: targetConf }, signal);
    // sat/kw -> sat/vB: one vbyte is four weight units; round up so we never under-pay.
    const satPerVbyte = (BigInt(r.sat_per_kw) * 4n + 999n) / 1000n;
    return { satPerVbyte, targetConf };
  }

  estimateSendFee(
    request: { readonly address: string; readonly amount: Sat; readonly targetConf: number },
    signal: AbortSignal,
  ): Promise<SendFeeEstimate> {
    return estimateSendFee(this.#c, request, signal);
  }

  sendCoins(request: SendCoinsRequest, signal: AbortSignal): Promise<{ txid: Hex32 }> {
    return sendCoins(this.#c, request, signal);
  }

  listOnchainTransactions(
    query: { readonly startHeight: number },
    signal: AbortSignal,
  ): Promise<OnchainTransaction[]> {
    return listOnchainTransactions(this.#c, query, signal);
  }

  listPayments(query: SentPaymentsQuery, signal: AbortSignal): Promise<SentPayment[]> {
    return listPayments(this.#c, query, signal);
  }

  trackPayments(options: StreamOptions): AsyncIterable<SentPayment> {
    return trackPayments(this.#c, options, this.#hooks);
  }

  channelBackups(options: StreamOptions): AsyncIterable<ChannelBackup> {
    return channelBackups(this.#c, options, this.#hooks);
  }

  setAutopilotScores(scores: ReadonlyMap<Pubkey, number>, signal: AbortSignal): Promise<void> {
    return setAutopilotScores(this.#c, scores, signal);
  }

  close(): void {
    this.#c.close();
  }
}

function routeHintMessage(hops: readonly RouteHintHop[]) {
  return {
    hop_hints: hops.map((h) => ({
      node_id: h.nodeId,
      chan_id: h.scid.toString(),
      fee_base_msat: Number(h.feeBaseMsat),
      fee_proportional_millionths: h.feeProportionalMillionths,
      cltv_expiry_delta: h.cltvExpiryDelta,
    })),
  };
}

function interceptedFromLnd(m: ForwardHtlcInterceptRequest__Output): InterceptedHtlc {
  const key = m.incoming_circuit_key;
  const customRecords = customRecordsFromLnd(m.in_wire_custom_records);
  return {
    incomingScid: scid(key?.chan_id ?? '0'),
    incomingHtlcId: BigInt(key?.htlc_id ?? '0'),
    outgoingScid: scid(m.outgoing_requested_chan_id),
    paymentHash: parseHex32(m.payment_hash.toString('hex')),
    incomingAmount: msat(m.incoming_amount_msat),
    outgoingAmount: msat(m.outgoing_amount_msat),
    incomingExpiry: m.incoming_expiry,
    outgoingExpiry: m.outgoing_expiry,
    customRecords,
    onionBlob: new Uint8Array(m.onion_blob),
    autoFailHeight: m.auto_fail_height,
  };
}

function interceptResponse(r: HtlcResolution): ForwardHtlcInterceptResponse {
  const incoming_circuit_key = { chan_id: r.incomingScid.toString(), htlc_id: r.incomingHtlcId.toString() };
  switch (r.action) {
    case 'resume':
      return { incoming_circuit_key, action: 'RESUME' };
    case 'resume_modified':
      return {
        incoming_circuit_key,
        action: 'RESUME_MODIFIED',
        out_amount_msat: r.outgoingAmount.toString(),
        ...(r.outgoingCustomRecords ? { out_wire_custom_records: records(r.outgoingCustomRecords) } : {}),
      };
    case 'fail':
      // LND's interceptor cannot originate unknown_next_peer; an HTLC let go on to a scid that
      // leads to no channel is failed by LND's switch with exactly that.
      return r.failure === 'unknown_next_peer'
        ? { incoming_circuit_key, action: 'RESUME' }
        : { incoming_circuit_key, action: 'FAIL', failure_code: 'TEMPORARY_CHANNEL_FAILURE' };
    case 'settle':
      return { incoming_circuit_key, action: 'SETTLE', preimage: Buffer.from(r.preimage, 'hex') };
  }
}

function proposalFromLnd(req: ChannelAcceptRequest__Output): ChannelOpenProposal {
  return {
    remotePubkey: parsePubkey(req.node_pubkey.toString('hex')),
    pendingChanId: new Uint8Array(req.pending_chan_id),
    fundingAmount: sat(req.funding_amt),
    pushAmount: msat(req.push_amt),
    wantsZeroConf: req.wants_zero_conf,
    wantsScidAlias: req.wants_scid_alias,
    private: (req.channel_flags & 1) === 0,
  };
}
