/**
 * Funding channels through the PSBT flow, with the wallet outputs leased for it.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Hex32 } from '../../ids.ts';
import type {
  ChannelNegotiation,
  FundedPsbt,
  FundPsbtRequest,
  Outpoint,
  OutputLease,
  PsbtOpenRequest,
  SignedTransaction,
  WalletCoin,
} from '../types.ts';

/** Funding channels through the PSBT flow, with the wallet outputs leased for it. */
export interface FundingPort {
  /**
   * Starts negotiating a channel whose funding transaction the caller supplies and publishes
   * (`fundPsbt`, `verifyPsbtFunding`, `signPsbt`, `publishTransaction`). Until the caller
   * publishes, nothing reaches the chain.
   */
  negotiateChannel(request: PsbtOpenRequest): ChannelNegotiation;

  /** Builds an unsigned transaction paying `outputs` from the wallet, leasing its inputs. */
  fundPsbt(request: FundPsbtRequest, signal: AbortSignal): Promise<FundedPsbt>;

  /**
   * Gives a negotiation its funding transaction (unsigned). The peer is asked to sign our
   * commitment at once; the negotiation's `signed` resolves when it has.
   */
  verifyPsbtFunding(pendingChanId: Hex32, psbt: string, signal: AbortSignal): Promise<void>;

  /**
   * Cancels a negotiation that has not been given its transaction yet (the peer is told);
   * one the node no longer knows counts as cancelled.
   */
  cancelPsbtFunding(pendingChanId: Hex32, signal: AbortSignal): Promise<void>;

  /** Signs the wallet's inputs of a funded PSBT. */
  signPsbt(psbt: string, signal: AbortSignal): Promise<SignedTransaction>;

  /** Publishes a transaction; publishing one already in the mempool or mined succeeds. */
  publishTransaction(tx: SignedTransaction, label: string, signal: AbortSignal): Promise<void>;

  /** Every unspent output of the wallet, unconfirmed ones included (leased ones too). */
  listUnspent(signal: AbortSignal): Promise<WalletCoin[]>;

  /** Wallet outputs leased against other spends. */
  listLeases(signal: AbortSignal): Promise<OutputLease[]>;

  /** Ends a lease (releasing what is not leased succeeds). */
  releaseOutput(lockId: Hex32, outpoint: Outpoint, signal: AbortSignal): Promise<void>;

  /**
   * Leases (locks) a wallet output under `lockId` for `seconds`, so that no funding or send
   * of the node picks it; leasing again under the same id extends the lease. Unconfirmed
   * outputs can be leased too. Resolves with when the lease ends. Fails when the wallet does
   * not hold the output unspent (`unknown output`, e.g. its spend confirmed) or another id
   * holds it (`output already locked`).
   */
  leaseOutput(lockId: Hex32, outpoint: Outpoint, seconds: number, signal: AbortSignal): Promise<Date>;
}
