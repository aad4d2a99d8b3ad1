/**
 * Invoices, hold invoices and the HTLCs paying them.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Hex32 } from '../../ids.ts';
import type { StreamOptions } from '../stream-options.ts';
import type {
  AddHoldInvoiceRequest,
  AddInvoiceRequest,
  CreatedInvoice,
  InvoiceHtlc,
  InvoiceHtlcDecision,
  InvoiceStatus,
} from '../types.ts';

/** Invoices, hold invoices and the HTLCs paying them. */
export interface InvoicesPort {
  addInvoice(request: AddInvoiceRequest, signal: AbortSignal): Promise<CreatedInvoice>;

  addHoldInvoice(request: AddHoldInvoiceRequest, signal: AbortSignal): Promise<{ paymentRequest: string }>;

  settleInvoice(preimage: Hex32, signal: AbortSignal): Promise<void>;

  cancelInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<void>;

  lookupInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<InvoiceStatus>;

  /** Invoices not settled or cancelled yet (open, or accepted hold invoices), oldest first. */
  openInvoices(signal: AbortSignal): Promise<InvoiceStatus[]>;

  /** Updates of one invoice, starting with its current state. */
  subscribeInvoice(paymentHash: Hex32, options: StreamOptions): AsyncIterable<InvoiceStatus>;

  /** Every invoice added or settled after the given indexes. */
  subscribeInvoices(
    from: { readonly addIndex?: bigint; readonly settleIndex?: bigint },
    options: StreamOptions,
  ): AsyncIterable<InvoiceStatus>;

  /**
   * Registers as the node's invoice HTLC modifier (one at a time per node): every HTLC paying one
   * of our invoices waits for `decide` before the node counts it. Answer quickly: the node
   * handles invoice HTLCs one at a time meanwhile. A `decide` that throws or takes longer than
   * a few seconds counts the HTLC as it is.
   */
  modifyInvoiceHtlcs(
    decide: (htlc: InvoiceHtlc) => InvoiceHtlcDecision | Promise<InvoiceHtlcDecision>,
    options: StreamOptions,
  ): Promise<void>;
}
