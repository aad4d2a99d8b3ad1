/**
 * The calls of {@link LndBackend} about peers and the node key: who connects and disconnects
 * (`SubscribePeerEvents`), and messages signed with the node key (`SignMessage`,
 * `VerifyMessage`: bLIP-50 `ln_signature`, used by LSPS5 notifications).
 */
import { type PeerEvent, parsePubkey, type StreamOptions, type VerifiedMessage } from '@blgv/core';
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
