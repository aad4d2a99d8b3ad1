/**
 * The client side of LSPS0 over Lightning peer messages (type 37913): sends JSON-RPC
 * requests to another LSP's node through our own node and matches the answers by id. Ids are
 * 128 random bits; every call has a deadline. Results come back as `unknown`: the caller
 * parses them at its edge.
 */
import { randomBytes } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { ErrorCode, LspError, type PeersPort, type Pubkey } from '@blgv/core';
import { LSPS0_MAX_MESSAGE_BYTES, LSPS0_MESSAGE_TYPE } from '@blgv/protocol';

/** An error answer from the peer, with its JSON-RPC code (e.g. LSPS1 `100` option mismatch). */
export class LspsCallError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(method: string, code: number, message: string, data: unknown) {
    super(`${method}: ${message} (${code})`);
    this.name = 'LspsCallError';
    this.code = code;
    this.data = data;
  }
}

interface Pending {
  readonly method: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/** Default deadline of one call. */
const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * Methods that only read, sent again (the same request, the same id) when no answer came
 * within `resendMs` (default {@link RESEND_MS}): a peer message is not delivered again when it
 * is lost (the peer's connection flapped, its reader was restarting), and asking a read twice
 * changes nothing.
 */
const READ_ONLY = new Set([
  'lsps0.list_protocols',
  'lsps1.get_info',
  'lsps1.get_order',
  'lsps2.get_info',
  'lsps5.list_webhooks',
]);
const RESEND_MS = 10_000;

/** The Lightning calls an LSPS peer client makes: sending a peer message and reading them. */
export type LspsPeerClientLightning = Pick<PeersPort, 'customMessages' | 'sendCustomMessage'>;

/** Calls LSPS methods on one peer. */
export class LspsPeerClient {
  readonly #lightning: LspsPeerClientLightning;
  readonly #peer: Pubkey;
  readonly #timeoutMs: number;
  readonly #resendMs: number;
  readonly #pending = new Map<string, Pending>();
  #ready: Promise<void> | undefined;

  constructor(deps: {
    lightning: LspsPeerClientLightning;
    peer: Pubkey;
    timeoutMs?: number;
    /** How long a read waits for its answer before it is sent again. */
    resendMs?: number;
  }) {
    this.#lightning = deps.lightning;
    this.#peer = deps.peer;
    this.#timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#resendMs = deps.resendMs ?? RESEND_MS;
  }

  /**
   * Starts reading the peer's answers until `signal` aborts; resolves once the stream is up.
   * Rejects with `aborted` when `signal` aborts first. After it stops, `start` may be called
   * again with a new signal.
   */
  start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new LspError(ErrorCode.Aborted, 'LSPS client stopped'));
    if (this.#ready) return this.#ready;
    const ready = new Promise<void>((resolve, reject) => {
      const stopped = () => reject(new LspError(ErrorCode.Aborted, 'LSPS client stopped'));
      signal.addEventListener('abort', stopped, { once: true });
      void this.#read({
        signal,
        onConnected: () => {
          signal.removeEventListener('abort', stopped);
          resolve();
        },
      }).finally(() => {
        stopped();
        for (const p of this.#pending.values())
          p.reject(new LspError(ErrorCode.Aborted, 'LSPS client stopped'));
        this.#pending.clear();
        if (this.#ready === ready) this.#ready = undefined;
      });
    });
    // A stop before the first connection is reported to the caller of `start`, not left unhandled.
    ready.catch(() => {});
    this.#ready = ready;
    return ready;
  }

  /** Calls `method` and resolves with its result; rejects with {@link LspsCallError} on an error answer. */
  async call(method: string, params: object, signal: AbortSignal): Promise<unknown> {
    if (!this.#ready) throw new LspError(ErrorCode.LightningUnavailable, 'LSPS client not started');
    await this.#ready;
    if (signal.aborted) throw new LspError(ErrorCode.Aborted, `${method} was aborted`);
    const id = randomBytes(16).toString('hex');
    const data = new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', method, params, id }));
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]);
    return new Promise<unknown>((resolve, reject) => {
      const send = () =>
        this.#lightning
          .sendCustomMessage({ peer: this.#peer, type: LSPS0_MESSAGE_TYPE, data }, deadline)
          .catch((err: unknown) =>
            this.#pending.get(id)?.reject(err instanceof Error ? err : new Error(String(err))),
          );
      const resend = READ_ONLY.has(method) ? setInterval(send, this.#resendMs) : undefined;
      const settle = () => {
        this.#pending.delete(id);
        clearInterval(resend);
        deadline.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        settle();
        reject(
          signal.aborted
            ? new LspError(ErrorCode.Aborted, `${method} was aborted`)
            : new LspError(ErrorCode.Timeout, `no answer to ${method} from ${this.#peer} in time`),
        );
      };
      deadline.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        method,
        resolve: (r) => {
          settle();
          resolve(r);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      void send();
    });
  }

  async #read(options: { signal: AbortSignal; onConnected: () => void }): Promise<void> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    try {
      for await (const m of this.#lightning.customMessages(options)) {
        if (m.peer !== this.#peer || m.type !== LSPS0_MESSAGE_TYPE) continue;
        if (m.data.length > LSPS0_MAX_MESSAGE_BYTES) continue;
        this.#answer(decoder, m.data);
      }
    } catch {
      // The stream ends when the signal aborts; pending calls are rejected by `start`.
    }
  }

  #answer(decoder: TextDecoder, data: Uint8Array): void {
    let answer: {
      id?: unknown;
      result?: unknown;
      error?: { code?: unknown; message?: unknown; data?: unknown };
    };
    try {
      answer = JSON.parse(decoder.decode(data)) as typeof answer;
    } catch {
      return;
    }
    if (typeof answer !== 'object' || answer === null || typeof answer.id !== 'string') return;
    const pending = this.#pending.get(answer.id);
    if (!pending) return;
    if (answer.error !== undefined) {
      const e = answer.error ?? {};
      const code = typeof e.code === 'number' ? e.code : 0;
      pending.reject(new LspsCallError(pending.method, code, String(e.message ?? 'error'), e.data));
    } else pending.resolve(answer.result);
  }
}
