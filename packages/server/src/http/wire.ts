/**
 * Domain records to wire shapes. Sat amounts become JSON integers (all fit in 2^53).
 */
import { reservationRemaining } from '@blgv/core';
import type { ChannelResponse, PaymentResponse, ReservationResponse, TopupResponse } from '@blgv/protocol';
import type { ChannelRequest, Payment, Reservation, Topup } from '@blgv/store';

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
    preimage: p.preimage,
    failure: p.failure,
    attempt: p.attempt,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
