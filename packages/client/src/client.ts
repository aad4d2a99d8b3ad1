/**
 * `LSPClient`: the BLGV LSP REST API with every request signed (see docs/api.md).
 */
import {
  type BalanceResponse,
  type ChannelQuoteBody,
  type ChannelQuoteResponse,
  type ChannelRequestBody,
  type ChannelResponse,
  type KeyResponse,
  type LedgerResponse,
  signRequest,
  type TenantResponse,
  type TopupResponse,
} from '@blgv/protocol';
import { LspApiError } from './errors.ts';

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

/** The fee schedule as the API reports it. */
export type Fees = {
  channelOpening: { baseFee: number; capacityFeePpm: number };
  liquidity: { reservationFee: number; utilizationFeePpm: number };
  routing: { baseFeeMsat: number; feeRatePpm: number };
  hosting: { monthlyFee: number; transactionFee: number };
};

/** A typed client of the BLGV LSP. */
export class LSPClient {
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
    this.#fetch = options.fetch ?? fetch;
  }

  /** Buys a channel to `clientPubkey` (resolves once its funding transaction is published). */
  requestChannel(request: ChannelRequestBody, options: MutationOptions = {}): Promise<ChannelResponse> {
    return this.#call('POST', '/v1/channels', request, options);
  }

  /** Where a bought channel is: `opening`, `pending`, `open`, `closed` or `failed`. */
  getChannelStatus(channelId: string): Promise<ChannelResponse> {
    return this.#call('GET', `/v1/channels/${encodeURIComponent(channelId)}`);
  }

  getFees(): Promise<Fees> {
    return this.#call('GET', '/v1/fees');
  }

  /** The fee and expected confirmation of a channel, before buying it. */
  quoteChannel(request: ChannelQuoteBody): Promise<ChannelQuoteResponse> {
    return this.#call('POST', '/v1/channels/quote', request);
  }

  /** An invoice that credits `amount` sat to the account once paid. */
  topUp(amount: number): Promise<TopupResponse> {
    return this.#call('POST', '/v1/account/topups', { amount });
  }

  getTopup(paymentHash: string): Promise<TopupResponse> {
    return this.#call('GET', `/v1/account/topups/${encodeURIComponent(paymentHash)}`);
  }

  getBalance(): Promise<BalanceResponse> {
    return this.#call('GET', '/v1/account');
  }

  getLedger(limit?: number): Promise<LedgerResponse> {
    return this.#call('GET', `/v1/account/ledger${limit === undefined ? '' : `?limit=${limit}`}`);
  }

  /** Admin keys only: operator calls. */
  readonly admin = {
    createTenant: (name: string): Promise<TenantResponse> =>
      this.#call('POST', '/v1/admin/tenants', { name }),
    createKey: (tenantId: string, scope: 'admin' | 'tenant', label?: string): Promise<KeyResponse> =>
      this.#call('POST', '/v1/admin/keys', { tenantId, scope, ...(label ? { label } : {}) }),
    revokeKey: (keyId: string): Promise<void> =>
      this.#call('DELETE', `/v1/admin/keys/${encodeURIComponent(keyId)}`),
  };

  async #call<T>(method: string, path: string, body?: unknown, options: MutationOptions = {}): Promise<T> {
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
