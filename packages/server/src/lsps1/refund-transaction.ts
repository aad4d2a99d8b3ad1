/**
 * The transaction that gives an LSPS1 on-chain payment back (bLIP-51 3.3): every output the
 * order's address received, spent to the client's refund address, minus the transaction's fee
 * (51-57). It signals replaceability (BIP-125) so that a refund still unconfirmed after 6
 * hours can be replaced by one paying a higher fee (51-58): same inputs, smaller output.
 * Built here with `@scure/btc-signer`, signed by LND (`FinalizePsbt`).
 */
import {
  ErrorCode,
  type FeeRateBounds,
  LspError,
  type OnchainTransaction,
  type Outpoint,
  type Sat,
  sat,
} from '@blgv/core';
import { Address, OutScript, SigHash, Transaction } from '@scure/btc-signer';
import { networkOf } from './onchain-address.ts';

/** One output of the order's address, spent by the refund. */
export interface RefundInput {
  readonly outpoint: Outpoint;
  readonly amount: Sat;
  /** The order's address (the output's script). */
  readonly address: string;
}

/** Every output of `txs` paying `address`, with the confirmations of its transaction. */
export function outputsTo(
  txs: readonly OnchainTransaction[],
  address: string,
): (RefundInput & { readonly confirmations: number })[] {
  return txs.flatMap((tx) =>
    tx.outputs
      .filter((o) => o.address === address)
      .map((o) => ({
        outpoint: { txid: tx.txid, outputIndex: o.outputIndex },
        amount: o.amount,
        address,
        confirmations: tx.confirmations,
      })),
  );
}

/** An unsigned refund. */
export interface RefundPsbt {
  /** Base64 PSBT, ready for LND to sign. */
  readonly psbt: string;
  readonly feeRate: bigint;
  readonly fee: Sat;
  /** What the refund address receives. */
  readonly amount: Sat;
  /** The signed transaction's size, at most (72-byte signatures). */
  readonly vsize: number;
}

/** nSequence that signals BIP-125 replaceability. */
export const REPLACEABLE_SEQUENCE = 0xfffffffd;
/** The smallest output we send (the P2WSH/P2TR dust limit, the largest of the SegWit ones). */
export const REFUND_DUST_LIMIT = 330n;

/** Weight of spending one input of each kind of address the wallet gives out. */
const INPUT_WEIGHT: Readonly<Record<string, number>> = {
  // Outpoint, empty script, sequence: 41 bytes ×4; witness: count, 72-byte signature, 33-byte key.
  wpkh: 41 * 4 + 1 + 1 + 72 + 1 + 33,
  // Key path: count, 64-byte signature (SIGHASH_DEFAULT).
  tr: 41 * 4 + 1 + 1 + 64,
};
/** Version, locktime (×4) and the SegWit marker and flag. */
const TX_OVERHEAD_WEIGHT = (4 + 4) * 4 + 2;

/** Length of a Bitcoin CompactSize holding `n`. */
function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

/** The decoded output of a SegWit address. */
function decoded(address: string) {
  const network = networkOf(address);
  if (!network) throw new LspError(ErrorCode.InvalidInput, `not a SegWit address: ${address}`);
  return Address(network).decode(address);
}

function scriptOf(address: string): Uint8Array {
  return OutScript.encode(decoded(address));
}

function inputKind(address: string): string {
  return decoded(address).type;
}

/**
 * What a refund gives back to the LSP: when an order was overpaid by a receipt that also paid
 * for its channel, the refund spends that receipt and returns the part of it that paid
 * (`amount`) to an address of the LSP's wallet; the client's output gets the rest.
 */
export interface KeptOutput {
  readonly address: string;
  readonly amount: Sat;
}

/** The output script of `address`'s length in bytes, as an output's serialized size. */
function outputWeight(address: string): number {
  const script = scriptOf(address);
  return (8 + compactSizeLength(script.length) + script.length) * 4;
}

/**
 * The refund's virtual size once signed, at most: `inputs` spent to one output paying `to`,
 * and one to `kept` when given.
 */
export function refundVsize(inputs: readonly RefundInput[], to: string, kept?: string): number {
  const outputs = kept === undefined ? 1 : 2;
  let weight = TX_OVERHEAD_WEIGHT + (compactSizeLength(inputs.length) + compactSizeLength(outputs)) * 4;
  for (const input of inputs) {
    const w = INPUT_WEIGHT[inputKind(input.address)];
    if (w === undefined) throw new LspError(ErrorCode.InvalidInput, `cannot spend ${input.address}`);
    weight += w;
  }
  weight += outputWeight(to);
  if (kept !== undefined) weight += outputWeight(kept);
  return Math.ceil(weight / 4);
}

/** A P2TR output's size: amount, script length, 34-byte script. */
const P2TR_OUTPUT_VBYTES = 8 + 1 + 34;

/**
 * The least an overpayment must come to for its refund to be sent at `feeRate`: the fee of a
 * refund spending the overpaying receipt (paid to `receiptAddress`) to `to` and back to the
 * LSP (sized for a P2TR address, the larger the wallet gives out), plus the dust limit.
 * Below it, giving the overpayment back would cost more than it is worth.
 */
export function overpaymentFloor(feeRate: bigint, receiptAddress: string, to: string): bigint {
  const receipt: RefundInput = {
    outpoint: { txid: '0'.repeat(64) as Outpoint['txid'], outputIndex: 0 },
    amount: sat(0n),
    address: receiptAddress,
  };
  return feeRate * BigInt(refundVsize([receipt], to) + P2TR_OUTPUT_VBYTES) + REFUND_DUST_LIMIT;
}

/**
 * Builds the refund of `inputs` to `to` at `feeRate` (sat/vB), `kept` going back to the LSP.
 * Refuses (`insufficient_funds`) when what would be left for the client is below the dust
 * limit.
 */
export function refundPsbt(
  inputs: readonly RefundInput[],
  to: string,
  feeRate: bigint,
  kept?: KeptOutput,
): RefundPsbt {
  if (inputs.length === 0) throw new LspError(ErrorCode.InvalidInput, 'a refund needs inputs');
  if (kept && kept.amount < REFUND_DUST_LIMIT)
    throw new LspError(ErrorCode.InvalidInput, `an output of ${kept.amount} sat back to the LSP is dust`);
  const total = inputs.reduce((s, i) => s + i.amount, 0n) - (kept?.amount ?? 0n);
  const vsize = refundVsize(inputs, to, kept?.address);
  const fee = feeRate * BigInt(vsize);
  const amount = total - fee;
  if (amount < REFUND_DUST_LIMIT) {
    throw new LspError(
      ErrorCode.InsufficientFunds,
      `${total} sat cannot pay a ${fee} sat refund fee (${feeRate} sat/vB) and leave ${REFUND_DUST_LIMIT} sat`,
    );
  }
  const tx = new Transaction();
  for (const input of inputs) {
    const kind = inputKind(input.address);
    tx.addInput({
      txid: input.outpoint.txid,
      index: input.outpoint.outputIndex,
      witnessUtxo: { script: scriptOf(input.address), amount: input.amount },
      sequence: REPLACEABLE_SEQUENCE,
      // LND signs with the PSBT's sighash; v0 has no default.
      ...(kind === 'wpkh' ? { sighashType: SigHash.ALL } : {}),
    });
  }
  tx.addOutput({ script: scriptOf(to), amount });
  if (kept) tx.addOutput({ script: scriptOf(kept.address), amount: kept.amount });
  return {
    psbt: Buffer.from(tx.toPSBT()).toString('base64'),
    feeRate,
    fee: sat(fee),
    amount: sat(amount),
    vsize,
  };
}

/**
 * The fee rate of a bump replacing a refund paid at `previous`: the current estimate, but at
 * least a quarter (and 1 sat/vB, the relay increment BIP-125 asks of a same-size replacement)
 * above `previous`, within the LSP's bounds. `undefined` when the bounds leave no room above
 * `previous`.
 */
export function bumpedFeeRate(previous: bigint, estimate: bigint, bounds: FeeRateBounds): bigint | undefined {
  const quarter = (previous + 3n) / 4n;
  const step = previous + (quarter > 1n ? quarter : 1n);
  const wanted = estimate > step ? estimate : step;
  const max = BigInt(bounds.maxFeeRate);
  const rate = wanted > max ? max : wanted;
  return rate > previous ? rate : undefined;
}

/** The outpoints a signed transaction (hex) spends. */
export function spentOutpoints(rawTx: string): Outpoint[] {
  const tx = Transaction.fromRaw(Buffer.from(rawTx, 'hex'), { allowUnknownOutputs: true });
  const out: Outpoint[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    if (!input.txid || input.index === undefined) continue;
    out.push({ txid: Buffer.from(input.txid).toString('hex') as Outpoint['txid'], outputIndex: input.index });
  }
  return out;
}

/**
 * The output of a signed refund (hex) that goes back to the LSP: any output not paying the
 * client's `refundAddress` (a refund of an overpayment has one; others none).
 */
export function keptOutput(rawTx: string, refundAddress: string): KeptOutput | undefined {
  const network = networkOf(refundAddress);
  if (!network) return undefined;
  const tx = Transaction.fromRaw(Buffer.from(rawTx, 'hex'), { allowUnknownOutputs: true });
  const client = Buffer.from(scriptOf(refundAddress)).toString('hex');
  for (let i = 0; i < tx.outputsLength; i++) {
    const o = tx.getOutput(i);
    if (!o.script || o.amount === undefined) continue;
    if (Buffer.from(o.script).toString('hex') === client) continue;
    return { address: Address(network).encode(OutScript.decode(o.script)), amount: sat(o.amount) };
  }
  return undefined;
}
