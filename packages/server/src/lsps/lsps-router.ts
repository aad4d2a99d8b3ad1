/**
 * Dispatches LSPS JSON-RPC requests (from peer messages or HTTP) to the methods we serve,
 * validating params at the edge. Every failure becomes a JSON-RPC error with the spec's codes;
 * nothing throws out of `handle`.
 */
import { errorMappings, isLspError } from '@blgv/core';
import {
  CreateOrderParams,
  GetInfoParams,
  GetOrderParams,
  type JsonRpcResponse,
  Lsps0Error,
  Lsps2BuyParams,
  Lsps2GetInfoParams,
  parseJsonRpcRequest,
} from '@blgv/protocol';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import type { Lsps2Service } from '../lsps2/lsps2-service.ts';
import type { Lsps1Service, OrderOwner } from './lsps1-service.ts';
import { RpcError } from './rpc-error.ts';

interface Method {
  readonly params: TSchema;
  readonly run: (caller: OrderOwner, params: never) => Promise<unknown> | unknown;
}

/** The LSPS protocols we serve, as `lsps0.list_protocols` reports them. */
export const SUPPORTED_PROTOCOLS = [1, 2] as const;

/** Routes LSPS requests. */
export class LspsRouter {
  readonly #methods: Record<string, Method>;
  readonly #log: Logger;

  constructor(lsps1: Lsps1Service, lsps2: Lsps2Service, log: Logger) {
    this.#log = log;
    this.#methods = {
      'lsps0.list_protocols': {
        params: Type.Object({}, { additionalProperties: false }),
        run: () => ({ protocols: [...SUPPORTED_PROTOCOLS] }),
      },
      'lsps1.get_info': { params: GetInfoParams, run: () => lsps1.info() },
      'lsps1.create_order': {
        params: CreateOrderParams,
        run: (caller, p: CreateOrderParams) => lsps1.createOrder(caller, p),
      },
      'lsps1.get_order': {
        params: GetOrderParams,
        run: (caller, p: GetOrderParams) => lsps1.getOrder(caller, p.order_id),
      },
      'lsps2.get_info': {
        params: Lsps2GetInfoParams,
        run: (_, p: Lsps2GetInfoParams) => lsps2.info(p.token),
      },
      'lsps2.buy': { params: Lsps2BuyParams, run: (caller, p: Lsps2BuyParams) => lsps2.buy(caller, p) },
    };
  }

  /** Handles one request text and returns the response to send. */
  async handle(caller: OrderOwner, text: string): Promise<JsonRpcResponse> {
    const parsed = parseJsonRpcRequest(text);
    if (!parsed.ok) return parsed.response;
    const { id, method, params } = parsed.request;
    const m = this.#methods[method];
    if (!m)
      return {
        jsonrpc: '2.0',
        id,
        error: { code: Lsps0Error.MethodNotFound, message: `method not found: ${method}` },
      };
    if (!Value.Check(m.params, params)) {
      const first = [...Value.Errors(m.params, params)][0];
      return {
        jsonrpc: '2.0',
        id,
        error: {
          code: Lsps0Error.InvalidParams,
          message: 'invalid params',
          data: { property: first?.path.replace(/^\//, '') ?? '', message: first?.message ?? 'invalid' },
        },
      };
    }
    try {
      return { jsonrpc: '2.0', id, result: await m.run(caller, params as never) };
    } catch (err) {
      if (err instanceof RpcError)
        return {
          jsonrpc: '2.0',
          id,
          error: {
            code: err.code,
            message: err.message,
            ...(err.data !== undefined ? { data: err.data } : {}),
          },
        };
      if (isLspError(err)) {
        return { jsonrpc: '2.0', id, error: { code: errorMappings[err.code].lsps, message: err.message } };
      }
      this.#log.error({ err, method }, 'LSPS method failed');
      return { jsonrpc: '2.0', id, error: { code: Lsps0Error.InternalError, message: 'internal error' } };
    }
  }
}
