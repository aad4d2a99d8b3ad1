/**
 * The HTLC attempts of a payment as stored in `payments.htlc_attempts` (JSON text, msat and
 * short channel ids as decimal strings, so nothing passes through a float).
 */
import { type HtlcAttempt, type HtlcAttemptFailure, msat, parsePubkey, scid } from '@blgv/core';

interface StoredHop {
  readonly pubkey: string;
  readonly scid: string;
  readonly feeMsat: string;
}

interface StoredAttempt {
  readonly status: HtlcAttempt['status'];
  readonly hops: readonly StoredHop[];
  readonly feeMsat: string;
  readonly amountMsat: string;
  readonly failure?: {
    readonly code: string;
    readonly sourceIndex: number;
    readonly pubkey?: string;
    readonly scid?: string;
  };
}

/** The column's text for `attempts`. */
export function attemptsToJson(attempts: readonly HtlcAttempt[]): string {
  const stored: StoredAttempt[] = attempts.map((a) => ({
    status: a.status,
    hops: a.hops.map((h) => ({ pubkey: h.pubkey, scid: String(h.scid), feeMsat: String(h.fee) })),
    feeMsat: String(a.fee),
    amountMsat: String(a.amount),
    ...(a.failure
      ? {
          failure: {
            code: a.failure.code,
            sourceIndex: a.failure.sourceIndex,
            ...(a.failure.pubkey !== undefined ? { pubkey: a.failure.pubkey } : {}),
            ...(a.failure.scid !== undefined ? { scid: String(a.failure.scid) } : {}),
          },
        }
      : {}),
  }));
  return JSON.stringify(stored);
}

/** The attempts in the column's text. */
export function attemptsFromJson(text: string): HtlcAttempt[] {
  return (JSON.parse(text) as StoredAttempt[]).map((a) => {
    const attempt: HtlcAttempt = {
      status: a.status,
      hops: a.hops.map((h) => ({ pubkey: parsePubkey(h.pubkey), scid: scid(h.scid), fee: msat(h.feeMsat) })),
      fee: msat(a.feeMsat),
      amount: msat(a.amountMsat),
    };
    if (!a.failure) return attempt;
    const failure: HtlcAttemptFailure = {
      code: a.failure.code,
      sourceIndex: a.failure.sourceIndex,
      ...(a.failure.pubkey !== undefined ? { pubkey: parsePubkey(a.failure.pubkey) } : {}),
      ...(a.failure.scid !== undefined ? { scid: scid(a.failure.scid) } : {}),
    };
    return { ...attempt, failure };
  });
}
