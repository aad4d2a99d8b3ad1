/**
 * Peers and the custom messages exchanged with them (LSPS0 rides on these).
 * The LND side of `PeersPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  type CustomMessage,
  ErrorCode,
  LspError,
  type Peer,
  type PeerEvent,
  type PeersPort,
  type Pubkey,
  parsePubkey,
  type StreamOptions,
} from '@blgv/core';
import { unary } from '../call.ts';
import type { LndClients } from '../connection.ts';
import { disconnectPeer, peerEvents } from '../peer-messages.ts';
import { resilientStream, type StreamHooks } from '../streams.ts';

const PEER_CONNECT_TIMEOUT_S = 15;
/** Why a peer could not be dialled, as a code (LND's words vary by version and OS). */
export type DialFailure =
  | 'connection_refused'
  | 'timeout'
  | 'unresolvable_host'
  | 'unreachable'
  | 'handshake_failed'
  | 'invalid_address'
  | 'connect_failed';

/** Codes of ConnectPeer errors that mean LND could not dial the peer. */
const DIAL_ERROR_CODES: readonly ErrorCode[] = [
  ErrorCode.PeerUnreachable,
  ErrorCode.LightningRejected,
  ErrorCode.Timeout,
];

/** The {@link DialFailure} an LND ConnectPeer error names. */
export function dialFailure(message: string): DialFailure {
  if (/connection refused/i.test(message)) return 'connection_refused';
  if (/i\/o timeout|timed out|deadline exceeded|timeout/i.test(message)) return 'timeout';
  if (/no such host|lookup .* on|server misbehaving/i.test(message)) return 'unresolvable_host';
  if (/network is unreachable|no route to host|host is down/i.test(message)) return 'unreachable';
  if (/handshake|brontide|act (one|two|three)|noise|eof/i.test(message)) return 'handshake_failed';
  if (/missing port|invalid (address|host)|unable to parse|too many colons/i.test(message))
    return 'invalid_address';
  return 'connect_failed';
}

/** `PeersPort` on LND. */
export function lndPeers(c: LndClients, hooks: StreamHooks): PeersPort {
  return {
    async connectPeer(pubkey: Pubkey, host: string, signal: AbortSignal): Promise<void> {
      const ln = c.lightning;
      try {
        await unary(
          'ConnectPeer',
          ln.ConnectPeer.bind(ln),
          { addr: { pubkey, host }, perm: false, timeout: String(PEER_CONNECT_TIMEOUT_S) },
          signal,
        );
      } catch (err) {
        if (err instanceof LspError && /already connected/i.test(err.message)) return;
        // LND answered that it could not dial (or its own dial timed out); anything else is ours.
        if (!(err instanceof LspError) || !DIAL_ERROR_CODES.includes(err.code)) throw err;
        const reason = dialFailure(err.message);
        throw new LspError(
          ErrorCode.PeerUnreachable,
          `cannot connect to the peer: ${reason}`,
          { reason },
          { cause: err },
        );
      }
    },

    async listPeers(signal: AbortSignal): Promise<Peer[]> {
      const ln = c.lightning;
      const r = await unary('ListPeers', ln.ListPeers.bind(ln), {}, signal);
      return r.peers.map((p) => ({ pubkey: parsePubkey(p.pub_key), address: p.address, inbound: p.inbound }));
    },

    disconnectPeer(pubkey: Pubkey, signal: AbortSignal): Promise<void> {
      return disconnectPeer(c, pubkey, signal);
    },

    peerEvents(options: StreamOptions): AsyncIterable<PeerEvent> {
      return peerEvents(c, options, hooks);
    },

    async sendCustomMessage(message: CustomMessage, signal: AbortSignal): Promise<void> {
      const ln = c.lightning;
      await unary(
        'SendCustomMessage',
        ln.SendCustomMessage.bind(ln),
        { peer: Buffer.from(message.peer, 'hex'), type: message.type, data: Buffer.from(message.data) },
        signal,
      );
    },

    customMessages(options: StreamOptions): AsyncIterable<CustomMessage> {
      const ln = c.lightning;
      return resilientStream(
        'SubscribeCustomMessages',
        () => ln.SubscribeCustomMessages({}),
        (m) => ({ peer: parsePubkey(m.peer.toString('hex')), type: m.type, data: new Uint8Array(m.data) }),
        options,
        hooks,
      );
    },
  };
}
