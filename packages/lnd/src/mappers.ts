/**
 * Conversions from LND's generated message types to our domain types. No LND type leaves
 * this package: everything returned by the backend goes through one of these.
 */
import {
  type Channel,
  type ChannelEvent,
  type ChannelPoint,
  type ClosingChannel,
  type DecodedPaymentRequest,
  type Hex32,
  type HtlcAttempt,
  type InvoiceHtlcRecord,
  type InvoiceHtlcState,
  type InvoiceState,
  type InvoiceStatus,
  msat,
  type OpenChannelRequest,
  type PaymentFailureReason,
  type PaymentResult,
  type PendingChannel,
  parseHex32,
  parsePubkey,
  type RouteHintHop,
  sat,
  scid,
} from '@blgv/core';
import type { BatchOpenChannel } from '../generated/types/lnrpc/BatchOpenChannel.ts';
import type { Channel__Output } from '../generated/types/lnrpc/Channel.ts';
import type { ChannelEventUpdate__Output } from '../generated/types/lnrpc/ChannelEventUpdate.ts';
import type { ChannelPoint__Output } from '../generated/types/lnrpc/ChannelPoint.ts';
import type { HTLCAttempt__Output } from '../generated/types/lnrpc/HTLCAttempt.ts';
import type { Invoice__Output } from '../generated/types/lnrpc/Invoice.ts';
import type { InvoiceHTLC__Output } from '../generated/types/lnrpc/InvoiceHTLC.ts';
import type { Payment__Output } from '../generated/types/lnrpc/Payment.ts';
import type { PayReq__Output } from '../generated/types/lnrpc/PayReq.ts';
import type {
  PendingChannelsResponse__Output,
  _lnrpc_PendingChannelsResponse_PendingOpenChannel__Output as PendingOpen,
} from '../generated/types/lnrpc/PendingChannelsResponse.ts';

/**
 * Reads a uint64 map key as protobufjs delivers it: a decimal string, or an 8-character
 * "long hash" whose char codes are the little-endian bytes of the value.
 */
export function uint64MapKey(key: string): bigint {
  if (/^\d+$/.test(key)) return BigInt(key);
  if (key.length !== 8) throw new Error(`unexpected uint64 map key ${JSON.stringify(key)}`);
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(key.charCodeAt(i) & 0xff);
  return v;
}

/** A `map<uint64, bytes>` of TLV records (custom records) as a map keyed by type. */
export function customRecordsFromLnd(records: Record<string, Buffer> | undefined): Map<bigint, Uint8Array> {
  const out = new Map<bigint, Uint8Array>();
  for (const [k, v] of Object.entries(records ?? {})) out.set(uint64MapKey(k), new Uint8Array(v));
  return out;
}

/** Txids travel as bytes in little-endian order; humans and `txid:n` strings use big-endian. */
export function txidFromBytes(bytes: Uint8Array): Hex32 {
  return parseHex32(Buffer.from(bytes).reverse().toString('hex'));
}

/** Parses LND's `txid:index` channel point string. */
export function parseChannelPointString(value: string): ChannelPoint {
  const [txid, index] = value.split(':');
  return { txid: parseHex32(txid ?? ''), outputIndex: Number(index) };
}

/** Reads LND's ChannelPoint message. */
export function channelPointFromMessage(point: ChannelPoint__Output): ChannelPoint {
  const txid = point.funding_txid_str
    ? parseHex32(point.funding_txid_str)
    : txidFromBytes(point.funding_txid_bytes ?? Buffer.alloc(0));
  return { txid, outputIndex: point.output_index };
}

/** Builds LND's ChannelPoint message (by string, so no byte-order confusion). */
export function channelPointMessage(point: ChannelPoint): { funding_txid_str: string; output_index: number } {
  return { funding_txid_str: point.txid, output_index: point.outputIndex };
}

/** Maps an open channel. */
export function channelFromLnd(c: Channel__Output): Channel {
  const confirmedScid = c.zero_conf ? c.zero_conf_confirmed_scid : c.chan_id;
  return {
    channelPoint: parseChannelPointString(c.channel_point),
    scid: scid(c.chan_id),
    aliasScids: c.alias_scids.map((a) => scid(a)),
    peerAliasScid: c.peer_scid_alias !== '0' ? scid(c.peer_scid_alias) : undefined,
    remotePubkey: parsePubkey(c.remote_pubkey),
    capacity: sat(c.capacity),
    localBalance: sat(c.local_balance),
    remoteBalance: sat(c.remote_balance),
    pushAmount: sat(c.push_amount_sat),
    localReserve: sat(c.local_constraints?.chan_reserve_sat ?? c.local_chan_reserve_sat),
    remoteReserve: sat(c.remote_constraints?.chan_reserve_sat ?? c.remote_chan_reserve_sat),
    active: c.active,
    private: c.private,
    initiator: c.initiator,
    zeroConf: c.zero_conf,
    confirmed: confirmedScid !== '0',
    pendingHtlcs: c.pending_htlcs.length,
    htlcs: c.pending_htlcs.map((h) => ({
      incoming: h.incoming,
      amount: sat(h.amount),
      expirationHeight: h.expiration_height,
      paymentHash: parseHex32(h.hash_lock.toString('hex')),
    })),
    memo: c.memo,
  };
}

/** Maps a channel waiting for its funding confirmation. */
export function pendingChannelFromLnd(p: PendingOpen): PendingChannel {
  const c = p.channel;
  if (!c) throw new Error('pending channel without details');
  return {
    channelPoint: parseChannelPointString(c.channel_point),
    remotePubkey: parsePubkey(c.remote_node_pub),
    capacity: sat(c.capacity),
    localBalance: sat(c.local_balance),
    remoteBalance: sat(c.remote_balance),
    initiator: c.initiator === 'INITIATOR_LOCAL',
    private: c.private,
    confirmationsUntilActive: p.confirmations_until_active || undefined,
    memo: c.memo,
  };
}

/** The closing channels of LND's `PendingChannels`: waiting close and force closing. */
export function closingChannelsFromLnd(r: PendingChannelsResponse__Output): ClosingChannel[] {
  const txid = (t: string) => (/^[0-9a-f]{64}$/.test(t) ? parseHex32(t) : undefined);
  const waiting = r.waiting_close_channels.flatMap((w): ClosingChannel[] =>
    w.channel
      ? [
          {
            channelPoint: parseChannelPointString(w.channel.channel_point),
            remotePubkey: parsePubkey(w.channel.remote_node_pub),
            capacity: sat(w.channel.capacity),
            kind: 'waiting_close',
            closingTxid: txid(w.closing_txid),
            limboBalance: sat(w.limbo_balance),
            maturityHeight: undefined,
            blocksTilMaturity: undefined,
            pendingHtlcs: 0,
            // A cooperative close has no HTLCs (shutdown waits for them); any other may.
            htlcsUnknown: !w.channel.chan_status_flags.includes('ChanStatusCoopBroadcasted'),
          },
        ]
      : [],
  );
  const forced = r.pending_force_closing_channels.flatMap((f): ClosingChannel[] =>
    f.channel
      ? [
          {
            channelPoint: parseChannelPointString(f.channel.channel_point),
            remotePubkey: parsePubkey(f.channel.remote_node_pub),
            capacity: sat(f.channel.capacity),
            kind: 'force_closing',
            closingTxid: txid(f.closing_txid),
            limboBalance: sat(f.limbo_balance),
            maturityHeight: f.maturity_height || undefined,
            blocksTilMaturity: f.blocks_til_maturity,
            pendingHtlcs: f.pending_htlcs.length,
            htlcsUnknown: false,
          },
        ]
      : [],
  );
  return [...waiting, ...forced];
}

const invoiceStates: Record<string, InvoiceState> = {
  OPEN: 'open',
  ACCEPTED: 'accepted',
  SETTLED: 'settled',
  CANCELED: 'canceled',
};

const htlcStates: Record<string, InvoiceHtlcState> = {
  ACCEPTED: 'accepted',
  SETTLED: 'settled',
  CANCELED: 'canceled',
};

/** Maps one HTLC of an invoice. */
export function invoiceHtlcRecordFromLnd(h: InvoiceHTLC__Output): InvoiceHtlcRecord {
  return {
    incomingScid: scid(h.chan_id),
    incomingHtlcId: BigInt(h.htlc_index),
    amount: msat(h.amt_msat),
    state: htlcStates[h.state] ?? 'accepted',
    expiryHeight: h.expiry_height,
    customRecords: customRecordsFromLnd(h.custom_records),
  };
}

/** Maps an invoice. */
export function invoiceFromLnd(i: Invoice__Output): InvoiceStatus {
  const preimage = i.r_preimage.length === 32 ? parseHex32(i.r_preimage.toString('hex')) : undefined;
  return {
    paymentHash: parseHex32(i.r_hash.toString('hex')),
    paymentRequest: i.payment_request,
    state: invoiceStates[i.state] ?? 'open',
    amount: msat(i.value_msat),
    amountPaid: msat(i.amt_paid_msat),
    preimage: i.state === 'SETTLED' ? preimage : undefined,
    settleIndex: BigInt(i.settle_index),
    addIndex: BigInt(i.add_index),
    memo: i.memo,
    htlcs: i.htlcs.map(invoiceHtlcRecordFromLnd),
  };
}

/** LND's payment failure reasons, ours. */
export const failureReasons: Readonly<Record<string, PaymentFailureReason>> = {
  FAILURE_REASON_TIMEOUT: 'timeout',
  FAILURE_REASON_NO_ROUTE: 'no_route',
  FAILURE_REASON_ERROR: 'error',
  FAILURE_REASON_INCORRECT_PAYMENT_DETAILS: 'incorrect_payment_details',
  FAILURE_REASON_INSUFFICIENT_BALANCE: 'insufficient_balance',
  FAILURE_REASON_CANCELED: 'canceled',
};

/** Maps a payment in a final state; `undefined` while it is still in flight. */
export function paymentResultFromLnd(p: Payment__Output): PaymentResult | undefined {
  const paymentHash = parseHex32(p.payment_hash);
  if (p.status === 'SUCCEEDED') {
    return {
      status: 'succeeded',
      paymentHash,
      preimage: parseHex32(p.payment_preimage),
      amount: msat(p.value_msat),
      fee: msat(p.fee_msat),
      htlcCount: p.htlcs.filter((h) => h.status === 'SUCCEEDED').length,
      attempts: p.htlcs.map(htlcAttemptFromLnd),
    };
  }
  if (p.status === 'FAILED') {
    return {
      status: 'failed',
      paymentHash,
      reason: failureReasons[p.failure_reason] ?? 'unknown',
      htlcCount: p.htlcs.length,
      attemptFailures: p.htlcs.flatMap((h) =>
        h.failure
          ? [{ code: String(h.failure.code).toLowerCase(), sourceIndex: h.failure.failure_source_index }]
          : [],
      ),
      attempts: p.htlcs.map(htlcAttemptFromLnd),
    };
  }
  return undefined;
}

const htlcStatuses = { IN_FLIGHT: 'in_flight', SUCCEEDED: 'succeeded', FAILED: 'failed' } as const;

/**
 * Maps one HTLC attempt of a payment: its route's hops and fees, and where it failed. A failure
 * from hop `i` (0: the payer) was sent by the node before the route's hop `i` and concerns the
 * channel of hop `i` (the one it could not forward over); at the destination there is none.
 */
export function htlcAttemptFromLnd(h: HTLCAttempt__Output): HtlcAttempt {
  const hops = (h.route?.hops ?? []).map((hop) => ({
    pubkey: parsePubkey(hop.pub_key),
    scid: scid(hop.chan_id),
    fee: msat(hop.fee_msat),
  }));
  const fee = msat(h.route?.total_fees_msat ?? 0);
  const attempt: HtlcAttempt = {
    status: htlcStatuses[h.status] ?? 'failed',
    hops,
    fee,
    amount: msat(BigInt(h.route?.total_amt_msat ?? 0) - fee),
  };
  if (!h.failure) return attempt;
  const at = h.failure.failure_source_index;
  const reporter = at > 0 ? hops[at - 1]?.pubkey : undefined;
  const channel = hops[at]?.scid;
  return {
    ...attempt,
    failure: {
      code: String(h.failure.code).toLowerCase(),
      sourceIndex: at,
      ...(reporter !== undefined ? { pubkey: reporter } : {}),
      ...(channel !== undefined ? { scid: channel } : {}),
    },
  };
}

/** A route hint (hops in order) as LND's `RouteHint` message. */
export function routeHintMessage(hops: readonly RouteHintHop[]) {
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

/** Maps a decoded payment request. */
export function payReqFromLnd(p: PayReq__Output): DecodedPaymentRequest {
  return {
    destination: parsePubkey(p.destination),
    paymentHash: parseHex32(p.payment_hash),
    amount: msat(p.num_msat),
    timestamp: new Date(Number(p.timestamp) * 1000),
    expirySeconds: Number(p.expiry),
    description: p.description,
    cltvExpiry: Number(p.cltv_expiry),
    routeHints: p.route_hints.map((r) =>
      r.hop_hints.map((h) => ({
        nodeId: parsePubkey(h.node_id),
        scid: scid(h.chan_id),
        feeBaseMsat: msat(h.fee_base_msat),
        feeProportionalMillionths: h.fee_proportional_millionths,
        cltvExpiryDelta: h.cltv_expiry_delta,
      })),
    ),
  };
}

/** Maps a channel event; `undefined` for kinds we do not report. */
export function channelEventFromLnd(e: ChannelEventUpdate__Output): ChannelEvent | undefined {
  switch (e.channel) {
    case 'open_channel':
      return e.open_channel ? { type: 'open', channel: channelFromLnd(e.open_channel) } : undefined;
    case 'pending_open_channel': {
      const p = e.pending_open_channel;
      return p
        ? { type: 'pending_open', channelPoint: { txid: txidFromBytes(p.txid), outputIndex: p.output_index } }
        : undefined;
    }
    case 'active_channel':
      return e.active_channel
        ? { type: 'active', channelPoint: channelPointFromMessage(e.active_channel) }
        : undefined;
    case 'inactive_channel':
      return e.inactive_channel
        ? { type: 'inactive', channelPoint: channelPointFromMessage(e.inactive_channel) }
        : undefined;
    case 'fully_resolved_channel':
      return e.fully_resolved_channel
        ? { type: 'fully_resolved', channelPoint: channelPointFromMessage(e.fully_resolved_channel) }
        : undefined;
    case 'closed_channel': {
      const c = e.closed_channel;
      return c
        ? {
            type: 'closed',
            channelPoint: parseChannelPointString(c.channel_point),
            closingTxid: c.closing_tx_hash,
          }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** The fields of an open request LND's `OpenChannel` and `BatchOpenChannel` share. */
export function openChannelFields(
  r: Omit<OpenChannelRequest, 'satPerVbyte' | 'targetConf'>,
): BatchOpenChannel {
  const anchors = r.zeroConf || r.scidAlias;
  return {
    node_pubkey: Buffer.from(r.remotePubkey, 'hex'),
    local_funding_amount: r.localAmount.toString(),
    push_sat: (r.pushAmount ?? 0n).toString(),
    private: r.private ?? false,
    zero_conf: r.zeroConf ?? false,
    scid_alias: r.scidAlias ?? false,
    ...(anchors ? { commitment_type: 'ANCHORS' as const } : {}),
    ...(r.closeAddress ? { close_address: r.closeAddress } : {}),
    ...(r.remoteChanReserve !== undefined ? { remote_chan_reserve_sat: r.remoteChanReserve.toString() } : {}),
    ...(r.minHtlc !== undefined ? { min_htlc_msat: r.minHtlc.toString() } : {}),
    ...(r.baseFee !== undefined ? { base_fee: r.baseFee.toString(), use_base_fee: true } : {}),
    ...(r.feeRatePpm !== undefined ? { fee_rate: r.feeRatePpm.toString(), use_fee_rate: true } : {}),
    ...(r.maxLocalCsv !== undefined ? { max_local_csv: r.maxLocalCsv } : {}),
    ...(r.memo ? { memo: r.memo } : {}),
  };
}
