/**
 * The wallet's check of a wrapped invoice (Flow 2.0 `POST /api/v1/proposal` → `jit_bolt11`)
 * before handing it to a payer: the LSP's invoice must commit to the wallet's payment hash (so
 * the LSP can only be paid by paying the wallet), be payable to the LSP on the same network,
 * charge at most the quoted fee, expire no later than the wallet's invoice, and leave the LSP
 * enough CLTV to forward without asking payers for an unpayable one.
 */
import { type Bolt11Invoice, decodeBolt11 } from './bolt11.ts';
import { Bolt11DecodeError, LspApiError } from './errors.ts';

/** A fee quote as `POST /api/v1/fee` answers it. Amounts may be JSON numbers or strings. */
export interface WrapFeeQuote {
  /** The fee in msat under the name clients such as Zeus read; used when present. */
  readonly fee_amount_msat?: number | string | bigint;
  /** The fee in msat under Flow 2.0's first name for it; used when `fee_amount_msat` is absent. */
  readonly amount_msat?: number | string | bigint;
  readonly id?: string;
}

/** Limits of the check; the defaults suit payers on LND and LDK. */
export interface WrappedInvoiceBounds {
  /**
   * Fewest blocks the wrapped invoice's `min_final_cltv_expiry_delta` must add to the
   * original's, for the LSP to forward within it (default 18, LND's smallest CLTV delta).
   */
  readonly minLspCltvDelta?: number;
  /**
   * Largest `min_final_cltv_expiry_delta` the wrapped invoice may ask for (default 576 blocks,
   * four days): payers cap a route's whole CLTV (LDK at 1008, LND at 2016) and the hops to the
   * LSP need their share.
   */
  readonly maxFinalCltvExpiryDelta?: number;
  /** The time to check expiry against, seconds since 1970 (default: now). */
  readonly nowSeconds?: number;
}

/** Where the LSP's node id comes from: given, or read from the LSP's `GET /api/v1/info`. */
export type LspIdentity =
  | { readonly lspPubkey: string }
  | {
      /** The LSP's Flow 2.0 base URL (`…/api/v1/info` is read from it). */
      readonly endpoint: string;
      /** Extra request headers, e.g. an access token. */
      readonly headers?: Readonly<Record<string, string>>;
      /** A `fetch` to use instead of the global one. */
      readonly fetch?: typeof fetch;
      /** Timeout of the info request (default 10 s). */
      readonly timeoutMs?: number;
    };

/** Options of {@link verifyWrappedInvoice}. */
export type VerifyWrappedInvoiceOptions = LspIdentity & WrappedInvoiceBounds;

/** What a failed check found. */
export type WrappedInvoiceFailureCode =
  | 'original_invalid'
  | 'wrapped_invalid'
  | 'network_mismatch'
  | 'payment_hash_mismatch'
  | 'payee_not_lsp'
  | 'original_amount_missing'
  | 'wrapped_amount_missing'
  | 'fee_quote_invalid'
  | 'amount_below_original'
  | 'fee_above_quote'
  | 'expires_after_original'
  | 'expired'
  | 'cltv_too_small'
  | 'cltv_too_large';

/** One failed check. */
export interface WrappedInvoiceFailure {
  readonly code: WrappedInvoiceFailureCode;
  readonly message: string;
}

/** The verdict: `valid` when no check failed; otherwise every failed check. */
export interface WrappedInvoiceCheck {
  readonly valid: boolean;
  readonly failures: readonly WrappedInvoiceFailure[];
  /** What the wrapped invoice charges on top (wrapped − original amount), when both have one. */
  readonly feeMsat: bigint | undefined;
  /** The decoded invoices (absent when one does not decode). */
  readonly original: Bolt11Invoice | undefined;
  readonly wrapped: Bolt11Invoice | undefined;
}

export const DEFAULT_MIN_LSP_CLTV_DELTA = 18;
export const DEFAULT_MAX_FINAL_CLTV_EXPIRY_DELTA = 576;

/**
 * Checks a wrapped invoice against the wallet's own invoice and the fee quote it was made
 * under: same payment hash and network; payable to the LSP (`lspPubkey`, or the `pubkey` of
 * the LSP's `GET /api/v1/info` at `endpoint`); both invoices have an amount and the wrapped
 * one is the original plus a fee of at most the quote; it expires no later than the original
 * and not already; its final CLTV adds at least `minLspCltvDelta` to the original's and is
 * at most `maxFinalCltvExpiryDelta`. Every check runs; `failures` lists each that failed.
 *
 * @throws {LspApiError} only when the LSP's node id had to be fetched and could not be
 *   (`unreachable`, `http_error`, `invalid_response`).
 */
export async function verifyWrappedInvoice(
  original: string,
  wrapped: string,
  feeQuote: WrapFeeQuote,
  options: VerifyWrappedInvoiceOptions,
): Promise<WrappedInvoiceCheck> {
  const lspPubkey = 'lspPubkey' in options ? options.lspPubkey : await fetchLspPubkey(options);
  return checkWrappedInvoice(original, wrapped, feeQuote, lspPubkey, options);
}

/** The checks themselves, with the LSP's node id known. */
export function checkWrappedInvoice(
  originalInvoice: string,
  wrappedInvoice: string,
  feeQuote: WrapFeeQuote,
  lspPubkey: string,
  bounds: WrappedInvoiceBounds = {},
): WrappedInvoiceCheck {
  const failures: WrappedInvoiceFailure[] = [];
  const fail = (code: WrappedInvoiceFailureCode, message: string): void => {
    failures.push({ code, message });
  };
  const original = decodeOrFail(originalInvoice, 'original', fail);
  const wrapped = decodeOrFail(wrappedInvoice, 'wrapped', fail);
  if (!original || !wrapped) return { valid: false, failures, feeMsat: undefined, original, wrapped };

  if (wrapped.network !== original.network)
    fail(
      'network_mismatch',
      `the wrapped invoice is for ${wrapped.network}, the original for ${original.network}`,
    );
  if (wrapped.paymentHash !== original.paymentHash)
    fail('payment_hash_mismatch', 'the wrapped invoice does not commit to the original payment hash');
  if (wrapped.payee !== lspPubkey.toLowerCase())
    fail('payee_not_lsp', `the wrapped invoice pays ${wrapped.payee}, not the LSP ${lspPubkey}`);

  const feeMsat = checkAmounts(original, wrapped, feeQuote, fail);

  const now = bounds.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (wrapped.expiresAt > original.expiresAt)
    fail(
      'expires_after_original',
      `the wrapped invoice expires at ${wrapped.expiresAt}, after the original (${original.expiresAt})`,
    );
  if (wrapped.expiresAt <= now) fail('expired', `the wrapped invoice expired at ${wrapped.expiresAt}`);

  const minDelta = bounds.minLspCltvDelta ?? DEFAULT_MIN_LSP_CLTV_DELTA;
  const maxCltv = bounds.maxFinalCltvExpiryDelta ?? DEFAULT_MAX_FINAL_CLTV_EXPIRY_DELTA;
  const needed = original.minFinalCltvExpiryDelta + minDelta;
  if (wrapped.minFinalCltvExpiryDelta < needed)
    fail(
      'cltv_too_small',
      `the wrapped invoice's final CLTV ${wrapped.minFinalCltvExpiryDelta} does not cover the original's ` +
        `${original.minFinalCltvExpiryDelta} plus ${minDelta} blocks for the LSP`,
    );
  if (wrapped.minFinalCltvExpiryDelta > maxCltv)
    fail(
      'cltv_too_large',
      `the wrapped invoice's final CLTV ${wrapped.minFinalCltvExpiryDelta} is over ${maxCltv} blocks: payers would refuse it`,
    );
  return { valid: failures.length === 0, failures, feeMsat, original, wrapped };
}

type Fail = (code: WrappedInvoiceFailureCode, message: string) => void;

function decodeOrFail(invoice: string, which: 'original' | 'wrapped', fail: Fail): Bolt11Invoice | undefined {
  try {
    return decodeBolt11(invoice);
  } catch (err) {
    if (!(err instanceof Bolt11DecodeError)) throw err;
    fail(`${which}_invalid`, `the ${which} invoice does not decode (${err.code}): ${err.message}`);
    return undefined;
  }
}

/** Both amounts present, the wrapped one the original plus a fee within the quote. */
function checkAmounts(
  original: Bolt11Invoice,
  wrapped: Bolt11Invoice,
  feeQuote: WrapFeeQuote,
  fail: Fail,
): bigint | undefined {
  if (original.amountMsat === undefined)
    fail('original_amount_missing', 'the original invoice has no amount: the LSP cannot size the fee');
  if (wrapped.amountMsat === undefined) fail('wrapped_amount_missing', 'the wrapped invoice has no amount');
  const quoted = quotedFeeMsat(feeQuote);
  if (quoted === undefined)
    fail('fee_quote_invalid', 'the fee quote has no whole, non-negative fee_amount_msat');
  if (original.amountMsat === undefined || wrapped.amountMsat === undefined) return undefined;
  const feeMsat = wrapped.amountMsat - original.amountMsat;
  if (feeMsat < 0n)
    fail(
      'amount_below_original',
      `the wrapped invoice asks ${wrapped.amountMsat} msat, less than the original ${original.amountMsat} msat`,
    );
  else if (quoted !== undefined && feeMsat > quoted)
    fail(
      'fee_above_quote',
      `the wrapped invoice charges a fee of ${feeMsat} msat, more than the quoted ${quoted} msat`,
    );
  return feeMsat;
}

/** The quote's fee as a bigint, or `undefined` when it has none that reads as whole msat. */
function quotedFeeMsat(quote: WrapFeeQuote): bigint | undefined {
  const value = quote.fee_amount_msat ?? quote.amount_msat;
  if (typeof value === 'bigint') return value >= 0n ? value : undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/** The `pubkey` of the LSP's `GET /api/v1/info`. */
async function fetchLspPubkey(identity: Exclude<LspIdentity, { lspPubkey: string }>): Promise<string> {
  const url = `${identity.endpoint.replace(/\/+$/, '')}/api/v1/info`;
  const get = identity.fetch ?? ((input, init) => fetch(input, init));
  let res: Response;
  try {
    res = await get(url, {
      headers: { accept: 'application/json', ...identity.headers },
      signal: AbortSignal.timeout(identity.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new LspApiError(
      0,
      'unreachable',
      `cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!res.ok) throw new LspApiError(res.status, 'http_error', `${url} answered HTTP ${res.status}`);
  const info = (await res.json().catch(() => undefined)) as { pubkey?: unknown } | undefined;
  const pubkey = info?.pubkey;
  if (typeof pubkey !== 'string' || !/^(02|03)[0-9a-fA-F]{64}$/.test(pubkey))
    throw new LspApiError(res.status, 'invalid_response', `${url} answered no node pubkey`);
  return pubkey.toLowerCase();
}
