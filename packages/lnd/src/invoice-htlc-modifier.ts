/**
 * LND's invoice HTLC modifier (`invoicesrpc.HtlcModifier`): every HTLC paying one of the node's
 * invoices is sent to us before the invoice registry counts it, and waits for our answer. The
 * registry handles invoice HTLCs one at a time while it waits, so every request gets an answer,
 * and a slow or failing decision counts the HTLC as it is.
 */
import type { InvoiceHtlc, InvoiceHtlcDecision, StreamOptions } from '@blgv/core';
import { msat, scid } from '@blgv/core';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { HtlcModifyRequest__Output } from '../generated/types/invoicesrpc/HtlcModifyRequest.ts';
import type { HtlcModifyResponse } from '../generated/types/invoicesrpc/HtlcModifyResponse.ts';
import type { LndClients } from './connection.ts';
import { customRecordsFromLnd, invoiceFromLnd } from './mappers.ts';
import { keepStreaming, type StreamHooks } from './streams.ts';

/** How long a decision may take before the HTLC is counted as it is. */
const DECISION_TIMEOUT_MS = 5_000;

type Duplex = ClientDuplexStream<HtlcModifyResponse, HtlcModifyRequest__Output>;

/** Maps one request; `undefined` when LND sent one without an invoice (never expected). */
function invoiceHtlcFromLnd(m: HtlcModifyRequest__Output): InvoiceHtlc | undefined {
  if (!m.invoice) return undefined;
  const invoice = invoiceFromLnd(m.invoice);
  return {
    incomingScid: scid(m.exit_htlc_circuit_key?.chan_id ?? '0'),
    incomingHtlcId: BigInt(m.exit_htlc_circuit_key?.htlc_id ?? '0'),
    paymentHash: invoice.paymentHash,
    amount: msat(m.exit_htlc_amt),
    expiry: m.exit_htlc_expiry,
    currentHeight: m.current_height,
    wireCustomRecords: customRecordsFromLnd(m.exit_htlc_wire_custom_records),
    invoice,
    invoiceHtlcs: invoice.htlcs,
  };
}

function mapSafely(m: HtlcModifyRequest__Output): InvoiceHtlc | undefined {
  try {
    return invoiceHtlcFromLnd(m);
  } catch {
    return undefined;
  }
}

/**
 * `decide`, but `{}` (count the HTLC as it is) when the request cannot be mapped, or `decide`
 * throws or is too slow. Never rejects: LND blocks every invoice HTLC until it has an answer.
 */
async function decideSafely(
  decide: (htlc: InvoiceHtlc) => InvoiceHtlcDecision | Promise<InvoiceHtlcDecision>,
  m: HtlcModifyRequest__Output,
): Promise<InvoiceHtlcDecision> {
  const htlc = mapSafely(m);
  if (!htlc) return {};
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<InvoiceHtlcDecision>((resolve) => {
    timer = setTimeout(() => resolve({}), DECISION_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => decide(htlc)), late]);
  } catch {
    return {};
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the modifier stream until the signal aborts, reconnecting like the other streams. */
export async function modifyInvoiceHtlcs(
  c: LndClients,
  decide: (htlc: InvoiceHtlc) => InvoiceHtlcDecision | Promise<InvoiceHtlcDecision>,
  options: StreamOptions,
  hooks: StreamHooks,
): Promise<void> {
  const inv = c.invoices;
  const answer = async (m: HtlcModifyRequest__Output, stream: Duplex) => {
    const decision = await decideSafely(decide, m);
    const response: HtlcModifyResponse = {
      circuit_key: m.exit_htlc_circuit_key,
      ...(decision.cancelSet ? { cancel_set: true } : {}),
      ...(decision.amountPaid !== undefined && !decision.cancelSet
        ? { amt_paid: decision.amountPaid.toString() }
        : {}),
    };
    // A broken stream drops the answer: LND fails the waiting HTLC's registration and the
    // payer retries; there is nothing to resend.
    stream.write(response, () => {});
  };
  void keepStreaming<HtlcModifyRequest__Output, Duplex>(
    'HtlcModifier',
    () => inv.HtlcModifier(),
    (m, stream) => void answer(m, stream),
    options,
    hooks,
  );
}
