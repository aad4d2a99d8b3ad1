/**
 * Errors as codes. Every failure the LSP reports carries one code from {@link ErrorCode}; one
 * table maps each code to an HTTP status and an LSPS JSON-RPC error code.
 */

/** The codes the LSP reports. Values are stable strings used on the wire. */
export const ErrorCode = {
  InvalidInput: 'invalid_input',
  NotFound: 'not_found',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  Conflict: 'conflict',
  InsufficientFunds: 'insufficient_funds',
  /** The tenant's balance does not cover the charge (comes with a top-up invoice). */
  PaymentRequired: 'payment_required',
  /** The LSP itself lacks the on-chain funds or liquidity to serve the request. */
  LspInsufficientFunds: 'lsp_insufficient_funds',
  /** The fee of a request would exceed the most the caller said it would pay. */
  FeeRateExceeded: 'fee_rate_exceeded',
  /** The liquidity reservation is released, expired or used up. */
  ReservationInactive: 'reservation_inactive',
  /** The payment needs more than what is left of its liquidity reservation. */
  ReservationExceeded: 'reservation_exceeded',
  /** The tenant already holds as much as it may at once (e.g. reserved liquidity). */
  TenantLimitExceeded: 'tenant_limit_exceeded',
  /** The invoice's expiry has passed. */
  InvoiceExpired: 'invoice_expired',
  /** An `Idempotency-Key` was used again with a different request body. */
  IdempotencyKeyReused: 'idempotency_key_reused',
  /** The request's timestamp is outside the allowed window. */
  StaleTimestamp: 'stale_timestamp',
  /** The request's nonce was already used with this key. */
  NonceReused: 'nonce_reused',
  /** The request is too large or too frequent. */
  RateLimited: 'rate_limited',
  /** A webhook URL that is not https, does not resolve, or points at a non-public address. */
  WebhookUrlRefused: 'webhook_url_refused',
  LightningUnavailable: 'lightning_unavailable',
  LightningRejected: 'lightning_rejected',
  PeerUnreachable: 'peer_unreachable',
  DatabaseUnavailable: 'database_unavailable',
  /**
   * The database gave up on the request's work (a statement timeout, a lock or serialization
   * conflict with other work): nothing of it was kept; retry.
   */
  DatabaseBusy: 'database_busy',
  /**
   * A background job's write or action refused because this replica no longer holds the job's
   * lease (it ran out, or another replica took it over): the write carried a stale fencing token.
   */
  LeaseLost: 'lease_lost',
  Timeout: 'timeout',
  Aborted: 'aborted',
  Internal: 'internal',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface ErrorMapping {
  readonly http: number;
  readonly lsps: number;
}

/** How each code is reported over HTTP and over LSPS JSON-RPC. */
export const errorMappings: Readonly<Record<ErrorCode, ErrorMapping>> = {
  invalid_input: { http: 400, lsps: -32602 },
  not_found: { http: 404, lsps: -32602 },
  unauthorized: { http: 401, lsps: 1 },
  forbidden: { http: 403, lsps: 1 },
  conflict: { http: 409, lsps: -32602 },
  insufficient_funds: { http: 402, lsps: -32603 },
  payment_required: { http: 402, lsps: -32603 },
  lsp_insufficient_funds: { http: 409, lsps: -32603 },
  fee_rate_exceeded: { http: 422, lsps: -32602 },
  reservation_inactive: { http: 409, lsps: -32602 },
  reservation_exceeded: { http: 422, lsps: -32602 },
  tenant_limit_exceeded: { http: 422, lsps: -32602 },
  invoice_expired: { http: 400, lsps: -32602 },
  idempotency_key_reused: { http: 422, lsps: -32602 },
  stale_timestamp: { http: 401, lsps: 1 },
  nonce_reused: { http: 401, lsps: 1 },
  rate_limited: { http: 429, lsps: -32603 },
  webhook_url_refused: { http: 422, lsps: -32602 },
  lightning_unavailable: { http: 503, lsps: -32603 },
  lightning_rejected: { http: 422, lsps: -32603 },
  peer_unreachable: { http: 422, lsps: -32603 },
  database_unavailable: { http: 503, lsps: -32603 },
  database_busy: { http: 503, lsps: -32603 },
  lease_lost: { http: 503, lsps: -32603 },
  timeout: { http: 504, lsps: -32603 },
  aborted: { http: 499, lsps: -32603 },
  internal: { http: 500, lsps: -32603 },
};

/** The one error type of the LSP: a code, a human message, and optional structured details. */
export class LspError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LspError';
    this.code = code;
    this.details = details;
  }

  /** The HTTP status this error is reported with. */
  get httpStatus(): number {
    return errorMappings[this.code].http;
  }
}

/** True when `err` is an {@link LspError}, optionally with the given code. */
export function isLspError(err: unknown, code?: ErrorCode): err is LspError {
  return err instanceof LspError && (code === undefined || err.code === code);
}

/** An `invalid_input` error naming the field: `"<field>: <message>"`, `details.field`. */
export function invalidInput(field: string, message: string): LspError {
  return new LspError(ErrorCode.InvalidInput, `${field}: ${message}`, { field });
}
