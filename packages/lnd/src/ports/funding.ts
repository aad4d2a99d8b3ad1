/**
 * Funding channels through the PSBT flow, with the wallet outputs leased for it.
 * The LND side of `FundingPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import type {
  ChannelNegotiation,
  FundedPsbt,
  FundingPort,
  FundPsbtRequest,
  Hex32,
  Outpoint,
  OutputLease,
  PsbtOpenRequest,
  SignedTransaction,
  WalletCoin,
} from '@blgv/core';
import type { LndClients } from '../connection.ts';
import {
  cancelPsbtFunding,
  fundPsbt,
  leaseOutput,
  listLeases,
  listUnspent,
  negotiateChannel,
  publishTransaction,
  releaseOutput,
  signPsbt,
  verifyPsbtFunding,
} from '../psbt-funding.ts';

/** `FundingPort` on LND. */
export function lndFunding(c: LndClients): FundingPort {
  return {
    negotiateChannel(request: PsbtOpenRequest): ChannelNegotiation {
      return negotiateChannel(c, request);
    },

    fundPsbt(request: FundPsbtRequest, signal: AbortSignal): Promise<FundedPsbt> {
      return fundPsbt(c, request, signal);
    },

    verifyPsbtFunding(pendingChanId: Hex32, psbt: string, signal: AbortSignal): Promise<void> {
      return verifyPsbtFunding(c, pendingChanId, psbt, signal);
    },

    cancelPsbtFunding(pendingChanId: Hex32, signal: AbortSignal): Promise<void> {
      return cancelPsbtFunding(c, pendingChanId, signal);
    },

    signPsbt(psbt: string, signal: AbortSignal): Promise<SignedTransaction> {
      return signPsbt(c, psbt, signal);
    },

    publishTransaction(tx: SignedTransaction, label: string, signal: AbortSignal): Promise<void> {
      return publishTransaction(c, tx, label, signal);
    },

    listUnspent(signal: AbortSignal): Promise<WalletCoin[]> {
      return listUnspent(c, signal);
    },

    listLeases(signal: AbortSignal): Promise<OutputLease[]> {
      return listLeases(c, signal);
    },

    releaseOutput(lockId: Hex32, outpoint: Outpoint, signal: AbortSignal): Promise<void> {
      return releaseOutput(c, lockId, outpoint, signal);
    },

    leaseOutput(lockId: Hex32, outpoint: Outpoint, seconds: number, signal: AbortSignal): Promise<Date> {
      return leaseOutput(c, lockId, outpoint, seconds, signal);
    },
  };
}
