/**
 * Whether a wallet's invoice can be wrapped, and the terms of the wrapped invoice: pure checks
 * on the invoice as decoded, the fee quote it names and the LSP's settings. The wrapped invoice
 * pays the LSP the wallet's amount plus the quoted fee, for the same payment hash; it expires no
 * later than the wallet's (less the time the LSP needs to open and pay), and its final CLTV
 * covers the wallet's plus the LSP's own delta, so the payer's HTLC outlives the LSP's payment to
 * the wallet.
 */
import type { Hex32, Pubkey } from '../ids.ts';
import type { Msat } from '../money.ts';

/** Bitcoin networks as BOLT 11 names them (the prefix after `ln`). */
export const BOLT11_NETWORK_PREFIXES = {
  mainnet: 'bc',
  testnet: 'tb',
  signet: 'tbs',
  regtest: 'bcrt',
  simnet: 'sb',
} as const;

/** A network the LSP runs on. */
export type Bolt11Network = keyof typeof BOLT11_NETWORK_PREFIXES;

/**
 * The network prefix of a BOLT 11 invoice (`bcrt` for `lnbcrt500u1...`), or undefined when it is
 * no invoice at all. Read from the human-readable part before the signature is checked, so an
 * invoice of another network is named as such.
 */
export function bolt11Prefix(invoice: string): string | undefined {
  const lower = invoice
    .trim()
    .toLowerCase()
    .replace(/^lightning:/, '');
  const sep = lower.lastIndexOf('1');
  if (sep < 3) return undefined;
  const m = /^ln([a-z]+?)(\d+[munp]?)?$/.exec(lower.slice(0, sep));
  return m?.[1];
}

/** The wallet's invoice, as decoded. */
export interface WalletInvoice {
  readonly destination: Pubkey;
  readonly paymentHash: Hex32;
  /** Zero: no amount. */
  readonly amount: Msat;
  readonly timestamp: Date;
  readonly expirySeconds: number;
  /** `min_final_cltv_expiry_delta`. */
  readonly cltvExpiry: number;
}

/** A fee quote as stored. */
export interface WrapFeeQuote {
  readonly walletPubkey: string;
  readonly amount: Msat;
  readonly fee: Msat;
  readonly expiresAt: Date;
}

/** The LSP's bounds for wrapping (from config). */
export interface WrapSettings {
  /** The least time a wrapped invoice must leave the payer. */
  readonly minExpirySeconds: number;
  /** Taken off the wallet's expiry: the time the LSP needs to open the channel and pay. */
  readonly expiryMarginSeconds: number;
  /** Blocks the LSP adds to the wallet's final CLTV (its own time to act). */
  readonly cltvExpiryDelta: number;
  /** The largest final CLTV a wallet's invoice may ask for. */
  readonly maxWalletCltv: number;
}

/** Why an invoice cannot be wrapped. */
export type WrapRefusal =
  | 'no_amount'
  | 'amount_mismatch'
  | 'payee_mismatch'
  | 'quote_expired'
  | 'invoice_expired'
  | 'expiry_too_short'
  | 'cltv_too_large';

/** The wrapped invoice's terms. */
export interface WrapTerms {
  /** What the payer pays the LSP: the wallet's amount plus the fee. */
  readonly amount: Msat;
  readonly fee: Msat;
  readonly expirySeconds: number;
  /** When it expires. */
  readonly expiresAt: Date;
  /** Its final CLTV delta. */
  readonly cltvExpiry: number;
}

/** What {@link wrapTerms} decides. */
export type WrapDecision =
  | { readonly ok: true; readonly terms: WrapTerms }
  | { readonly ok: false; readonly refusal: WrapRefusal; readonly message: string };

const no = (refusal: WrapRefusal, message: string): WrapDecision => ({ ok: false, refusal, message });

/** Decides whether `invoice` can be wrapped under `quote` at `now`, and on what terms. */
export function wrapTerms(
  invoice: WalletInvoice,
  quote: WrapFeeQuote,
  settings: WrapSettings,
  now: Date,
): WrapDecision {
  if (invoice.amount <= 0n) return no('no_amount', 'the invoice has no amount; wrap only invoices with one');
  if (invoice.amount !== quote.amount)
    return no(
      'amount_mismatch',
      `the invoice is for ${invoice.amount} msat, the fee was quoted for ${quote.amount} msat`,
    );
  if (invoice.destination !== quote.walletPubkey)
    return no(
      'payee_mismatch',
      `the invoice pays ${invoice.destination}, the fee was quoted for ${quote.walletPubkey}`,
    );
  if (quote.expiresAt.getTime() <= now.getTime())
    return no('quote_expired', 'the fee quote has expired; ask for a new one');
  const walletExpiresAt = invoice.timestamp.getTime() + invoice.expirySeconds * 1000;
  if (walletExpiresAt <= now.getTime()) return no('invoice_expired', 'the invoice has expired');
  const expirySeconds = Math.floor((walletExpiresAt - now.getTime()) / 1000) - settings.expiryMarginSeconds;
  if (expirySeconds < settings.minExpirySeconds)
    return no(
      'expiry_too_short',
      `the invoice expires in ${Math.floor((walletExpiresAt - now.getTime()) / 1000)} s; ` +
        `wrapping needs at least ${settings.minExpirySeconds + settings.expiryMarginSeconds} s`,
    );
  if (invoice.cltvExpiry > settings.maxWalletCltv)
    return no(
      'cltv_too_large',
      `the invoice asks for a final CLTV of ${invoice.cltvExpiry} blocks; at most ${settings.maxWalletCltv}`,
    );
  // Whole seconds, so the wrapped invoice's own timestamp + expiry lands on this instant.
  const issued = Math.floor(now.getTime() / 1000) * 1000;
  return {
    ok: true,
    terms: {
      amount: (invoice.amount + quote.fee) as Msat,
      fee: quote.fee,
      expirySeconds,
      expiresAt: new Date(issued + expirySeconds * 1000),
      cltvExpiry: invoice.cltvExpiry + settings.cltvExpiryDelta,
    },
  };
}
