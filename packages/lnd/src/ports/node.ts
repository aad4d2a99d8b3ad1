/**
 * The node itself: who it is, signing, macaroons.
 * The LND side of `NodePort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  type MacaroonPermission,
  type NodeInfo,
  type NodePort,
  parsePubkey,
  type VerifiedMessage,
} from '@blgv/core';
import { unary } from '../call.ts';
import type { LndClients } from '../connection.ts';
import { bakeMacaroon, deleteMacaroonId } from '../node-calls.ts';
import { signMessage, verifyMessage } from '../peer-messages.ts';

/** `NodePort` on LND. */
export function lndNode(c: LndClients): NodePort {
  return {
    async getInfo(signal: AbortSignal): Promise<NodeInfo> {
      const ln = c.lightning;
      const r = await unary('GetInfo', ln.GetInfo.bind(ln), {}, signal);
      return {
        pubkey: parsePubkey(r.identity_pubkey),
        alias: r.alias,
        color: r.color,
        blockHeight: r.block_height,
        blockHash: r.block_hash,
        syncedToChain: r.synced_to_chain,
        syncedToGraph: r.synced_to_graph,
        uris: r.uris,
        version: r.version,
        numActiveChannels: r.num_active_channels,
        numPendingChannels: r.num_pending_channels,
        numPeers: r.num_peers,
      };
    },

    signMessage(message: Uint8Array, signal: AbortSignal): Promise<string> {
      return signMessage(c, message, signal);
    },

    verifyMessage(message: Uint8Array, signature: string, signal: AbortSignal): Promise<VerifiedMessage> {
      return verifyMessage(c, message, signature, signal);
    },

    bakeMacaroon(
      permissions: readonly MacaroonPermission[],
      signal: AbortSignal,
      rootKeyId?: bigint,
    ): Promise<string> {
      return bakeMacaroon(c, permissions, signal, rootKeyId);
    },

    deleteMacaroonId(rootKeyId: bigint, signal: AbortSignal): Promise<boolean> {
      return deleteMacaroonId(c, rootKeyId, signal);
    },
  };
}
