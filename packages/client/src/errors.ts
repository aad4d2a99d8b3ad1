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

/** Why {@link decodeBolt11} refused an invoice. */
export type Bolt11ErrorCode =
  /** Not a bech32 string: no separator, mixed case, a character outside the alphabet, a bad checksum. */
  | 'not_bech32'
  /** The prefix names no network this decoder knows (`lnbc`, `lntb`, `lntbs`, `lnbcrt`, `lnsb`). */
  | 'unknown_network'
  /** The amount has a leading zero, an unknown multiplier or a fraction of a millisatoshi. */
  | 'bad_amount'
  /** Too short to hold a timestamp and a signature. */
  | 'too_short'
  /** A field is cut short, not minimally encoded, or its content does not parse. */
  | 'bad_field'
  /** A required field is missing or doubled (`p`, `s`, exactly one of `d` and `h`). */
  | 'missing_field'
  /** A required (even) feature bit this decoder does not know. */
  | 'unknown_required_feature'
  /** The signature does not verify against `n`, is high-S with `n`, or recovers no key. */
  | 'bad_signature';

/** A BOLT 11 invoice that does not decode; `code` says why. */
export class Bolt11DecodeError extends Error {
  readonly code: Bolt11ErrorCode;

  constructor(code: Bolt11ErrorCode, message: string) {
    super(message);
    this.name = 'Bolt11DecodeError';
    this.code = code;
  }
}
