/**
 * An invoice a tenant asks the LSP to pay or to quote, read at the edge: decoded by the node,
 * refused with the `invoice` field named when it cannot be read, refused as `invoice_expired`
 * once past its expiry; and the amount to pay, the invoice's own or, for an invoice without
 * one, the amount given beside it (never both).
 */
import {
  type DecodedPaymentRequest,
  ErrorCode,
  invalidInput,
  isLspError,
  LspError,
  type Msat,
  type PaymentsPort,
  type Sat,
  satToMsat,
} from '@blgv/core';

/** When a decoded invoice expires. */
export function invoiceExpiresAt(decoded: DecodedPaymentRequest): Date {
  return new Date(decoded.timestamp.getTime() + decoded.expirySeconds * 1000);
}

/** Decodes `invoice` and refuses it when it cannot be read or has expired at `now` (ms). */
export async function decodePayable(
  lightning: Pick<PaymentsPort, 'decodePaymentRequest'>,
  invoice: string,
  options: { readonly now: number; readonly signal: AbortSignal },
): Promise<DecodedPaymentRequest> {
  let decoded: DecodedPaymentRequest;
  try {
    decoded = await lightning.decodePaymentRequest(invoice, options.signal);
  } catch (err) {
    if (isLspError(err, ErrorCode.InvalidInput)) throw invalidInput('invoice', err.message);
    throw err;
  }
  const expiresAt = invoiceExpiresAt(decoded);
  if (expiresAt.getTime() <= options.now) {
    throw new LspError(ErrorCode.InvoiceExpired, `invoice: expired at ${expiresAt.toISOString()}`, {
      field: 'invoice',
    });
  }
  return decoded;
}

/**
 * The amount to pay: the invoice's, or `given` (named `field` in the request) when the invoice
 * has none. Refused when both or neither are there.
 */
export function amountToPay(decoded: DecodedPaymentRequest, given: Sat | undefined, field: string): Msat {
  if (decoded.amount > 0n) {
    if (given !== undefined) throw invalidInput(field, `the invoice has an amount; leave ${field} out`);
    return decoded.amount;
  }
  if (given === undefined || given <= 0n)
    throw invalidInput(field, `the invoice has no amount; give ${field}`);
  return satToMsat(given);
}
