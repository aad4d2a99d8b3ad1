/**
 * What each payment the LSP's own node sent was for, pure: a tenant's payment, a wallet's
 * invoice paid for a wrapped invoice, a rebalance, a probe (or another check of the LSP's), or
 * something else (e.g. the operator paying with
 * `lncli`). LND lists them all alike; the success figures count only payments made for someone
 * ({@link COUNTED_PURPOSES}) and report every purpose on its own.
 */
import type { PaymentFailureReason } from '../lightning/types/payments.ts';

/** Every purpose, in the order they are reported. */
export const PAYMENT_PURPOSES = ['tenant', 'wrapped', 'rebalance', 'probe', 'other'] as const;

/** What a payment of the LSP's node was for. */
export type PaymentPurpose = (typeof PAYMENT_PURPOSES)[number];

/** The purposes the LSP records itself, by payment hash, before it sends. */
export type OwnPaymentPurpose = Extract<PaymentPurpose, 'wrapped' | 'rebalance' | 'probe'>;

/**
 * The purposes counted in a node's `successRate` and `payments`: payments made for someone (a
 * tenant's, a wallet's invoice the LSP paid for its wrapped invoice, or one the LSP did not make
 * itself). Probes, checks and rebalancing are the LSP's own
 * work: they are reported by purpose, never as payments.
 */
export const COUNTED_PURPOSES: readonly PaymentPurpose[] = ['tenant', 'wrapped', 'other'];

/** What classifying a payment looks at. */
export interface PaymentToClassify {
  readonly paymentHash: string;
  readonly status: 'in_flight' | 'succeeded' | 'failed';
  /** LND's failure reason, for a failed payment. */
  readonly failureReason?: PaymentFailureReason | undefined;
}

/** What the LSP knows of payment hashes. */
export interface KnownPaymentHashes {
  /** Hashes of tenants' payments (`/v1/payments`). */
  readonly tenant: ReadonlySet<string>;
  /** Hashes the LSP recorded before sending a payment of its own, with what for. */
  readonly own: ReadonlyMap<string, OwnPaymentPurpose>;
}

/**
 * A payment's purpose: a hash the LSP recorded is what it recorded it for; a tenant's hash is the
 * tenant's; an unknown one that failed at its destination with `incorrect_payment_details` (the
 * hash nobody knows that probes carry, or an invoice cancelled for a check) is a probe; the rest
 * is `other`. How many HTLCs a failed payment sent says nothing: LND forgets a failed payment's
 * attempts (`keep-failed-payment-attempts` is off by default), so it lists none for any of them.
 */
export function paymentPurpose(p: PaymentToClassify, known: KnownPaymentHashes): PaymentPurpose {
  const own = known.own.get(p.paymentHash);
  if (own) return own;
  if (known.tenant.has(p.paymentHash)) return 'tenant';
  if (p.status === 'failed' && p.failureReason === 'incorrect_payment_details') {
    return 'probe';
  }
  return 'other';
}

/** How the payments of one purpose ended. */
export interface PaymentOutcomes {
  readonly succeeded: number;
  readonly failed: number;
}

/** Outcomes by purpose, every purpose present (zero when none). */
export type OutcomesByPurpose = Readonly<Record<PaymentPurpose, PaymentOutcomes>>;

/** Sums counted rows (one per purpose and status, as a store groups them) by purpose. */
export function outcomesByPurpose(
  rows: readonly {
    readonly purpose: PaymentPurpose;
    readonly status: 'succeeded' | 'failed';
    readonly count: number;
  }[],
): OutcomesByPurpose {
  const out = Object.fromEntries(PAYMENT_PURPOSES.map((p) => [p, { succeeded: 0, failed: 0 }])) as Record<
    PaymentPurpose,
    { succeeded: number; failed: number }
  >;
  for (const r of rows) out[r.purpose][r.status] += r.count;
  return out;
}

/** The outcomes counted as payments ({@link COUNTED_PURPOSES}) added up. */
export function countedOutcomes(byPurpose: OutcomesByPurpose): PaymentOutcomes {
  let succeeded = 0;
  let failed = 0;
  for (const p of COUNTED_PURPOSES) {
    succeeded += byPurpose[p].succeeded;
    failed += byPurpose[p].failed;
  }
  return { succeeded, failed };
}
