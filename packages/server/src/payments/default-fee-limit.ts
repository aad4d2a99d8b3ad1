/**
 * The fee limit of a payment whose tenant gives none (`payments.defaultMaxFeeSat`,
 * `defaultMaxFeePpm`, `feeLimitFromQuote`; docs/routing.md "Paying"): always below the routing
 * fee charged, which stays the limit when none of these is set.
 */
import {
  type DecodedPaymentRequest,
  type FeeLimitRequest,
  type Msat,
  msatToSatCeil,
  quotedFeeLimit,
  type RouteEstimationPort,
  sat,
} from '@blgv/core';
import type { Logger } from 'pino';

/** The `payments` settings of the default limit. */
export interface DefaultFeeLimitSettings {
  /** The fee limit of a payment whose tenant gives none (below the routing fee only). */
  readonly defaultMaxFeeSat?: number;
  readonly defaultMaxFeePpm?: number;
  /** Lower the default limit to a graph quote plus a margin. */
  readonly feeLimitFromQuote?: {
    readonly enabled: boolean;
    readonly marginPercent: number;
    readonly marginSat: number;
  };
}

/** How long a graph quote for a payment's default fee limit may take. */
const QUOTE_TIMEOUT_MS = 5_000;

/** The default fee limit of payments. */
export class DefaultFeeLimit {
  readonly #settings: DefaultFeeLimitSettings;
  readonly #lightning: Pick<RouteEstimationPort, 'estimateRouteFee'>;
  readonly #log: Logger;
  readonly #configured: FeeLimitRequest;

  constructor(
    settings: DefaultFeeLimitSettings,
    lightning: Pick<RouteEstimationPort, 'estimateRouteFee'>,
    log: Logger,
  ) {
    this.#settings = settings;
    this.#lightning = lightning;
    this.#log = log;
    const { defaultMaxFeeSat, defaultMaxFeePpm } = settings;
    this.#configured = {
      ...(defaultMaxFeeSat !== undefined ? { maxFeeSat: sat(defaultMaxFeeSat) } : {}),
      ...(defaultMaxFeePpm !== undefined ? { maxFeePpm: BigInt(defaultMaxFeePpm) } : {}),
    };
  }

  /**
   * The limit for paying `decoded` (`amount`): the configured defaults, lowered to LND's graph
   * estimate of the route plus the margin when `feeLimitFromQuote` is on. No estimate (no route
   * in the graph, e.g. a private destination behind route hints): the configured defaults.
   */
  async of(decoded: DecodedPaymentRequest, amount: Msat): Promise<FeeLimitRequest> {
    const margin = this.#settings.feeLimitFromQuote;
    if (margin?.enabled !== true) return this.#configured;
    try {
      const estimate = await this.#lightning.estimateRouteFee(
        { destination: decoded.destination, amount: msatToSatCeil(amount) },
        AbortSignal.timeout(QUOTE_TIMEOUT_MS),
      );
      return quotedFeeLimit(this.#configured, estimate.fee, {
        percent: margin.marginPercent,
        sat: margin.marginSat,
      });
    } catch (err) {
      this.#log.debug(
        { err, destination: decoded.destination },
        'no graph quote for the fee limit; the configured defaults apply',
      );
      return this.#configured;
    }
  }
}
