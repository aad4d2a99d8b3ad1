/**
 * The node itself: who it is, signing, macaroons.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { MacaroonPermission, NodeInfo, VerifiedMessage } from '../types.ts';

/** The node itself: who it is, signing, macaroons. */
export interface NodePort {
  getInfo(signal: AbortSignal): Promise<NodeInfo>;

  /**
   * Signs `message` with the node key, as LND `SignMessage` (bLIP-50 `ln_signature`):
   * `zbase32(SigRec(SHA256(SHA256("Lightning Signed Message:" + message))))`.
   */
  signMessage(message: Uint8Array, signal: AbortSignal): Promise<string>;

  /** Verifies a {@link signMessage} signature and recovers the key that made it. */
  verifyMessage(message: Uint8Array, signature: string, signal: AbortSignal): Promise<VerifiedMessage>;

  /**
   * Bakes a macaroon with exactly these permissions; returns it as hex. `rootKeyId` (a positive
   * integer below 2^64) bakes it under that root key (created when the node has none by that
   * id), so it can be revoked alone with {@link deleteMacaroonId}; without it LND uses root key
   * 0, the one of the admin macaroon, which can never be deleted.
   */
  bakeMacaroon(
    permissions: readonly MacaroonPermission[],
    signal: AbortSignal,
    rootKeyId?: bigint,
  ): Promise<string>;

  /**
   * Deletes a macaroon root key (LND `DeleteMacaroonID`): every macaroon baked under it is
   * refused from the next call on. True when the node had it, false when it did not. LND
   * refuses root key 0.
   */
  deleteMacaroonId(rootKeyId: bigint, signal: AbortSignal): Promise<boolean>;
}
