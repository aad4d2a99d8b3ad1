/**
 * The signed HTTP transport under the client: every REST call signed with the key (see
 * docs/api.md), LSPS JSON-RPC over `POST /lsps`, and the API's errors thrown as
 * {@link LspApiError} and {@link LspsRpcError}.
 */
import { newNonce, signRequest } from '@blgv/protocol';
import { LspApiError, LspsRpcError } from './errors.ts';

/** How to reach the LSP and sign requests. */
export interface LSPClientOptions {
  /** Base URL, e.g. `https://lsp.example.com`. */
  readonly endpoint: string;
  /** The key id (`key_…`). */
  readonly apiKey: string;
  /** The key's secret (`sk_…`); it signs requests and is never sent. */
  readonly apiSecret: string;
  /** Per-request timeout (default 120 s: a channel request waits for its funding transaction). */
  readonly timeoutMs?: number;
  /** A `fetch` to use instead of the global one. */
  readonly fetch?: typeof fetch;
}

/** Options of a call that changes something. */
export interface MutationOptions {
  /** Retries with the same key return the first result instead of acting twice. */
  readonly idempotencyKey?: string;
}

/** Sends signed requests to the LSP. */
export class SignedTransport {
  readonly #endpoint: string;
  readonly #keyId: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: LSPClientOptions) {
    this.#endpoint = options.endpoint.replace(/\/+$/, '');
    this.#keyId = options.apiKey;
    this.#secret = options.apiSecret;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    // Called as a plain function: a browser's fetch refuses any other `this` (Illegal invocation).
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** One LSPS JSON-RPC call; an error answer is thrown as {@link LspsRpcError}. */
  async rpc<T>(method: string, params: object): Promise<T> {
    const res = await this.call<{ result?: T; error?: { code: number; message: string; data?: unknown } }>(
      'POST',
      '/lsps',
      {
        jsonrpc: '2.0',
        method,
        params,
        id: newNonce(),
      },
    );
    if (res.error) throw new LspsRpcError(res.error.code, res.error.message, res.error.data);
    return res.result as T;
  }

  /** One signed REST call; an error answer is thrown as {@link LspApiError}. */
  async call<T>(method: string, path: string, body?: unknown, options: MutationOptions = {}): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = signRequest({
      keyId: this.#keyId,
      secret: this.#secret,
      method,
      path,
      body: text,
    });
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let res: Response;
    try {
      res = await this.#fetch(`${this.#endpoint}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: text } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new LspApiError(
        0,
        'unreachable',
        `cannot reach ${this.#endpoint}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (res.status === 204) return undefined as T;
    const payload = (await res.json().catch(() => undefined)) as
      | { error?: { code: string; message: string; details?: Record<string, unknown> } }
      | undefined;
    if (!res.ok) {
      const e = payload?.error;
      throw new LspApiError(
        res.status,
        e?.code ?? 'http_error',
        e?.message ?? `HTTP ${res.status}`,
        e?.details,
      );
    }
    return payload as T;
  }
}
