/**
 * The two ways a client reaches the LSP's LSPS methods, side by side: peer messages of type
 * 37913 from a client LND node (bLIP-50), and signed `POST /lsps` over HTTP. A conformance test
 * sends the same payload both ways and checks both answers.
 */
import { randomBytes } from 'node:crypto';
import type { Pubkey } from '@blgv/core';
import { LSPS0_MESSAGE_TYPE, signRequest } from '@blgv/protocol';
import type { LndNode } from '@blgv/regtest';
import { within } from '@blgv/testkit';

/** A JSON-RPC answer as the client sees it. */
export interface Answer {
  readonly jsonrpc?: string;
  readonly id?: string | number | null;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** One transport. */
export interface Transport {
  readonly name: 'peer messages' | 'HTTP';
  /** Sends a raw payload that must be answered; resolves with the answer. */
  send(payload: string | Uint8Array): Promise<Answer>;
  /**
   * Sends a notification (a request without id); resolves when it is delivered (over HTTP: true
   * when the answer was 204 with no body).
   */
  notify(payload: string): Promise<boolean>;
  /** Answers that came with no request waiting for them (there should be none). */
  readonly unclaimed: readonly Answer[];
  /** Calls a method with named params; over HTTP `http` params are added (the client node). */
  call(method: string, params: Record<string, unknown>): Promise<Answer>;
}

/** Both transports of one client: `node` over peer messages, a tenant key over HTTP. */
export async function lspsTransports(options: {
  node: LndNode;
  lsp: Pubkey;
  url: string;
  key: { keyId: string; secret: string };
  signal: AbortSignal;
}): Promise<[Transport, Transport]> {
  return [await peerTransport(options), httpTransport(options)];
}

/**
 * Over peer messages: answers are read from the node's custom message stream; a payload whose
 * answer cannot carry its id (a parse error) is matched to the next answer with id null.
 */
async function peerTransport(options: {
  node: LndNode;
  lsp: Pubkey;
  signal: AbortSignal;
}): Promise<Transport> {
  const { node, lsp } = options;
  /** Requests waiting, oldest first: an answer goes to the one with its id, or (id null) the oldest. */
  const waiting: { readonly id: string | undefined; readonly resolve: (a: Answer) => void }[] = [];
  const unclaimed: Answer[] = [];
  const connected = Promise.withResolvers<void>();
  void (async () => {
    for await (const m of node.lnd.customMessages({
      signal: options.signal,
      onConnected: () => connected.resolve(),
    })) {
      if (m.peer !== lsp || m.type !== LSPS0_MESSAGE_TYPE) continue;
      const answer = JSON.parse(new TextDecoder().decode(m.data)) as Answer;
      const key = answer.id === null || answer.id === undefined ? undefined : String(answer.id);
      const at = key === undefined ? (waiting.length > 0 ? 0 : -1) : waiting.findIndex((w) => w.id === key);
      const [waiter] = at >= 0 ? waiting.splice(at, 1) : [];
      if (waiter) waiter.resolve(answer);
      else unclaimed.push(answer);
    }
  })().catch(() => {});
  await connected.promise;

  const deliver = (payload: string | Uint8Array) =>
    node.lnd.sendCustomMessage(
      {
        peer: lsp,
        type: LSPS0_MESSAGE_TYPE,
        data: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
      },
      within(10_000),
    );
  const send = (payload: string | Uint8Array, id?: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      waiting.push({ id, resolve });
      deliver(payload).catch(reject);
    });
  return {
    name: 'peer messages',
    unclaimed,
    send: (payload) => send(payload, idOf(payload)),
    notify: async (payload) => {
      await deliver(payload);
      return true;
    },
    call: (method, params) => {
      const id = randomBytes(12).toString('hex');
      return send(JSON.stringify({ jsonrpc: '2.0', method, params, id }), id);
    },
  };
}

/** Over signed HTTP. `client_node_pubkey` names the client node where a method needs one. */
function httpTransport(options: {
  node: LndNode;
  url: string;
  key: { keyId: string; secret: string };
}): Transport {
  const post = async (
    body: Uint8Array | string,
    contentType = 'application/json',
  ): Promise<Answer | undefined> => {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const headers = signRequest({
      keyId: options.key.keyId,
      secret: options.key.secret,
      method: 'POST',
      path: '/lsps',
      body: bytes,
    });
    const res = await fetch(`${options.url}/lsps`, {
      method: 'POST',
      headers: { ...headers, 'content-type': contentType },
      body: bytes,
    });
    if (res.status === 204) return undefined;
    if (res.status !== 200) throw new Error(`POST /lsps answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Answer;
  };
  const answered = async (payload: Uint8Array | string) => {
    const a = await post(payload);
    if (!a) throw new Error('POST /lsps answered 204 to a request that needs an answer');
    return a;
  };
  return {
    name: 'HTTP',
    unclaimed: [],
    send: (payload) => answered(payload),
    notify: async (payload) => (await post(payload)) === undefined,
    call: async (method, params) => {
      const id = randomBytes(12).toString('hex');
      const needsNode =
        method === 'lsps1.create_order' || method === 'lsps2.buy' || method.startsWith('lsps5.');
      const named =
        needsNode && !('client_node_pubkey' in params)
          ? { ...params, client_node_pubkey: options.node.pubkey }
          : params;
      return answered(JSON.stringify({ jsonrpc: '2.0', method, params: named, id }));
    },
  };
}

/** The string id of a request payload, when it has one. */
function idOf(payload: string | Uint8Array): string | undefined {
  try {
    const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    const v = JSON.parse(text) as { id?: unknown; method?: unknown };
    return typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      v.method !== undefined &&
      v.id !== undefined &&
      v.id !== null
      ? String(v.id)
      : undefined;
  } catch {
    return undefined;
  }
}
