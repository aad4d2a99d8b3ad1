/**
 * The error every failed call rejects with: the HTTP status and the server's code.
 */

/** A refusal or failure reported by the LSP (or the network). */
export class LspApiError extends Error {
  /** HTTP status (0 when the server could not be reached). */
  readonly status: number;
  /** The server's error code, e.g. `payment_required`, `unauthorized`, `invalid_input`. */
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'LspApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** An LSPS JSON-RPC error (bLIP-50 codes: 100 option mismatch, 101 not found, -32602 …). */
export class LspsRpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'LspsRpcError';
    this.code = code;
    this.data = data;
  }
}
