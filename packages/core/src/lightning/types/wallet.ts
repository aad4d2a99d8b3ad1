/** The on-chain wallet: the domain types its port speaks (no LND type). */
import type { Hex32 } from '../../ids.ts';
import type { Sat } from '../../money.ts';
import type { Outpoint } from './funding.ts';

/** On-chain wallet balance. */
export interface WalletBalance {
  /** Confirmed and spendable: leased outputs are left out. */
  readonly confirmed: Sat;
  readonly unconfirmed: Sat;
  /** Outputs leased against other spends (funding inputs, LSPS1 orders' receipts). */
  readonly locked: Sat;
  /** Confirmed funds held back for anchor channels, not spendable for new channels. */
  readonly reservedForAnchors: Sat;
}

/** An on-chain fee estimate. */
export interface FeeEstimate {
  readonly satPerVbyte: bigint;
  readonly targetConf: number;
}

/** One output of an on-chain wallet transaction. */
export interface OnchainOutput {
  readonly outputIndex: number;
  /** Empty when the script has no address form. */
  readonly address: string;
  readonly amount: Sat;
  /** Pays an address of our wallet. */
  readonly ours: boolean;
}

/** A transaction touching the node's on-chain wallet. */
export interface OnchainTransaction {
  readonly txid: Hex32;
  /** 0 while in the mempool. */
  readonly confirmations: number;
  /** 0 while unconfirmed. */
  readonly blockHeight: number;
  /** Fee we paid (0 for transactions others sent us). */
  readonly fee: Sat;
  /** The label given when we sent it (e.g. what it paid for). */
  readonly label: string;
  readonly outputs: readonly OnchainOutput[];
  /** The outpoints it spends. */
  readonly inputs: readonly Outpoint[];
}

/** An on-chain payment of `amount` to `address` from the node's wallet (the fee on top). */
export interface SendCoinsRequest {
  readonly address: string;
  readonly amount: Sat;
  /** Fee rate; LND picks one for `targetConf` when absent. */
  readonly satPerVbyte?: bigint;
  readonly targetConf?: number;
  /** Stored with the transaction, so a restart can find what it already sent. */
  readonly label?: string;
  /** Send the whole confirmed balance (`amount` is then ignored). */
  readonly sendAll?: boolean;
}

/** What sending `amount` to an address would cost now. */
export interface SendFeeEstimate {
  readonly fee: Sat;
  readonly satPerVbyte: bigint;
}
