/**
 * A wallet's side of LSPS0 over peer messages: sends JSON-RPC requests to the LSP as custom
 * messages of type 37913 from a client LND node and matches the answers by id.
 */
import { randomBytes } from 'node:crypto';
import type { Pubkey } from '@blgv/core';
import { LSPS0_MESSAGE_TYPE } from '@blgv/protocol';
import type { Harness, LndNode } from '@blgv/regtest';

/** An answer: `result` or `error`. */
export interface RpcAnswer<T = unknown> {
  readonly result?: T;
  readonly error?: { code: number; message: string; data?: { property?: string } & Record<string, unknown> };
}

/** Calls LSPS methods on `lsp` from `node`. */
export class LspsPeerClient {
  readonly #node: LndNode;
  readonly #lsp: Pubkey;
  readonly #waiting = new Map<string, (a: RpcAnswer) => void>();
  readonly #stop = new AbortController();
  #ready = false;
  /** Answers with no id (refusals sent before a request was read). */
  readonly unmatched: RpcAnswer[] = [];

  constructor(node: LndNode, lsp: Pubkey) {
    this.#node = node;
    this.#lsp = lsp;
    void (async () => {
      for await (const m of node.lnd.customMessages({
        signal: this.#stop.signal,
        onConnected: () => (this.#ready = true),
      })) {
        if (m.peer !== lsp || m.type !== LSPS0_MESSAGE_TYPE) continue;
        const answer = JSON.parse(new TextDecoder().decode(m.data)) as RpcAnswer & { id: string | null };
        if (answer.id) this.#waiting.get(answer.id)?.(answer);
        else this.unmatched.push(answer);
      }
    })().catch(() => {});
  }

  /** A client on `node` for `lsp`, once its custom message stream is up. */
  static async connect(h: Harness, node: LndNode, lsp: Pubkey): Promise<LspsPeerClient> {
    const client = new LspsPeerClient(node, lsp);
    await h.waitFor(() => client.ready, { what: `${node.name}'s custom message stream` });
    return client;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Sends one request and waits for its answer (or the deadline). */
  call<T = unknown>(method: string, params: object, timeoutMs = 30_000): Promise<RpcAnswer<T>> {
    return this.send(
      JSON.stringify({ jsonrpc: '2.0', method, params, id: randomBytes(12).toString('hex') }),
      timeoutMs,
    ) as Promise<RpcAnswer<T>>;
  }

  /** Sends raw text (which must carry an id to be matched) and waits for the answer. */
  send(text: string, timeoutMs = 30_000): Promise<RpcAnswer> {
    const id = (JSON.parse(text) as { id: string }).id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`no LSPS answer to ${text.slice(0, 80)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, (a) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(a);
      });
      this.#node.lnd
        .sendCustomMessage(
          { peer: this.#lsp, type: LSPS0_MESSAGE_TYPE, data: new TextEncoder().encode(text) },
          AbortSignal.timeout(10_000),
        )
        .catch(reject);
    });
  }

  close(): void {
    this.#stop.abort();
  }
}
