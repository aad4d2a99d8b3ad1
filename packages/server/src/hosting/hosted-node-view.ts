/**
 * The shapes hosting's parts share: the limits from config and a node as its tenant sees it.
 */
import type { Sat } from '@blgv/core';
import type { HostedNodeDeletion, HostedNodeRecord } from '@blgv/store';

/** Hosting limits and periods (from config). */
export interface HostingLimits {
  readonly maxNodes: number;
  readonly maxNodesPerTenant: number;
  readonly billingPeriodSeconds: number;
  readonly gracePeriodSeconds: number;
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
  /** How long a repeated creation request is shown the seed again (unless acknowledged). */
  readonly seedRedeliverySeconds: number;
}

/** A node as its tenant sees it. */
export interface HostedNodeView {
  readonly record: HostedNodeRecord;
  /** Null once revoked. */
  readonly macaroon: string | null;
  /** Null once revoked. */
  readonly readOnlyMacaroon: string | null;
  /** The root keys they were baked under (`0n`: a node from before keys of their own; null: revoked). */
  readonly macaroonRootKeyId: bigint | null;
  readonly readOnlyMacaroonRootKeyId: bigint | null;
  readonly channels: readonly { id: string; status: string; capacity: Sat }[];
  /** Its deletion, once one was asked: what it still holds and why it stays. */
  readonly deletion: HostedNodeDeletion | undefined;
}
