/**
 * Domain records to wire shapes. Sat amounts become JSON integers (all fit in 2^53).
 */
import type { ChannelResponse, TopupResponse } from '@blgv/protocol';
import type { ChannelRequest, Topup } from '@blgv/store';

const statuses: Record<ChannelRequest['state'], ChannelResponse['status']> = {
  queued: 'opening',
  opening: 'opening',
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
