/**
 * Dispatches LSPS JSON-RPC requests (from peer messages or HTTP) to the methods each LSPS
 * service registered (its `lsps-methods.ts` table), validating params at the edge. Every
 * failure becomes a JSON-RPC error with the spec's codes (bLIP-50: every -32602 carries
 * `data.unrecognized`, listing any parameter the method does not know; error `data` is always
 * an object); nothing throws out of `handle`.
 */
import { errorMappings, isLspError } from '@blgv/core';
import {
  invalidParams,
  type JsonRpcId,
  type JsonRpcResponse,
  Lsps0Error,
  parseError,
  parseJsonRpcRequest,
} from '@blgv/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { nulCharacterAt } from '../http/nul-characters.ts';
import type { LspsMethod, LspsMethodTable } from './lsps-method.ts';
import type { OrderOwner } from './order-owner.ts';
import { RpcError } from './rpc-error.ts';

/**
 * Params only the HTTP transport takes: an HTTP caller is a tenant, so it names the client node;
 * over peer messages the client node is the sender, and these are unrecognized (bLIP-50).
 */
const HTTP_ONLY_PARAMS: ReadonlySet<string> = new Set(['client_node_pubkey', 'client_node_host']);

/** Payloads are UTF-8; anything else is a bad message format (bLIP-50). */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Routes LSPS requests to the methods the services registered. */
export class LspsRouter {
  readonly #methods = new Map<string, LspsMethod>();
  readonly #log: Logger;

  /** Serves the methods of `tables` (each service's own); a name served twice is a mistake. */
  constructor(tables: readonly LspsMethodTable[], log: Logger) {
    this.#log = log;
    for (const table of tables)
      for (const [name, method] of Object.entries(table)) {
        if (this.#methods.has(name)) throw new Error(`LSPS method ${name} registered twice`);
        this.#methods.set(name, method);
      }
  }

  /** The names of the methods served, in the order they were registered. */
  methodNames(): string[] {
    return [...this.#methods.keys()];
  }

  /**
   * Handles one request text and returns the response to send; `undefined` for a notification
   * (a request without `id`), which is never answered.
   */
  async handle(caller: OrderOwner, payload: string | Uint8Array): Promise<JsonRpcResponse | undefined> {
    let text: string;
    try {
      text = typeof payload === 'string' ? payload : utf8.decode(payload);
    } catch {
      this.#log.warn('LSPS message in a bad format: not UTF-8');
      return parseError('not UTF-8');
    }
    const parsed = parseJsonRpcRequest(text);
    if (!parsed.ok) {
      if ('notification' in parsed) {
        this.#log.warn({ method: parsed.method }, 'LSPS notification from a client: not answered');
        return undefined;
      }
      if ('error' in parsed.response && parsed.response.error.code === Lsps0Error.ParseError)
        this.#log.warn({ reason: parsed.response.error.message }, 'LSPS message in a bad format');
      return parsed.response;
    }
    const { id, method, params } = parsed.request;
    const m = this.#methods.get(method);
    if (!m)
      return {
        jsonrpc: '2.0',
        id,
        error: { code: Lsps0Error.MethodNotFound, message: `Method not found: ${method}` },
      };
    const known = Object.keys(m.params.properties).filter(
      (k) => caller.kind === 'tenant' || !HTTP_ONLY_PARAMS.has(k),
    );
    const unrecognized = Object.keys(params).filter((k) => !known.includes(k));
    if (unrecognized.length > 0) {
      return invalidParams(id, {
        unrecognized,
        property: unrecognized[0] ?? '',
        message: `unrecognized parameter${unrecognized.length > 1 ? 's' : ''}: ${unrecognized.join(', ')}`,
      });
    }
    if (!Value.Check(m.params, params)) {
      const first = [...Value.Errors(m.params, params)][0];
      return invalidParams(id, {
        // bLIP-51: the request field, nested fields joined with `.`.
        property: (first?.path ?? '').replace(/^\//, '').replaceAll('/', '.'),
        message: first?.message ?? 'invalid',
      });
    }
    const nul = nulCharacterAt(params, '');
    if (nul !== undefined)
      return invalidParams(id, {
        property: nul.replace(/^\//, '').replaceAll('/', '.'),
        message: 'must not contain the NUL character (U+0000)',
      });
    try {
      return { jsonrpc: '2.0', id, result: await m.run(caller, params as never) };
    } catch (err) {
      return this.#failure(id, method, err);
    }
  }

  /** The error response for a method that failed. */
  #failure(id: JsonRpcId, method: string, err: unknown): JsonRpcResponse {
    if (err instanceof RpcError) {
      if (err.code === Lsps0Error.InvalidParams) {
        const data = (err.data ?? {}) as { property?: string; message?: string };
        return invalidParams(id, {
          ...(data.property !== undefined ? { property: data.property } : {}),
          message: data.message ?? err.message,
        });
      }
      return {
        jsonrpc: '2.0',
        id,
        error: {
          code: err.code,
          message: err.message,
          ...(err.data !== undefined ? { data: err.data } : {}),
        },
      };
    }
    if (isLspError(err)) {
      const code = errorMappings[err.code].lsps;
      if (code === Lsps0Error.InvalidParams) {
        const field = err.details?.field;
        return invalidParams(id, {
          ...(typeof field === 'string' ? { property: field } : {}),
          message: err.message,
        });
      }
      if (code === Lsps0Error.ClientRejected)
        return {
          jsonrpc: '2.0',
          id,
          error: { code, message: 'Client rejected', data: { message: err.message } },
        };
      return { jsonrpc: '2.0', id, error: { code, message: err.message } };
    }
    this.#log.error({ err, method }, 'LSPS method failed');
    return { jsonrpc: '2.0', id, error: { code: Lsps0Error.InternalError, message: 'internal error' } };
  }
}
