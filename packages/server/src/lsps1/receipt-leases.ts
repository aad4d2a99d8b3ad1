/**
 * The leases that keep LSPS1 orders' receipts for their clients (pure): under which lock id an
 * order's receipts are leased, for how long, and which to lease again now.
 */
import { createHash } from 'node:crypto';
import { type Hex32, type Outpoint, type OutputLease, parseHex32 } from '@blgv/core';
import { outpointKey } from './receipt-custody.ts';

/** How long a receipt's lease lasts; renewed once less than half of it is left. */
export const RECEIPT_LEASE_SECONDS = 7 * 86_400;
/** A lease with less than this left is renewed. */
export const RENEW_BELOW_MS = (RECEIPT_LEASE_SECONDS * 1000) / 2;
/** The lease id of an order's receipts: 32 bytes derived from its id. */
export function receiptLockId(orderId: string): Hex32 {
  return parseHex32(createHash('sha256').update(`blgv-lsp/lsps1-order-receipts/${orderId}`).digest('hex'));
}

/**
 * The receipts to lease (again) now: those not spent for good that have no lease under
 * `lockId`, or one with less than {@link RENEW_BELOW_MS} left.
 */
export function leasesToTake(
  receipts: readonly Outpoint[],
  spent: ReadonlySet<string>,
  leases: readonly OutputLease[],
  lockId: Hex32,
  now: Date,
): Outpoint[] {
  const ours = new Map(
    leases.filter((l) => l.lockId === lockId).map((l) => [outpointKey(l.outpoint), l.expiresAt.getTime()]),
  );
  return receipts.filter((o) => {
    if (spent.has(outpointKey(o))) return false;
    const expires = ours.get(outpointKey(o));
    return expires === undefined || expires - now.getTime() < RENEW_BELOW_MS;
  });
}

/** The leases held under `lockId`. */
export function leasesUnder(leases: readonly OutputLease[], lockId: Hex32): Outpoint[] {
  return leases.filter((l) => l.lockId === lockId).map((l) => l.outpoint);
}
