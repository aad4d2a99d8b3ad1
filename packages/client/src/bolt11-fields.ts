/**
 * The tagged fields of a BOLT 11 invoice's data part: each is a 5-bit type, a 10-bit length in
 * 5-bit words, and that many words. These read them; `bolt11.ts` puts the invoice together.
 */
import { hex } from '@scure/base';
import { Bolt11DecodeError } from './errors.ts';
import type { RouteHintHop } from './lsps2.ts';

/** Field types (the bech32 letter's value): `p`=1, `s`=16, `d`=13, … */
export const FIELD = {
  p: 1,
  r: 3,
  features: 5,
  x: 6,
  f: 9,
  d: 13,
  s: 16,
  n: 19,
  h: 23,
  c: 24,
  m: 27,
} as const;

/** One tagged field as it sits in the data part. */
export interface RawField {
  readonly type: number;
  readonly words: readonly number[];
}

/** Splits the words between the timestamp and the signature into tagged fields. */
export function splitFields(words: readonly number[]): RawField[] {
  const fields: RawField[] = [];
  let at = 0;
  while (at < words.length) {
    if (at + 3 > words.length) throw new Bolt11DecodeError('bad_field', 'a tagged field is cut short');
    const type = words[at] as number;
    const length = (words[at + 1] as number) * 32 + (words[at + 2] as number);
    const end = at + 3 + length;
    if (end > words.length)
      throw new Bolt11DecodeError('bad_field', `field type ${type} claims ${length} words past the end`);
    fields.push({ type, words: words.slice(at + 3, end) });
    at = end;
  }
  return fields;
}

/** 5-bit words to bytes; `pad` appends zero bits to a byte boundary, else leftover bits drop. */
export function wordsToBytes(words: readonly number[], pad: boolean): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (pad && bits > 0) out.push((acc << (8 - bits)) & 0xff);
  return Uint8Array.from(out);
}

/** Largest timestamp, expiry or CLTV read (2^40: far past any real one; sums stay exact). */
const MAX_NUMBER = 2n ** 40n;

/** Big-endian unsigned integer of 5-bit words, at most 2^40. */
export function wordsToNumber(words: readonly number[], what: string): number {
  let value = 0n;
  for (const w of words) value = (value << 5n) | BigInt(w);
  if (value > MAX_NUMBER) throw new Bolt11DecodeError('bad_field', `${what} is too large`);
  return Number(value);
}

/** `x`, `c` and `9` must be minimal: present and not starting with a zero word. */
export function minimalNumber(words: readonly number[], what: string): number {
  if (words.length === 0 || words[0] === 0)
    throw new Bolt11DecodeError('bad_field', `${what} is not minimally encoded`);
  return wordsToNumber(words, what);
}

/** The description of `d`, which must be UTF-8. */
export function utf8Text(words: readonly number[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(wordsToBytes(words, false));
  } catch {
    throw new Bolt11DecodeError('bad_field', 'the description (d) is not valid UTF-8');
  }
}

const HOP_BYTES = 33 + 8 + 4 + 4 + 2;

/** One `r` field: a private route of one or more hops, first hop first. */
export function routeHint(words: readonly number[]): RouteHintHop[] {
  const bytes = wordsToBytes(words, false);
  if (bytes.length === 0 || bytes.length % HOP_BYTES !== 0)
    throw new Bolt11DecodeError('bad_field', `a route hint (r) of ${bytes.length} bytes is not whole hops`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hops: RouteHintHop[] = [];
  for (let at = 0; at < bytes.length; at += HOP_BYTES) {
    const chanId = view.getBigUint64(at + 33);
    hops.push({
      nodeId: hex.encode(bytes.subarray(at, at + 33)),
      chanId,
      shortChannelId: `${chanId >> 40n}x${(chanId >> 16n) & 0xffffffn}x${chanId & 0xffffn}`,
      feeBaseMsat: view.getUint32(at + 41),
      feeProportionalMillionths: view.getUint32(at + 45),
      cltvExpiryDelta: view.getUint16(at + 49),
    });
  }
  return hops;
}

/**
 * Even (required) feature bits a payer of an invoice can know of: `var_onion_optin` 8,
 * `payment_secret` 14, `basic_mpp` 16, `option_route_blinding` 24, LND's AMP 30,
 * `option_attribution_data` 36, `option_payment_metadata` 48 (BOLT 9, context `9`).
 */
const KNOWN_REQUIRED = new Set([8, 14, 16, 24, 30, 36, 48]);

/** The `9` field: the bit numbers set (bit 0 is the last word's lowest bit), ascending. */
export function featureBits(words: readonly number[]): number[] {
  if (words[0] === 0)
    throw new Bolt11DecodeError('bad_field', 'the feature field (9) is not minimally encoded');
  const bits: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[words.length - 1 - i] as number;
    for (let b = 0; b < 5; b++) if ((word >> b) & 1) bits.push(i * 5 + b);
  }
  const unknown = bits.filter((bit) => bit % 2 === 0 && !KNOWN_REQUIRED.has(bit));
  if (unknown.length > 0)
    throw new Bolt11DecodeError(
      'unknown_required_feature',
      `the invoice requires feature bit${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, unknown to this decoder`,
    );
  return bits;
}
