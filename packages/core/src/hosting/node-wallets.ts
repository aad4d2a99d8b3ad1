/**
 * Ports for the wallets and connections of hosted nodes: creating and unlocking a node's wallet
 * (its seed and password stay with the LSP, encrypted), and opening a `LightningBackend` to any
 * node, not only the LSP's own.
 */
import type { LightningBackend } from '../lightning/backend.ts';

/** Where a node's RPC is and the certificate it presents. */
export interface NodeAccess {
  readonly rpcAddress: string;
  /** PEM. */
  readonly tlsCert: string;
}

/**
 * A node's wallet as its RPC reports it: `starting` before lnd asks for the wallet's password
 * (it cannot be created or unlocked yet), `absent` (no wallet yet), `locked`, `unlocked` (its
 * RPC up, the rest of lnd still starting), `active`.
 */
export type NodeWalletState = 'absent' | 'locked' | 'unlocked' | 'active' | 'starting';

/** A wallet just created. */
export interface CreatedWallet {
  /** The aezeed mnemonic (24 words): shown once to the tenant, kept encrypted by the LSP. */
  readonly mnemonic: readonly string[];
  /** The admin macaroon (hex) of a stateless-init wallet: the only one; no file on disk. */
  readonly adminMacaroon: string;
}

/** Wallet creation and unlocking on a node (LND's WalletUnlocker and State services). */
export interface NodeWallets {
  state(access: NodeAccess, signal: AbortSignal): Promise<NodeWalletState>;
  /** Generates a seed and creates the wallet with `password`, stateless (no macaroon files). */
  create(access: NodeAccess, password: Uint8Array, signal: AbortSignal): Promise<CreatedWallet>;
  /** Unlocks a locked wallet. */
  unlock(access: NodeAccess, password: Uint8Array, signal: AbortSignal): Promise<void>;
}

/** Opens a `LightningBackend` to a node given its access and a macaroon (hex). */
export type LightningConnector = (access: NodeAccess, macaroonHex: string) => LightningBackend;
