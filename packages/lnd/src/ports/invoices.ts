/**
 * Invoices, hold invoices and the HTLCs paying them.
 * The LND side of `InvoicesPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  type AddHoldInvoiceRequest,
  type AddInvoiceRequest,
  type CreatedInvoice,
  type Hex32,
  type InvoiceHtlc,
  type InvoiceHtlcDecision,
  type InvoiceStatus,
  type InvoicesPort,
  parseHex32,
  type StreamOptions,
} from '@blgv/core';
import { unary } from '../call.ts';
import type { LndClients } from '../connection.ts';
import { modifyInvoiceHtlcs } from '../invoice-htlc-modifier.ts';
import { invoiceFromLnd, routeHintMessage } from '../mappers.ts';
import { resilientStream, type StreamHooks } from '../streams.ts';

/** Invoices read per ListInvoices call. */
const INVOICE_PAGE = 1000;

/** `InvoicesPort` on LND. */
export function lndInvoices(c: LndClients, hooks: StreamHooks): InvoicesPort {
  return {
    async addInvoice(request: AddInvoiceRequest, signal: AbortSignal): Promise<CreatedInvoice> {
      const ln = c.lightning;
      const r = await unary(
        'AddInvoice',
        ln.AddInvoice.bind(ln),
        {
          memo: request.memo ?? '',
          value_msat: (request.amount ?? 0n).toString(),
          expiry: String(request.expirySeconds ?? 3600),
          private: request.private ?? false,
          ...(request.preimage ? { r_preimage: Buffer.from(request.preimage, 'hex') } : {}),
          ...(request.routeHints ? { route_hints: request.routeHints.map(routeHintMessage) } : {}),
        },
        signal,
      );
      return {
        paymentRequest: r.payment_request,
        paymentHash: parseHex32(r.r_hash.toString('hex')),
        addIndex: BigInt(r.add_index),
      };
    },

    async addHoldInvoice(
      request: AddHoldInvoiceRequest,
      signal: AbortSignal,
    ): Promise<{ paymentRequest: string }> {
      const inv = c.invoices;
      const r = await unary(
        'AddHoldInvoice',
        inv.AddHoldInvoice.bind(inv),
        {
          hash: Buffer.from(request.paymentHash, 'hex'),
          memo: request.memo ?? '',
          value_msat: (request.amount ?? 0n).toString(),
          expiry: String(request.expirySeconds ?? 3600),
          private: request.private ?? false,
          ...(request.cltvExpiry !== undefined ? { cltv_expiry: String(request.cltvExpiry) } : {}),
        },
        signal,
      );
      return { paymentRequest: r.payment_request };
    },

    async settleInvoice(preimage: Hex32, signal: AbortSignal): Promise<void> {
      const inv = c.invoices;
      await unary(
        'SettleInvoice',
        inv.SettleInvoice.bind(inv),
        { preimage: Buffer.from(preimage, 'hex') },
        signal,
      );
    },

    async cancelInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<void> {
      const inv = c.invoices;
      await unary(
        'CancelInvoice',
        inv.CancelInvoice.bind(inv),
        { payment_hash: Buffer.from(paymentHash, 'hex') },
        signal,
      );
    },

    async lookupInvoice(paymentHash: Hex32, signal: AbortSignal): Promise<InvoiceStatus> {
      const inv = c.invoices;
      const r = await unary(
        'LookupInvoiceV2',
        inv.LookupInvoiceV2.bind(inv),
        { payment_hash: Buffer.from(paymentHash, 'hex') },
        signal,
      );
      return invoiceFromLnd(r);
    },

    async openInvoices(signal: AbortSignal): Promise<InvoiceStatus[]> {
      const ln = c.lightning;
      const open: InvoiceStatus[] = [];
      for (let offset = '0'; ; ) {
        const r = await unary(
          'ListInvoices',
          ln.ListInvoices.bind(ln),
          { pending_only: true, index_offset: offset, num_max_invoices: INVOICE_PAGE },
          signal,
        );
        open.push(...r.invoices.map(invoiceFromLnd));
        if (r.invoices.length < INVOICE_PAGE) return open;
        offset = r.last_index_offset;
      }
    },

    subscribeInvoice(paymentHash: Hex32, options: StreamOptions): AsyncIterable<InvoiceStatus> {
      const inv = c.invoices;
      return resilientStream(
        'SubscribeSingleInvoice',
        () => inv.SubscribeSingleInvoice({ r_hash: Buffer.from(paymentHash, 'hex') }),
        invoiceFromLnd,
        options,
        hooks,
      );
    },

    subscribeInvoices(
      from: { readonly addIndex?: bigint; readonly settleIndex?: bigint },
      options: StreamOptions,
    ): AsyncIterable<InvoiceStatus> {
      const ln = c.lightning;
      // Resume after the last update seen, so a reconnect neither loses nor repeats updates.
      let addIndex = from.addIndex ?? 0n;
      let settleIndex = from.settleIndex ?? 0n;
      return resilientStream(
        'SubscribeInvoices',
        () => ln.SubscribeInvoices({ add_index: addIndex.toString(), settle_index: settleIndex.toString() }),
        (m) => {
          const i = invoiceFromLnd(m);
          if (i.addIndex > addIndex) addIndex = i.addIndex;
          if (i.settleIndex > settleIndex) settleIndex = i.settleIndex;
          return i;
        },
        options,
        hooks,
      );
    },

    modifyInvoiceHtlcs(
      decide: (htlc: InvoiceHtlc) => InvoiceHtlcDecision | Promise<InvoiceHtlcDecision>,
      options: StreamOptions,
    ): Promise<void> {
      return modifyInvoiceHtlcs(c, decide, options, hooks);
    },
  };
}
