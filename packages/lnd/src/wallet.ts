/**
 * The on-chain wallet calls of {@link lndBackend}: fee estimates, sending coins and listing
 * wallet transactions with their outputs.
 */
import {
  type Hex32,
  type OnchainTransaction,
  parseHex32,
  type Sat,
  type SendCoinsRequest,
  type SendFeeEstimate,
  sat,
} from '@blgv/core';
import type { Transaction__Output } from '../generated/types/lnrpc/Transaction.ts';
import { unary } from './call.ts';
import type { LndClients } from './connection.ts';

/** LND's `EstimateFee` for one output. */
export async function estimateSendFee(
  c: LndClients,
  request: { readonly address: string; readonly amount: Sat; readonly targetConf: number },
  signal: AbortSignal,
): Promise<SendFeeEstimate> {
  const ln = c.lightning;
  const r = await unary(
    'EstimateFee',
    ln.EstimateFee.bind(ln),
    { AddrToAmount: { [request.address]: request.amount.toString() }, target_conf: request.targetConf },
    signal,
  );
  return { fee: sat(r.fee_sat), satPerVbyte: BigInt(r.sat_per_vbyte) };
}

/** LND's `SendCoins`: an amount with the fee on top. */
export async function sendCoins(
  c: LndClients,
  request: SendCoinsRequest,
  signal: AbortSignal,
): Promise<{ txid: Hex32 }> {
  const ln = c.lightning;
  const r = await unary(
    'SendCoins',
    ln.SendCoins.bind(ln),
    {
      addr: request.address,
      ...(request.sendAll ? { send_all: true } : { amount: request.amount.toString() }),
      ...(request.satPerVbyte !== undefined ? { sat_per_vbyte: request.satPerVbyte.toString() } : {}),
      ...(request.targetConf !== undefined ? { target_conf: request.targetConf } : {}),
      ...(request.label ? { label: request.label } : {}),
    },
    signal,
  );
  return { txid: parseHex32(r.txid) };
}

/** LND's `GetTransactions` from `startHeight` to the tip, plus the mempool. */
export async function listOnchainTransactions(
  c: LndClients,
  query: { readonly startHeight: number },
  signal: AbortSignal,
): Promise<OnchainTransaction[]> {
  const ln = c.lightning;
  const r = await unary(
    'GetTransactions',
    ln.GetTransactions.bind(ln),
    { start_height: query.startHeight, end_height: -1 },
    signal,
  );
  return r.transactions.map(onchainTransactionFromLnd);
}

function onchainTransactionFromLnd(t: Transaction__Output): OnchainTransaction {
  return {
    txid: parseHex32(t.tx_hash),
    confirmations: t.num_confirmations,
    blockHeight: t.block_height,
    fee: sat(t.total_fees),
    label: t.label,
    outputs: t.output_details.map((o) => ({
      outputIndex: Number(o.output_index),
      address: o.address,
      amount: sat(o.amount),
      ours: o.is_our_address,
    })),
    inputs: t.previous_outpoints.flatMap((p) => {
      const [txid, index] = p.outpoint.split(':');
      return txid && /^\d+$/.test(index ?? '')
        ? [{ txid: parseHex32(txid), outputIndex: Number(index) }]
        : [];
    }),
  };
}
