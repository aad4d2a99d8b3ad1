/** Invoices and the HTLCs paying them: the domain types its port speaks (no LND type). */
import type { Hex32, Pubkey, Scid } from '../../ids.ts';
import type { Msat } from '../../money.ts';

/** A plain BOLT11 invoice we created. */
export interface CreatedInvoice {
  readonly paymentRequest: string;
  readonly paymentHash: Hex32;
  readonly addIndex: bigint;
}

/** Parameters of a new invoice. */
export interface AddInvoiceRequest {
  /** Absent for an amountless invoice. */
  readonly amount?: Msat;
  readonly memo?: string;
  readonly expirySeconds?: number;
  /** Include route hints for private channels. */
  readonly private?: boolean;
  readonly preimage?: Hex32;
  /** Route hints to put in the invoice (e.g. an LSPS2 JIT scid through the LSP). */
  readonly routeHints?: readonly (readonly RouteHintHop[])[];
}

/** Parameters of a new hold invoice (the preimage stays with the caller). */
export interface AddHoldInvoiceRequest {
  readonly paymentHash: Hex32;
  readonly amount?: Msat;
  readonly memo?: string;
  readonly expirySeconds?: number;
  readonly cltvExpiry?: number;
  readonly private?: boolean;
}

/** Lifecycle of an invoice: `accepted` means a hold invoice's HTLCs are held. */
export type InvoiceState = 'open' | 'accepted' | 'settled' | 'canceled';

/** An invoice's current state. */
export interface InvoiceStatus {
  readonly paymentHash: Hex32;
  readonly paymentRequest: string;
  readonly state: InvoiceState;
  readonly amount: Msat;
  readonly amountPaid: Msat;
  readonly preimage: Hex32 | undefined;
  readonly settleIndex: bigint;
  readonly addIndex: bigint;
  readonly memo: string;
  /**
   * The HTLCs paying it, with the height each expires at: an accepted hold invoice's are held
   * until it is settled or cancelled (LND cancels them itself once one comes within its
   * `invoices.holdexpirydelta` of the chain's height).
   */
  readonly htlcs: readonly InvoiceHtlcRecord[];
}

/** One hop of a route hint. */
export interface RouteHintHop {
  readonly nodeId: Pubkey;
  readonly scid: Scid;
  readonly feeBaseMsat: Msat;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
}

/** State of one HTLC held by an invoice. */
export type InvoiceHtlcState = 'accepted' | 'settled' | 'canceled';

/** An HTLC an invoice already holds. */
export interface InvoiceHtlcRecord {
  readonly incomingScid: Scid;
  readonly incomingHtlcId: bigint;
  /** What it counted towards the invoice (which a modifier may have raised above what it carries). */
  readonly amount: Msat;
  readonly state: InvoiceHtlcState;
  /** The block height it expires at. */
  readonly expiryHeight: number;
  /** Its onion and `update_add_htlc` TLV records, merged (types >= 65536). */
  readonly customRecords: ReadonlyMap<bigint, Uint8Array>;
}

/**
 * An HTLC paying one of our invoices, handed over before the node counts it (LND's invoice HTLC
 * modifier). The answer is an {@link InvoiceHtlcDecision}.
 */
export interface InvoiceHtlc {
  readonly incomingScid: Scid;
  readonly incomingHtlcId: bigint;
  readonly paymentHash: Hex32;
  /** What the HTLC carries. */
  readonly amount: Msat;
  readonly expiry: number;
  readonly currentHeight: number;
  /** The `update_add_htlc` TLV records (types >= 65536), e.g. LSPS2's 65537 `extra_fee`. */
  readonly wireCustomRecords: ReadonlyMap<bigint, Uint8Array>;
  /** The invoice as it stands before this HTLC. */
  readonly invoice: InvoiceStatus;
  /** The HTLCs the invoice already holds (this one excluded unless it is replayed). */
  readonly invoiceHtlcs: readonly InvoiceHtlcRecord[];
}

/**
 * What to do with an {@link InvoiceHtlc}: `{}` counts it as it is; `amountPaid` counts it as
 * paying that much instead; `cancelSet` fails it and every HTLC the invoice holds (the invoice
 * stays open).
 */
export interface InvoiceHtlcDecision {
  readonly amountPaid?: Msat;
  readonly cancelSet?: boolean;
}
