/**
 * Quotes of a payment's routing cost for tenants (`POST /v1/routing/quote`): from LND's graph
 * (`EstimateRouteFee` with destination and amount) by default, or by probing the invoice
 * (`EstimateRouteFee` with the payment request, bounded in time), with mission control's odds
 * from `QueryRoutes`. Quotes are kept briefly per tenant and request, limited per tenant, and
 * never touch a balance.
 */
import {
  type DecodedPaymentRequest,
  ErrorCode,
  FixedWindowLimiter,
  invalidInput,
  isLspError,
  LspError,
  type Msat,
  msatToSatCeil,
  type NodePort,
  type PaymentsPort,
  type Pubkey,
  parsePubkey,
  type RouteEstimationPort,
  type RouteFeeEstimate,
  type RouteQuote,
  routeQuoteFrom,
  sat,
  satToMsat,
} from '@blgv/core';
import type { Logger } from 'pino';
import { amountToPay, decodePayable } from '../payments/payable-invoice.ts';

/** The Lightning calls quotes make. */
export type QuoteServiceLightning = RouteEstimationPort &
  Pick<PaymentsPort, 'decodePaymentRequest'> &
  Pick<NodePort, 'getInfo'>;

/** The `routing.quotes` settings. */
export interface QuoteSettings {
  readonly cacheSeconds: number;
  readonly probeTimeoutSeconds: number;
  readonly maxPerWindow: number;
  readonly windowSeconds: number;
}

/** A quote request as the tenant sent it (checked here, so each refusal names its field). */
export interface QuoteRequest {
  readonly invoice?: string;
  readonly destination?: string;
  readonly amountSat?: number;
  readonly probe?: boolean;
}

/** What a checked request quotes: the destination and amount, and the invoice to probe. */
interface QuoteTarget {
  readonly destination: Pubkey;
  readonly amount: Msat;
  readonly decoded?: DecodedPaymentRequest;
  /** The invoice, when the tenant asked for a probe. */
  readonly probe?: string;
}

/** A quote, and whether it came from the cache. */
export type QuoteAnswer = RouteQuote & { readonly cached: boolean };

/** Time given to LND beyond a probe's own bound. */
const ANSWER_MARGIN_MS = 15_000;
const GRAPH_TIMEOUT_MS = 10_000;

/** The quote service. */
export class QuoteService {
  readonly #lightning: QuoteServiceLightning;
  readonly #settings: QuoteSettings;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #limiter: FixedWindowLimiter;
  readonly #cache = new Map<string, { readonly at: number; readonly quote: RouteQuote }>();

  constructor(deps: {
    lightning: QuoteServiceLightning;
    settings: QuoteSettings;
    log: Logger;
    /** The clock (ms), for tests. */
    now?: () => number;
  }) {
    this.#lightning = deps.lightning;
    this.#settings = deps.settings;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#limiter = new FixedWindowLimiter(deps.settings.maxPerWindow, deps.settings.windowSeconds * 1000);
  }

  /**
   * A quote for the tenant. The request is checked first (a 400 naming the field, whatever the
   * tenant's limit), then the tenant's limit (429), then the cache, then LND.
   */
  async quote(tenantId: string, request: QuoteRequest): Promise<QuoteAnswer> {
    const target = await this.#target(request);
    const now = this.#now();
    const taken = this.#limiter.take(tenantId, now);
    if (!taken.allowed) {
      const retryAfterSeconds = Math.ceil(taken.retryAfterMs / 1000);
      throw new LspError(
        ErrorCode.RateLimited,
        `quotes: at most ${this.#settings.maxPerWindow} per ${this.#settings.windowSeconds} s; retry in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
    const key = `${tenantId}\n${JSON.stringify([request.invoice, request.destination, request.amountSat, request.probe === true])}`;
    const hit = this.#cache.get(key);
    if (hit && now - hit.at < this.#settings.cacheSeconds * 1000) return { ...hit.quote, cached: true };

    const quote = await this.#make(target);
    if (this.#settings.cacheSeconds > 0) {
      this.#prune(now);
      this.#cache.set(key, { at: now, quote });
    }
    this.#log.debug(
      { tenant: tenantId, mode: quote.mode, feeMsat: String(quote.fee), destination: quote.destination },
      'routing quote',
    );
    return { ...quote, cached: false };
  }

  /** What to quote, from the request as given: each refusal names its field. */
  async #target(request: QuoteRequest): Promise<QuoteTarget> {
    const given = positiveSat(request.amountSat);
    if (request.invoice !== undefined && request.destination !== undefined) {
      throw invalidInput('destination', 'give an invoice or a destination, not both');
    }
    if (request.invoice === undefined) {
      if (request.destination === undefined) {
        throw invalidInput('invoice', 'give an invoice, or a destination and amountSat');
      }
      const destination = pubkeyOf(request.destination);
      if (given === undefined) throw invalidInput('amountSat', 'required with a destination');
      if (request.probe === true) throw invalidInput('probe', 'a probe needs an invoice');
      return { destination, amount: satToMsat(given) };
    }
    const decoded = await decodePayable(this.#lightning, request.invoice, {
      now: this.#now(),
      signal: AbortSignal.timeout(GRAPH_TIMEOUT_MS),
    });
    const amount = amountToPay(decoded, given, 'amountSat');
    if (decoded.amount === 0n && request.probe === true) {
      throw invalidInput('probe', 'an invoice without an amount cannot be probed; quote it from the graph');
    }
    return {
      destination: decoded.destination,
      amount,
      decoded,
      ...(request.probe === true ? { probe: request.invoice } : {}),
    };
  }

  async #make(target: QuoteTarget): Promise<RouteQuote> {
    const { decoded, amount } = target;
    if (target.probe === undefined || decoded === undefined) {
      return this.#graph(target.destination, amount, decoded);
    }
    const estimate = await this.#estimate(
      { paymentRequest: target.probe, timeoutSeconds: this.#settings.probeTimeoutSeconds },
      AbortSignal.timeout(this.#settings.probeTimeoutSeconds * 1000 + ANSWER_MARGIN_MS),
    );
    if (estimate.failure !== undefined) {
      throw new LspError(
        ErrorCode.LightningRejected,
        `the probe found no route that carries the payment (${estimate.failure})`,
        { failure: estimate.failure },
      );
    }
    // After the probe: mission control has just learnt from it.
    const [info, odds] = await Promise.all([
      this.#lightning.getInfo(AbortSignal.timeout(GRAPH_TIMEOUT_MS)),
      this.#odds(decoded.destination, amount, decoded),
    ]);
    return routeQuoteFrom({
      mode: 'probe',
      destination: decoded.destination,
      amount,
      estimate,
      blockHeight: info.blockHeight,
      successProbability: odds,
    });
  }

  async #graph(
    destination: Pubkey,
    amount: Msat,
    decoded: DecodedPaymentRequest | undefined,
  ): Promise<RouteQuote> {
    const signal = AbortSignal.timeout(GRAPH_TIMEOUT_MS);
    const [estimate, info, odds] = await Promise.all([
      this.#estimate({ destination, amount: msatToSatCeil(amount) }, signal),
      this.#lightning.getInfo(signal),
      this.#odds(destination, amount, decoded),
    ]);
    return routeQuoteFrom({
      mode: 'graph',
      destination,
      amount,
      estimate,
      blockHeight: info.blockHeight,
      successProbability: odds,
    });
  }

  async #estimate(
    request: Parameters<RouteEstimationPort['estimateRouteFee']>[0],
    signal: AbortSignal,
  ): Promise<RouteFeeEstimate> {
    try {
      return await this.#lightning.estimateRouteFee(request, signal);
    } catch (err) {
      // LND: "unable to find a path to destination" (graph), "all LSP probe payments failed" (probe).
      if (isLspError(err, ErrorCode.NotFound) || isLspError(err, ErrorCode.LightningRejected)) {
        throw new LspError(
          ErrorCode.LightningRejected,
          `no route to the destination for this amount: ${err.message}`,
          {
            ...err.details,
          },
        );
      }
      throw err;
    }
  }

  #odds(
    destination: Pubkey,
    amount: Msat,
    decoded: DecodedPaymentRequest | undefined,
  ): Promise<number | undefined> {
    return this.#lightning
      .routeProbability(
        {
          destination,
          amount,
          ...(decoded ? { routeHints: decoded.routeHints, finalCltvDelta: decoded.cltvExpiry } : {}),
        },
        AbortSignal.timeout(GRAPH_TIMEOUT_MS),
      )
      .catch((err: unknown) => {
        this.#log.warn({ err }, 'QueryRoutes failed: a quote without odds');
        return undefined;
      });
  }

  #prune(now: number): void {
    if (this.#cache.size < 1_000) return;
    for (const [key, entry] of this.#cache) {
      if (now - entry.at >= this.#settings.cacheSeconds * 1000) this.#cache.delete(key);
    }
  }
}

function positiveSat(value: number | undefined) {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw invalidInput('amountSat', 'must be a whole number of sat above 0');
  return sat(value);
}

function pubkeyOf(value: string): Pubkey {
  try {
    return parsePubkey(value);
  } catch {
    throw invalidInput('destination', 'not a node public key (33 bytes hex, 02 or 03 first)');
  }
}
