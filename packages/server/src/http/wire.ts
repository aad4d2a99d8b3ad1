/**
 * Domain records to wire shapes. Sat amounts become JSON integers (all fit in 2^53).
 */
import { formatScid, type HtlcAttempt, parseScid, reservationRemaining } from '@blgv/core';
import type {
  AdminJitChannelResponse,
  AdminLiquidityPurchaseResponse,
  ChannelResponse,
  PaymentResponse,
  ReservationResponse,
  TopupResponse,
} from '@blgv/protocol';
import type {
  ChannelRequest,
  JitChannelRecord,
  LiquidityPurchaseRecord,
  Payment,
  Reservation,
  Topup,
} from '@blgv/store';

/** `{ [key]: value }`, or nothing when the value is null: optional fields are omitted, not null. */
function present<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return value === null || value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

const statuses: Record<ChannelRequest['state'], ChannelResponse['status']> = {
  queued: 'opening',
  opening: 'opening',
  publishing: 'pending',
  pending: 'pending',
  open: 'open',
  closed: 'closed',
  failed: 'failed',
};

/** A channel request as the API shows it. */
export function channelToWire(r: ChannelRequest): ChannelResponse {
  return {
    channelId: r.id,
    status: statuses[r.state],
    clientPubkey: r.clientPubkey,
    capacity: Number(r.capacity),
    pushAmount: Number(r.push),
    fee: Number(r.fee),
    networkFee: Number(r.networkFee),
    charged: Number(r.fee + r.push + r.networkFee),
    feeRate: r.feeRateSatPerVbyte === null ? null : Number(r.feeRateSatPerVbyte),
    isPrivate: r.private,
    fundingTxid: r.fundingTxid,
    outputIndex: r.fundingOutputIndex,
    estimatedConfirmation: { blocks: r.estimatedBlocks, seconds: r.estimatedBlocks * 600 },
    failure: r.failure,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** A top-up as the API shows it. */
export function topupToWire(t: Topup): TopupResponse {
  return {
    paymentHash: t.paymentHash,
    paymentRequest: t.paymentRequest,
    amount: Number(t.amount),
    state: t.state,
    expiresAt: t.expiresAt.toISOString(),
  };
}

/** A reservation as the API shows it (the spec's `LiquidityResponse`). */
export function reservationToWire(r: Reservation): ReservationResponse {
  return {
    reservationId: r.id,
    state: r.state,
    allocated: Number(r.amount),
    used: Number(r.used),
    remaining: Number(reservationRemaining(r)),
    feeRate: Number(r.feeRatePpm),
    reservationFee: Number(r.reservationFee),
    purchaseFee: Number(r.externalFee ?? 0n),
    utilizationFeePpm: Number(r.utilizationFeePpm),
    externalLiquidity: r.externalReference !== null,
    expiresAt: r.expiresAt.toISOString(),
    createdAt: r.createdAt.toISOString(),
  };
}

/** A payment as the API shows it. */
export function paymentToWire(p: Payment): PaymentResponse {
  return {
    paymentHash: p.paymentHash,
    status: p.status,
    amountMsat: String(p.amountMsat),
    destination: p.destination,
    reservationId: p.reservationId,
    charged: {
      amount: Number(p.amount),
      routingFee: Number(p.routingFee),
      utilizationFee: Number(p.utilizationFee),
      total: Number(p.amount + p.routingFee + p.utilizationFee),
    },
    feePaidMsat: p.networkFeeMsat === null ? null : String(p.networkFeeMsat),
    routeCount: p.htlcCount,
    ...paymentRoutesToWire(p),
    preimage: p.preimage,
    failure: p.failure,
    attempt: p.attempt,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** The routes a payment took and its failed attempts, from its stored HTLC attempts. */
function paymentRoutesToWire(
  p: Payment,
): Pick<PaymentResponse, 'feeLimitMsat' | 'parts' | 'routes' | 'failedAttempts'> {
  const attempts = p.htlcAttempts ?? [];
  const hops = (a: HtlcAttempt) =>
    a.hops.map((h) => ({ pubkey: h.pubkey, chanId: String(h.scid), feeMsat: String(h.fee) }));
  const succeeded = attempts.filter((a) => a.status === 'succeeded');
  const failed = attempts.filter((a) => a.status === 'failed');
  return {
    feeLimitMsat: String(p.feeLimitMsat),
    parts: p.htlcAttempts ? succeeded.length : null,
    routes: succeeded.map((a) => ({ hops: hops(a), feeMsat: String(a.fee), amountMsat: String(a.amount) })),
    failedAttempts: {
      count: failed.length,
      attempts: failed.map((a) => ({
        code: a.failure?.code ?? null,
        failingHop: a.failure
          ? {
              index: a.failure.sourceIndex,
              pubkey: a.failure.pubkey ?? null,
              chanId: a.failure.scid === undefined ? null : String(a.failure.scid),
            }
          : null,
        hops: hops(a),
      })),
    },
  };
}

/** A stored JIT channel on the admin API. */
export function jitChannelToWire(r: JitChannelRecord): AdminJitChannelResponse {
  return {
    id: r.id,
    jitScid: formatScid(parseScid(r.jitScid)),
    owner: { kind: r.ownerKind, id: r.owner },
    clientPubkey: r.clientPubkey,
    state: r.state,
    clientTrustsLsp: r.clientTrustsLsp,
    validUntil: r.validUntil.toISOString(),
    minFeeMsat: r.minFeeMsat.toString(),
    proportional: r.proportional.toString(),
    ...present('paymentSizeMsat', r.paymentSizeMsat?.toString()),
    ...present('paymentHash', r.paymentHash),
    ...present('feeMsat', r.feeMsat?.toString()),
    ...present('channelCapacity', r.channelCapacitySat?.toString()),
    ...present('fundingTxid', r.fundingTxid),
    ...present('fundingOutputIndex', r.fundingOutputIndex),
    ...present('channelScid', r.channelScid === null ? null : formatScid(parseScid(r.channelScid))),
    ...present('failure', r.failure),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** A stored liquidity purchase on the admin API. */
export function purchaseToWire(r: LiquidityPurchaseRecord): AdminLiquidityPurchaseResponse {
  return {
    id: r.id,
    upstreamPubkey: r.upstreamPubkey,
    orderId: r.orderId,
    state: r.state,
    amount: r.amountSat.toString(),
    maxFee: r.maxFeeSat.toString(),
    lspBalance: r.lspBalanceSat.toString(),
    clientBalance: r.clientBalanceSat.toString(),
    feeTotal: r.feeTotalSat.toString(),
    orderTotal: r.orderTotalSat.toString(),
    payAddress: r.payAddress,
    refundAddress: r.refundAddress,
    ...present('paymentTxid', r.paymentTxid),
    ...present('onchainFee', r.onchainFeeSat?.toString()),
    ...present('fundingOutpoint', r.fundingOutpoint),
    ...present('outbound', r.outboundSat?.toString()),
    ...present('failure', r.failure),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
