/**
 * The calls of {@link lndBackend} about peers and the node key: who connects and disconnects
 * (`SubscribePeerEvents`, `DisconnectPeer`), what the graph knows of a node (`GetNodeInfo`),
 * the node's own announcement sent again (peersrpc `UpdateNodeAnnouncement`), and messages
 * signed with the node key (`SignMessage`, `VerifyMessage`: bLIP-50 `ln_signature`, used by
 * LSPS5 notifications).
 */
import {
  ErrorCode,
  LspError,
  type PeerEvent,
  type Pubkey,
  parsePubkey,
  type StreamOptions,
  type VerifiedMessage,
} from '@blgv/core';
import { unary } from './call.ts';
import type { LndClients } from './connection.ts';
import { resilientStream, type StreamHooks } from './streams.ts';

/** LND's `SubscribePeerEvents`, reconnecting. */
export function peerEvents(
  c: LndClients,
  options: StreamOptions,
  hooks: StreamHooks,
): AsyncIterable<PeerEvent> {
  const ln = c.lightning;
  return resilientStream(
    'SubscribePeerEvents',
    () => ln.SubscribePeerEvents({}),
    (e) => ({ pubkey: parsePubkey(e.pub_key), online: e.type === 'PEER_ONLINE' }),
    options,
    hooks,
  );
}

/** LND's `SignMessage` (double SHA-256 of the prefixed message): the zbase32 signature. */
export async function signMessage(c: LndClients, message: Uint8Array, signal: AbortSignal): Promise<string> {
  const ln = c.lightning;
  const r = await unary(
    'SignMessage',
    ln.SignMessage.bind(ln),
    { msg: Buffer.from(message), single_hash: false },
    signal,
  );
  return r.signature;
}

/** LND's `VerifyMessage`: valid or not, and the key the signature recovers to. */
export async function verifyMessage(
  c: LndClients,
  message: Uint8Array,
  signature: string,
  signal: AbortSignal,
): Promise<VerifiedMessage> {
  const ln = c.lightning;
  const r = await unary(
    'VerifyMessage',
    ln.VerifyMessage.bind(ln),
    { msg: Buffer.from(message), signature },
    signal,
  );
  return { valid: r.valid, pubkey: r.pubkey ? parsePubkey(r.pubkey) : undefined };
}

/** LND's `DisconnectPeer`; a peer that is not connected is already what was asked. */
export async function disconnectPeer(c: LndClients, pubkey: Pubkey, signal: AbortSignal): Promise<void> {
  const ln = c.lightning;
  try {
    await unary('DisconnectPeer', ln.DisconnectPeer.bind(ln), { pub_key: pubkey }, signal);
  } catch (err) {
    if (err instanceof LspError && /not connected/i.test(err.message)) return;
    throw err;
  }
}

/** LND's `GetNodeInfo` (without channels): the node's announced addresses, if it is known. */
export async function graphNode(
  c: LndClients,
  pubkey: Pubkey,
  signal: AbortSignal,
): Promise<{ readonly addresses: readonly string[] } | undefined> {
  const ln = c.lightning;
  try {
    const r = await unary(
      'GetNodeInfo',
      ln.GetNodeInfo.bind(ln),
      { pub_key: pubkey, include_channels: false },
      signal,
    );
    return { addresses: (r.node?.addresses ?? []).map((a) => a.addr) };
  } catch (err) {
    if (err instanceof LspError && /unable to find node/i.test(err.message)) return undefined;
    throw err;
  }
}

/**
 * Re-signs the node's announcement as it is, with a fresh timestamp, and sends it to every
 * connected peer: peersrpc's `UpdateNodeAnnouncement` (which LND broadcasts to all peers
 * directly, past their gossip filters). LND refuses an update that changes nothing, and an
 * alias equal to the current one does not count as a change; adding an address the node
 * already announces does (the address list stays the same), so that is what is sent.
 */
export async function reannounce(c: LndClients, signal: AbortSignal): Promise<void> {
  const ln = c.lightning;
  const info = await unary('GetInfo', ln.GetInfo.bind(ln), {}, signal);
  // GetInfo's uris are the announcement's addresses, as `pubkey@host:port`.
  const address = info.uris[0]?.slice(info.uris[0].indexOf('@') + 1);
  if (!address) {
    throw new LspError(
      ErrorCode.LightningRejected,
      'the node announces no address: nothing to announce again',
    );
  }
  const peers = c.peers;
  await unary(
    'UpdateNodeAnnouncement',
    peers.UpdateNodeAnnouncement.bind(peers),
    { address_updates: [{ action: 'ADD', address }] },
    signal,
  );
}
