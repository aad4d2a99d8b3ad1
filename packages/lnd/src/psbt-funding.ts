/**
 * Channel opens whose funding transaction our code builds and publishes (LND's PSBT funding
 * flow with `no_publish`). LND negotiates each channel with its peer; we fund one transaction
 * for all of them, let every peer sign its commitment before anything is signed on our side
 * (`psbt_verify` with `skip_finalize`), and only then sign and publish. Until we publish, no
 * channel can exist: LND never broadcasts a `no_publish` funding transaction, and before we
 * sign it no one can.
 */
import {
  type ChannelNegotiation,
  type ChannelPoint,
  type FundedPsbt,
  type FundingOutput,
  type FundPsbtRequest,
  type Hex32,
  type Outpoint,
  type OutputLease,
  type PsbtOpenRequest,
  parseHex32,
  type SignedTransaction,
  sat,
  type WalletCoin,
} from '@blgv/core';
import type { OpenStatusUpdate__Output } from '../generated/types/lnrpc/OpenStatusUpdate.ts';
import { unary } from './call.ts';
import type { LndClients } from './connection.ts';
import { toLspError } from './errors.ts';
import { openChannelFields, txidFromBytes } from './mappers.ts';
import { psbtFacts } from './psbt.ts';

const hexBytes = (hex: string) => Buffer.from(hex, 'hex');

/** Starts negotiating a channel whose funding transaction we will supply. */
export function negotiateChannel(c: LndClients, request: PsbtOpenRequest): ChannelNegotiation {
  const accepted = Promise.withResolvers<FundingOutput>();
  const signed = Promise.withResolvers<ChannelPoint>();
  // Callers may await only one of them; an unawaited rejection must not crash the process.
  accepted.promise.catch(() => {});
  signed.promise.catch(() => {});
  const stream = c.lightning.OpenChannel({
    ...openChannelFields(request),
    funding_shim: { psbt_shim: { pending_chan_id: hexBytes(request.pendingChanId), no_publish: true } },
  });
  stream.on('data', (u: OpenStatusUpdate__Output) => {
    if (u.psbt_fund) {
      accepted.resolve({ address: u.psbt_fund.funding_address, amount: sat(u.psbt_fund.funding_amount) });
    } else if (u.chan_pending) {
      signed.resolve({ txid: txidFromBytes(u.chan_pending.txid), outputIndex: u.chan_pending.output_index });
      stream.cancel();
    }
  });
  stream.on('error', (err: Error) => {
    const e = toLspError(err, 'OpenChannel');
    accepted.reject(e);
    signed.reject(e);
  });
  stream.on('end', () => {
    const e = toLspError(new Error('the open channel stream ended'), 'OpenChannel');
    accepted.reject(e);
    signed.reject(e);
  });
  return {
    pendingChanId: request.pendingChanId,
    accepted: accepted.promise,
    signed: signed.promise,
    close: () => stream.cancel(),
  };
}

/** Funds `outputs` from the wallet at a fee rate, leasing the inputs under `lockId`. */
export async function fundPsbt(
  c: LndClients,
  request: FundPsbtRequest,
  signal: AbortSignal,
): Promise<FundedPsbt> {
  const wk = c.walletKit;
  const outputs: Record<string, string> = {};
  for (const o of request.outputs) outputs[o.address] = o.amount.toString();
  // Inputs the caller chose may be unconfirmed; without them the wallet picks confirmed ones.
  const inputs = request.inputs?.map((i) => ({ txid_str: i.txid, output_index: i.outputIndex }));
  const r = await unary(
    'FundPsbt',
    wk.FundPsbt.bind(wk),
    {
      raw: { outputs, ...(inputs ? { inputs } : {}) },
      sat_per_vbyte: request.satPerVbyte.toString(),
      ...(inputs ? { min_confs: 0, spend_unconfirmed: true } : { min_confs: 1 }),
      change_type: 'CHANGE_ADDRESS_TYPE_P2TR',
      custom_lock_id: hexBytes(request.lockId),
      lock_expiration_seconds: String(request.lockSeconds),
    },
    signal,
  );
  const facts = psbtFacts(new Uint8Array(r.funded_psbt));
  return {
    psbt: r.funded_psbt.toString('base64'),
    ...facts,
    lockedInputs: r.locked_utxos.map((l) => outpointFromLnd(l.outpoint)),
  };
}

/** Hands the funded PSBT to one negotiation; the peer is asked to sign at once. */
export async function verifyPsbtFunding(
  c: LndClients,
  pendingChanId: Hex32,
  psbt: string,
  signal: AbortSignal,
): Promise<void> {
  const ln = c.lightning;
  await unary(
    'FundingStateStep',
    ln.FundingStateStep.bind(ln),
    {
      psbt_verify: {
        pending_chan_id: hexBytes(pendingChanId),
        funded_psbt: Buffer.from(psbt, 'base64'),
        skip_finalize: true,
      },
    },
    signal,
  );
}

/** Cancels a negotiation LND still holds; one it no longer knows is already gone. */
export async function cancelPsbtFunding(
  c: LndClients,
  pendingChanId: Hex32,
  signal: AbortSignal,
): Promise<void> {
  const ln = c.lightning;
  try {
    await unary(
      'FundingStateStep',
      ln.FundingStateStep.bind(ln),
      { shim_cancel: { pending_chan_id: hexBytes(pendingChanId) } },
      signal,
    );
  } catch (err) {
    if (!/no funding intent|not found|unable to find/i.test(String((err as Error).message))) throw err;
  }
}

/** Signs the wallet's inputs of a funded PSBT and extracts the final transaction. */
export async function signPsbt(c: LndClients, psbt: string, signal: AbortSignal): Promise<SignedTransaction> {
  const wk = c.walletKit;
  const r = await unary(
    'FinalizePsbt',
    wk.FinalizePsbt.bind(wk),
    { funded_psbt: Buffer.from(psbt, 'base64') },
    signal,
  );
  const rawTx = r.raw_final_tx.toString('hex');
  return { txid: psbtFacts(new Uint8Array(r.signed_psbt)).txid, rawTx };
}

/**
 * Publishes a signed transaction. Publishing again what is already in the mempool or mined
 * succeeds, so a retry after a crash is harmless.
 */
export async function publishTransaction(
  c: LndClients,
  tx: SignedTransaction,
  label: string,
  signal: AbortSignal,
): Promise<void> {
  const wk = c.walletKit;
  const r = await unary(
    'PublishTransaction',
    wk.PublishTransaction.bind(wk),
    { tx_hex: hexBytes(tx.rawTx), label: label.slice(0, 500) },
    signal,
  );
  if (r.publish_error && !/already have|already in|txn-already|already exists/i.test(r.publish_error)) {
    throw toLspError(new Error(r.publish_error), 'PublishTransaction');
  }
}

/** Every unspent output of the wallet, unconfirmed ones included. */
export async function listUnspent(c: LndClients, signal: AbortSignal): Promise<WalletCoin[]> {
  const wk = c.walletKit;
  const r = await unary(
    'ListUnspent',
    wk.ListUnspent.bind(wk),
    { min_confs: 0, max_confs: 2_147_483_647 },
    signal,
  );
  return r.utxos.map((u) => ({
    outpoint: outpointFromLnd(u.outpoint),
    amount: sat(u.amount_sat),
    confirmations: Number(u.confirmations),
  }));
}

/** Every output the wallet holds leased. */
export async function listLeases(c: LndClients, signal: AbortSignal): Promise<OutputLease[]> {
  const wk = c.walletKit;
  const r = await unary('ListLeases', wk.ListLeases.bind(wk), {}, signal);
  return r.locked_utxos.map((l) => ({
    lockId: l.id.toString('hex'),
    outpoint: outpointFromLnd(l.outpoint),
    expiresAt: new Date(Number(l.expiration) * 1000),
  }));
}

/**
 * Leases a wallet output under `lockId` for `seconds` (again under the same id: extended).
 * btcwallet leases any output it holds unspent, unconfirmed ones included; it refuses one it
 * does not hold (`unknown output`) or one another id holds (`output already locked`).
 */
export async function leaseOutput(
  c: LndClients,
  lockId: Hex32,
  outpoint: Outpoint,
  seconds: number,
  signal: AbortSignal,
): Promise<Date> {
  const wk = c.walletKit;
  const r = await unary(
    'LeaseOutput',
    wk.LeaseOutput.bind(wk),
    {
      id: hexBytes(lockId),
      outpoint: { txid_str: outpoint.txid, output_index: outpoint.outputIndex },
      expiration_seconds: String(seconds),
    },
    signal,
  );
  return new Date(Number(r.expiration) * 1000);
}

/** Ends a lease; releasing what is not leased (any more) succeeds. */
export async function releaseOutput(
  c: LndClients,
  lockId: Hex32,
  outpoint: Outpoint,
  signal: AbortSignal,
): Promise<void> {
  const wk = c.walletKit;
  try {
    await unary(
      'ReleaseOutput',
      wk.ReleaseOutput.bind(wk),
      {
        id: hexBytes(lockId),
        outpoint: { txid_str: outpoint.txid, output_index: outpoint.outputIndex },
      },
      signal,
    );
  } catch (err) {
    if (!/not locked|unknown output|not found|output .* not/i.test(String((err as Error).message))) throw err;
  }
}

/** Forgets a pending channel whose funding transaction will never be published. */
export async function abandonChannel(c: LndClients, point: ChannelPoint, signal: AbortSignal): Promise<void> {
  const ln = c.lightning;
  await unary(
    'AbandonChannel',
    ln.AbandonChannel.bind(ln),
    {
      channel_point: { funding_txid_str: point.txid, output_index: point.outputIndex },
      i_know_what_i_am_doing: true,
    },
    signal,
  );
}

function outpointFromLnd(o: { txid_str: string; output_index: number } | null): Outpoint {
  if (!o) throw new Error('lease without an outpoint');
  return { txid: parseHex32(o.txid_str), outputIndex: o.output_index };
}
