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

/** A JSON-RPC request. */
export interface JsonRpcRequest {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly id: string;
}

/** A JSON-RPC error object. */
export interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** A JSON-RPC response. */
export type JsonRpcResponse =
  | { readonly jsonrpc: '2.0'; readonly id: string | null; readonly result: unknown }
  | { readonly jsonrpc: '2.0'; readonly id: string | null; readonly error: JsonRpcError };

/** Parsing outcome: a request, or the error response to send (`id` null when unknown). */
export type ParsedRequest =
  | { readonly ok: true; readonly request: JsonRpcRequest }
  | { readonly ok: false; readonly response: JsonRpcResponse };

const fail = (id: string | null, code: number, message: string): ParsedRequest => ({
  ok: false,
  response: { jsonrpc: '2.0', id, error: { code, message } },
});

/** Parses one LSPS0 request from text, answering malformed input with the spec's codes. */
export function parseJsonRpcRequest(text: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(null, Lsps0Error.ParseError, 'parse error: not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(
      null,
      Lsps0Error.InvalidRequest,
      Array.isArray(value) ? 'batches are not supported' : 'a request must be an object',
    );
  }
  const v = value as Record<string, unknown>;
  const id = typeof v.id === 'string' ? v.id : null;
  if (v.jsonrpc !== '2.0') return fail(id, Lsps0Error.InvalidRequest, 'jsonrpc must be "2.0"');
  if (id === null) return fail(null, Lsps0Error.InvalidRequest, 'id must be a string');
  if (typeof v.method !== 'string') return fail(id, Lsps0Error.InvalidRequest, 'method must be a string');
  const params = v.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return fail(id, Lsps0Error.InvalidParams, 'params must be an object (named parameters only)');
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
