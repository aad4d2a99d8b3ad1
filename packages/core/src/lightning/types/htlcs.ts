/** HTLCs held by the interceptor: the domain types its port speaks (no LND type). */
import type { Hex32, Scid } from '../../ids.ts';
import type { Msat } from '../../money.ts';

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

/**
 * How an HTLC that arrived at the node ended, for good: settled (its preimage came back, the
 * node earned what it forwarded it for) or failed back. Keyed like {@link InterceptedHtlc}.
 */
export interface HtlcFinalResolution {
  readonly incomingScid: Scid;
  readonly incomingHtlcId: bigint;
  readonly settled: boolean;
}
