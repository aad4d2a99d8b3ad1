/**
 * LSPS0 (bLIP-50): JSON-RPC 2.0 over Lightning peer messages of type 37913 (or HTTP).
 * Named params only, no batches, string ids.
 */

/** The peer message type LSPS0 uses. */
export const LSPS0_MESSAGE_TYPE = 37913;
/** Largest LSPS0 message we accept or send (bytes); Lightning messages cap near 65 KB. */
export const LSPS0_MAX_MESSAGE_BYTES = 65_000;

/** Shared JSON-RPC and LSPS0 error codes. */
export const Lsps0Error = {
  ClientRejected: 1,
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
} as const;

/** A request id: bLIP-50 asks clients for strings; JSON-RPC 2.0 allows numbers too, echoed as sent. */
export type JsonRpcId = string | number;

/** A JSON-RPC request. */
export interface JsonRpcRequest {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly id: JsonRpcId;
}

/** A JSON-RPC error object. `data`, when present, is an object (bLIP-50). */
export interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** A JSON-RPC response. */
export type JsonRpcResponse =
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId | null; readonly result: unknown }
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId | null; readonly error: JsonRpcError };

/**
 * Parsing outcome: a request; the error response to send; or a notification (a request with
 * no `id`), which JSON-RPC 2.0 says is never answered.
 */
export type ParsedRequest =
  | { readonly ok: true; readonly request: JsonRpcRequest }
  | { readonly ok: false; readonly response: JsonRpcResponse }
  | { readonly ok: false; readonly notification: true; readonly method: string };

/** The `data` of every -32602 error: `unrecognized` (bLIP-50), plus what was wrong. */
export function invalidParams(
  id: JsonRpcId | null,
  detail: { readonly unrecognized?: readonly string[]; readonly property?: string; readonly message: string },
): JsonRpcResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: Lsps0Error.InvalidParams,
      message: 'Invalid params',
      data: {
        unrecognized: [...(detail.unrecognized ?? [])],
        ...(detail.property !== undefined ? { property: detail.property } : {}),
        message: detail.message,
      },
    },
  };
}

/**
 * The answer to a payload that is not a single JSON-RPC 2.0 request object (bLIP-50: a "bad
 * message format"): a parse error with `id` null, whatever the payload held.
 */
export function parseError(reason: string): JsonRpcResponse {
  return {
    jsonrpc: '2.0',
    id: null,
    error: { code: Lsps0Error.ParseError, message: `parse error: ${reason}` },
  };
}

const bad = (reason: string): ParsedRequest => ({ ok: false, response: parseError(reason) });

/**
 * Parses one LSPS0 request (bLIP-50). Anything but a single complete JSON object that is a
 * JSON-RPC 2.0 request (not JSON, a batch or other array, a scalar, trailing content, a 0 byte, a
 * response, a wrong `jsonrpc`, a `method` that is not a string, an `id` that is not a string or
 * number) is a parse error (-32700, `id` null): bLIP-50 names exactly these "bad message format",
 * and where JSON-RPC 2.0 would say -32600 the bLIP wins. `params` may be left out (`{}`); present,
 * it must be an object (by-name), else -32602.
 */
export function parseJsonRpcRequest(text: string): ParsedRequest {
  if (text.includes('\u0000')) return bad('the payload contains a 0 byte');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('not a single complete JSON object');
  }
  if (typeof value !== 'object' || value === null) return bad('not a JSON object');
  if (Array.isArray(value)) return bad('a JSON array (batches are not allowed)');
  const v = value as Record<string, unknown>;
  if (!('method' in v) && ('result' in v || 'error' in v)) return bad('a response, not a request');
  if (v.jsonrpc !== '2.0') return bad('jsonrpc must be "2.0"');
  if (typeof v.method !== 'string') return bad('method must be a string');
  if (!('id' in v)) return { ok: false, notification: true, method: v.method };
  if (typeof v.id !== 'string' && typeof v.id !== 'number') return bad('id must be a string');
  const id = v.id;
  const params = 'params' in v ? v.params : {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return {
      ok: false,
      response: invalidParams(id, {
        property: 'params',
        message: 'params must be an object: parameters are passed by name',
      }),
    };
  }
  return {
    ok: true,
    request: { jsonrpc: '2.0', method: v.method, params: params as Record<string, unknown>, id },
  };
}
/**
 * True when `text` is a JSON-RPC response (it has `result` or `error` and no `method`): a
 * node that is both an LSPS server and a client of another LSP sees the answers to its own
 * requests on the same message stream, and must not answer them.
 */
export function isJsonRpcResponse(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    return !('method' in v) && ('result' in v || 'error' in v);
  } catch {
    return false;
  }
}
