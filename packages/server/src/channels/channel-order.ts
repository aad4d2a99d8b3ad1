/**
 * A tenant's channel request as the service handles it: the limits it is held to, the order,
 * its quote, and what makes a repeat under an `Idempotency-Key` the same order.
 */
import { createHash } from 'node:crypto';
import {
  type ChannelPrice,
  type ConfirmationEstimate,
  ErrorCode,
  LspError,
  type Pubkey,
  type Sat,
} from '@blgv/core';
import type { ChannelRequest } from '@blgv/store';

/** Limits on channel requests (from config). */
export interface ChannelLimits {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
  readonly batchWindowMs: number;
  readonly maxBatchSize: number;
  /** How long a client node has to accept, and then to sign, before the open is cancelled. */
  readonly openTimeoutSeconds: number;
}

/** A validated channel request from a tenant. */
export interface ChannelOrder {
  readonly clientPubkey: Pubkey;
  readonly clientHost?: string;
  readonly channelSize: Sat;
  readonly pushAmount: Sat;
  readonly feeRate?: bigint;
  readonly isPrivate: boolean;
}

/** A quote: the price item by item (what a request is charged) and the expected confirmation. */
export interface ChannelQuote {
  readonly capacity: Sat;
  readonly push: Sat;
  readonly price: ChannelPrice;
  readonly estimatedConfirmation: ConfirmationEstimate;
}

/** A digest of what a request asks for, kept with its idempotency key. */
export function orderFingerprint(order: ChannelOrder): string {
  const canonical = JSON.stringify([
    order.clientPubkey,
    order.channelSize.toString(),
    order.pushAmount.toString(),
    order.isPrivate,
    order.clientHost ?? null,
    order.feeRate?.toString() ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The first request of an idempotency key, when the replay asks for the same; else a 422. */
export function sameOrder(first: ChannelRequest, fingerprint: string | undefined): ChannelRequest {
  if (first.idempotencyFingerprint !== null && first.idempotencyFingerprint !== fingerprint) {
    throw new LspError(
      ErrorCode.IdempotencyKeyReused,
      'this Idempotency-Key was used with a different request body; use a new key for a new request',
      { channelId: first.id },
    );
  }
  return first;
}
