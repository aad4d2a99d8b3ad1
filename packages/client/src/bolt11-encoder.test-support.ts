/**
 * Test support: writes and signs BOLT 11 invoices, so the decoder and the wrapped-invoice check
 * are tested on invoices of any shape (and on the BOLT 11 examples, re-encoded byte for byte).
 * Not part of the published SDK.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32, hex } from '@scure/base';
import type { Bolt11Network } from './bolt11.ts';
import { FIELD, wordsToBytes } from './bolt11-fields.ts';
import type { RouteHintHop } from './lsps2.ts';

/** One tagged field, written in the order given. `raw` writes any type and words as they are. */
export type FieldSpec =
  | readonly ['p' | 's' | 'h' | 'n' | 'm', string]
  | readonly ['d', string]
  | readonly ['x' | 'c', number]
  | readonly ['r', readonly RouteHintHop[]]
  | readonly ['9', readonly number[]]
  | readonly ['raw', number, readonly number[]];

/** What to encode; `network` defaults to regtest; `hrp` replaces the whole prefix as given. */
export interface InvoiceSpec {
  readonly hrp?: string;
  readonly network?: Bolt11Network;
  readonly amountMsat?: bigint;
  readonly timestamp: number;
  readonly fields: readonly FieldSpec[];
  readonly privateKey: Uint8Array;
}

const CURRENCY: Readonly<Record<Bolt11Network, string>> = {
  bitcoin: 'bc',
  testnet: 'tb',
  signet: 'tbs',
  regtest: 'bcrt',
  simnet: 'sb',
};

/** The shortest amount text: pico-bitcoin with the largest multiplier that divides it. */
function amountText(msat: bigint): string {
  const pico = msat * 10n;
  for (const [suffix, factor] of [
    ['', 1_000_000_000_000n],
    ['m', 1_000_000_000n],
    ['u', 1_000_000n],
    ['n', 1_000n],
  ] as const)
    if (pico % factor === 0n) return `${pico / factor}${suffix}`;
  return `${pico}p`;
}

/** A number as minimal big-endian 5-bit words. */
export function numberWords(value: number | bigint, minWords = 0): number[] {
  const words: number[] = [];
  for (let v = BigInt(value); v > 0n; v >>= 5n) words.unshift(Number(v & 31n));
  while (words.length < minWords) words.unshift(0);
  return words;
}

function featureWords(bits: readonly number[]): number[] {
  let value = 0n;
  for (const bit of bits) value |= 1n << BigInt(bit);
  return numberWords(value);
}

function routeWords(hops: readonly RouteHintHop[]): number[] {
  const bytes = new Uint8Array(hops.length * 51);
  const view = new DataView(bytes.buffer);
  hops.forEach((hop, i) => {
    bytes.set(hex.decode(hop.nodeId), i * 51);
    view.setBigUint64(i * 51 + 33, hop.chanId);
    view.setUint32(i * 51 + 41, hop.feeBaseMsat);
    view.setUint32(i * 51 + 45, hop.feeProportionalMillionths);
    view.setUint16(i * 51 + 49, hop.cltvExpiryDelta);
  });
  return bech32.toWords(bytes);
}

function fieldWords(field: FieldSpec): [number, number[]] {
  switch (field[0]) {
    case 'raw':
      return [field[1], [...field[2]]];
    case 'd':
      return [FIELD.d, bech32.toWords(new TextEncoder().encode(field[1]))];
    case 'x':
    case 'c':
      return [FIELD[field[0]], numberWords(field[1])];
    case 'r':
      return [FIELD.r, routeWords(field[1])];
    case '9':
      return [FIELD.features, featureWords(field[1])];
    default:
      return [FIELD[field[0]], bech32.toWords(hex.decode(field[1]))];
  }
}

/** Encodes and signs an invoice (RFC 6979 signatures, low-S, as the BOLT 11 examples). */
export function encodeBolt11(spec: InvoiceSpec): string {
  const prefix =
    spec.hrp ??
    `ln${CURRENCY[spec.network ?? 'regtest']}${spec.amountMsat === undefined ? '' : amountText(spec.amountMsat)}`;
  const words = numberWords(spec.timestamp, 7);
  for (const field of spec.fields) {
    const [type, data] = fieldWords(field);
    if (data.length > 1023) throw new RangeError(`field ${field[0]} is ${data.length} words, over 1023`);
    words.push(type, data.length >> 5, data.length & 31, ...data);
  }
  const digest = sha256(new Uint8Array([...new TextEncoder().encode(prefix), ...wordsToBytes(words, true)]));
  const recovered = secp256k1.sign(digest, spec.privateKey, { prehash: false, format: 'recovered' });
  const signature = new Uint8Array([...recovered.subarray(1), recovered[0] as number]);
  return bech32.encode(prefix, [...words, ...bech32.toWords(signature)], false);
}

/** A key pair for tests: the secret and its compressed public key in hex. */
export function testKey(seed: number): { privateKey: Uint8Array; pubkey: string } {
  const privateKey = sha256(new TextEncoder().encode(`blgv test key ${seed}`));
  return { privateKey, pubkey: hex.encode(secp256k1.getPublicKey(privateKey, true)) };
}
