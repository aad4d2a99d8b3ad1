/**
 * LSPS0 over Lightning peer messages (type 37913): reads requests from LND's custom message
 * stream and answers each peer over the same channel. One peer is bounded in message size,
 * request rate and requests in flight, so no peer can make the LSP do unbounded work.
 */
import type { PeersPort, Pubkey } from '@blgv/core';
import {
  isJsonRpcResponse,
  type JsonRpcResponse,
  LSPS0_MAX_MESSAGE_BYTES,
  LSPS0_MESSAGE_TYPE,
  Lsps0Error,
} from '@blgv/protocol';
import type { Logger } from 'pino';
import type { LspsRouter } from './lsps-router.ts';
import { DEFAULT_PEER_BOUNDS, type PeerBounds, PeerBuckets } from './peer-buckets.ts';

/**
 * Serves LSPS over peer messages until `signal` aborts. `servers` are the LSPs this node is a
 * client of (the upstream): their responses are answers to our own requests, read elsewhere;
 * a response from anyone else is a bad message format (bLIP-50) and gets a parse error.
 */
export async function servePeerMessages(
  deps: {
    lightning: Pick<PeersPort, 'customMessages' | 'sendCustomMessage'>;
    router: LspsRouter;
    log: Logger;
    bounds?: PeerBounds;
    servers?: ReadonlySet<string>;
    /** Told each time the node's message stream is (re)established: messages reach us from then. */
    onListening?: () => void;
  },
  signal: AbortSignal,
): Promise<void> {
  const { lightning, router, log } = deps;
  const peers = new PeerBuckets(deps.bounds ?? DEFAULT_PEER_BOUNDS);

  const reply = (peer: Pubkey, response: JsonRpcResponse) => {
    const data = new TextEncoder().encode(JSON.stringify(response));
    lightning
      .sendCustomMessage({ peer, type: LSPS0_MESSAGE_TYPE, data }, AbortSignal.timeout(10_000))
      .catch((err: unknown) => {
        log.warn({ peer, err: String(err) }, 'could not answer a peer');
      });
  };
  const refuse = (peer: Pubkey, message: string) =>
    reply(peer, {
      jsonrpc: '2.0',
      id: null,
      error: { code: Lsps0Error.ClientRejected, message: 'Client rejected', data: { message } },
    });

  try {
    const stream = lightning.customMessages({
      signal,
      ...(deps.onListening ? { onConnected: deps.onListening } : {}),
    });
    for await (const msg of stream) {
      if (msg.type !== LSPS0_MESSAGE_TYPE) continue;
      if (msg.data.length > LSPS0_MAX_MESSAGE_BYTES) {
        refuse(msg.peer, `message larger than ${LSPS0_MAX_MESSAGE_BYTES} bytes`);
        continue;
      }
      const turn = peers.take(msg.peer, Date.now());
      if (!turn) {
        log.warn({ peer: msg.peer }, 'peer over its request bounds');
        refuse(msg.peer, 'too many requests; slow down');
        continue;
      }
      if (deps.servers?.has(msg.peer) && isJsonRpcResponse(new TextDecoder().decode(msg.data))) {
        // An answer to a request we made as a client (to our upstream LSP): not ours to serve.
        turn.refund();
        continue;
      }
      void router
        .handle({ kind: 'node', pubkey: msg.peer }, msg.data)
        .then((response) => {
          if (response) reply(msg.peer, response);
        })
        .finally(turn.done);
    }
  } catch (err) {
    if (!signal.aborted) log.error({ err }, 'LSPS peer transport stopped');
  }
}
