/** Funding channels through the PSBT flow: the domain types its port speaks (no LND type). */
import type { Hex32 } from '../../ids.ts';
import type { Sat } from '../../money.ts';
import type { ChannelPoint, OpenChannelRequest } from './channels.ts';

/**
 * A channel negotiated under a PSBT funding shim that never publishes: the caller builds the
 * funding transaction, and nothing reaches the chain until the caller publishes it. The open
 * message carries no fee rate (the caller's transaction sets it).
 */
export type PsbtOpenRequest = Omit<OpenChannelRequest, 'satPerVbyte' | 'targetConf'> & {
  /** 32 random bytes naming this negotiation in every later step. */
  readonly pendingChanId: Hex32;
};

/** The output a funding transaction must carry for one negotiated channel. */
export interface FundingOutput {
  readonly address: string;
  readonly amount: Sat;
}

/**
 * One channel negotiation in progress. Both promises reject when the peer refuses or goes away
 * (or LND cancels the flow); nothing is funded before the caller supplies the transaction.
 */
export interface ChannelNegotiation {
  readonly pendingChanId: Hex32;
  /** The peer accepted the channel (`accept_channel`): the output to fund. */
  readonly accepted: Promise<FundingOutput>;
  /**
   * The peer signed our commitment (`funding_signed`; LND reports the channel pending): the
   * channel exists as soon as its funding transaction is published, and never before.
   */
  readonly signed: Promise<ChannelPoint>;
  /** Stops listening (does not cancel the negotiation: see `cancelPsbtFunding`). */
  close(): void;
}

/** What to fund: outputs at a fee rate, from wallet inputs leased under `lockId`. */
export interface FundPsbtRequest {
  readonly outputs: readonly FundingOutput[];
  readonly satPerVbyte: bigint;
  /** 32 bytes: every input chosen is leased under this id (so a restart can release them). */
  readonly lockId: Hex32;
  /** How long the inputs stay leased unless released. */
  readonly lockSeconds: number;
  /**
   * The inputs to spend, chosen by the caller (unconfirmed ones allowed; the wallet adds
   * change). Without them the wallet chooses among its confirmed outputs.
   */
  readonly inputs?: readonly Outpoint[];
}

/** An unspent output of the node's wallet. */
export interface WalletCoin {
  readonly outpoint: Outpoint;
  readonly amount: Sat;
  /** 0 while its transaction is unconfirmed. */
  readonly confirmations: number;
}

/** An unsigned funding transaction built from the node's wallet. */
export interface FundedPsbt {
  /** The PSBT, base64. */
  readonly psbt: string;
  /** Its txid (final: every input is segwit). */
  readonly txid: Hex32;
  /** Inputs minus outputs: what the transaction pays the miners. */
  readonly fee: Sat;
  /** Virtual size once signed (estimated from the input types). */
  readonly vsize: number;
  /** The wallet outputs leased for it. */
  readonly lockedInputs: readonly Outpoint[];
}

/** A signed transaction ready to publish. */
export interface SignedTransaction {
  readonly txid: Hex32;
  /** The raw transaction, hex. */
  readonly rawTx: string;
}

/** A wallet output leased (locked) against being spent by anything else. */
export interface OutputLease {
  /** The lease id, hex. */
  readonly lockId: string;
  readonly outpoint: Outpoint;
  readonly expiresAt: Date;
}

/** An outpoint of the wallet. */
export interface Outpoint {
  readonly txid: Hex32;
  readonly outputIndex: number;
}
