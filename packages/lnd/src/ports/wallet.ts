/**
 * The on-chain wallet: addresses, balance, fee estimates, sending and its transactions.
 * The LND side of `WalletPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  type FeeEstimate,
  type Hex32,
  type OnchainTransaction,
  type Sat,
  type SendCoinsRequest,
  type SendFeeEstimate,
  sat,
  type WalletBalance,
  type WalletPort,
} from '@blgv/core';
import { unary } from '../call.ts';
import type { LndClients } from '../connection.ts';
import { estimateSendFee, listOnchainTransactions, sendCoins } from '../wallet.ts';

/** `WalletPort` on LND. */
export function lndWallet(c: LndClients): WalletPort {
  return {
    async newAddress(signal: AbortSignal): Promise<string> {
      const ln = c.lightning;
      const r = await unary('NewAddress', ln.NewAddress.bind(ln), { type: 'WITNESS_PUBKEY_HASH' }, signal);
      return r.address;
    },

    async walletBalance(signal: AbortSignal): Promise<WalletBalance> {
      const ln = c.lightning;
      const r = await unary('WalletBalance', ln.WalletBalance.bind(ln), {}, signal);
      return {
        confirmed: sat(r.confirmed_balance),
        unconfirmed: sat(r.unconfirmed_balance),
        locked: sat(r.locked_balance),
        reservedForAnchors: sat(r.reserved_balance_anchor_chan),
      };
    },

    async estimateFee(targetConf: number, signal: AbortSignal): Promise<FeeEstimate> {
      const wk = c.walletKit;
      const r = await unary('EstimateFee', wk.EstimateFee.bind(wk), { conf_target: targetConf }, signal);
      // sat/kw -> sat/vB: one vbyte is four weight units; round up so we never under-pay.
      const satPerVbyte = (BigInt(r.sat_per_kw) * 4n + 999n) / 1000n;
      return { satPerVbyte, targetConf };
    },

    estimateSendFee(
      request: { readonly address: string; readonly amount: Sat; readonly targetConf: number },
      signal: AbortSignal,
    ): Promise<SendFeeEstimate> {
      return estimateSendFee(c, request, signal);
    },

    sendCoins(request: SendCoinsRequest, signal: AbortSignal): Promise<{ txid: Hex32 }> {
      return sendCoins(c, request, signal);
    },

    listOnchainTransactions(
      query: { readonly startHeight: number },
      signal: AbortSignal,
    ): Promise<OnchainTransaction[]> {
      return listOnchainTransactions(c, query, signal);
    },
  };
}
