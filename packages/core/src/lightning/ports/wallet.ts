/**
 * The on-chain wallet: addresses, balance, fee estimates, sending and its transactions.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Hex32 } from '../../ids.ts';
import type { Sat } from '../../money.ts';
import type {
  FeeEstimate,
  OnchainTransaction,
  SendCoinsRequest,
  SendFeeEstimate,
  WalletBalance,
} from '../types.ts';

/** The on-chain wallet: addresses, balance, fee estimates, sending and its transactions. */
export interface WalletPort {
  newAddress(signal: AbortSignal): Promise<string>;

  walletBalance(signal: AbortSignal): Promise<WalletBalance>;

  /** Fee rate for confirmation within `targetConf` blocks. */
  estimateFee(targetConf: number, signal: AbortSignal): Promise<FeeEstimate>;

  /** What paying `amount` to `address` from the wallet would cost now. */
  estimateSendFee(
    request: { readonly address: string; readonly amount: Sat; readonly targetConf: number },
    signal: AbortSignal,
  ): Promise<SendFeeEstimate>;

  /** Pays from the on-chain wallet and returns the txid once the transaction is published. */
  sendCoins(request: SendCoinsRequest, signal: AbortSignal): Promise<{ txid: Hex32 }>;

  /** Wallet transactions confirmed at or above `startHeight`, and unconfirmed ones. */
  listOnchainTransactions(
    query: { readonly startHeight: number },
    signal: AbortSignal,
  ): Promise<OnchainTransaction[]>;
}
