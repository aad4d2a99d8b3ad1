/**
 * Reading the PSBTs LND's wallet funds: the txid, the fee (inputs minus outputs) and the
 * virtual size the transaction will have once its inputs are signed.
 */
import { parseHex32, type Sat, sat } from '@blgv/core';
import { OutScript, Transaction } from '@scure/btc-signer';

/** Witness weight of one signed input, by the script it spends (LND's wallet is all segwit). */
const WITNESS_WEIGHT: Readonly<Record<string, number>> = {
  // items count + (len + 72-byte signature) + (len + 33-byte key)
  wpkh: 1 + 73 + 34,
  // items count + (len + 64-byte Schnorr signature)
  tr: 1 + 65,
};

/** The facts of an unsigned, funded PSBT. */
export interface PsbtFacts {
  readonly txid: ReturnType<typeof parseHex32>;
  readonly fee: Sat;
  readonly vsize: number;
}

/** Reads a PSBT (base64 or bytes); throws when an input is not native segwit. */
export function psbtFacts(psbt: Uint8Array): PsbtFacts {
  const tx = Transaction.fromPSBT(psbt);
  let witness = 2; // segwit marker and flag
  let base = 4 + 4 + varintSize(tx.inputsLength) + varintSize(tx.outputsLength);
  for (let i = 0; i < tx.inputsLength; i++) {
    const script = tx.getInput(i).witnessUtxo?.script;
    const type = script ? OutScript.decode(script).type : 'unknown';
    const weight = WITNESS_WEIGHT[type];
    if (weight === undefined) throw new Error(`funding input ${i} is not native segwit (${type})`);
    witness += weight;
    base += 32 + 4 + 1 + 4;
  }
  for (let i = 0; i < tx.outputsLength; i++) {
    const len = tx.getOutput(i).script?.length ?? 0;
    base += 8 + varintSize(len) + len;
  }
  return { txid: parseHex32(tx.id), fee: sat(tx.fee), vsize: Math.ceil((base * 4 + witness) / 4) };
}

function varintSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}
