/**
 * A BOLT 11 invoice decoder that needs no node: the network and amount of the human-readable
 * part, the tagged fields, and the signature, with the payee's key taken from `n` (the
 * signature checked against it) or recovered from the signature. Malformed invoices throw
 * {@link Bolt11DecodeError} with a code saying why.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32, hex } from '@scure/base';
import {
  FIELD,
  featureBits,
  minimalNumber,
  type RawField,
  routeHint,
  splitFields,
  utf8Text,
  wordsToBytes,
  wordsToNumber,
} from './bolt11-fields.ts';
import { Bolt11DecodeError } from './errors.ts';
import type { RouteHintHop } from './lsps2.ts';

/** The chain an invoice is for, from its prefix. */
export type Bolt11Network = 'bitcoin' | 'testnet' | 'signet' | 'regtest' | 'simnet';

/** The currency part of each prefix (`ln` + this). */
const NETWORKS: ReadonlyMap<string, Bolt11Network> = new Map([
  ['bc', 'bitcoin'],
  ['tb', 'testnet'],
  ['tbs', 'signet'],
  ['bcrt', 'regtest'],
  ['sb', 'simnet'],
]);

/** Millisatoshis per unit of the amount, by multiplier (a bitcoin is 10^11 msat; `p` is a tenth). */
const MSAT_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['', 100_000_000_000n],
  ['m', 100_000_000n],
  ['u', 100_000n],
  ['n', 100n],
]);

/** Defaults BOLT 11 gives a reader for fields an invoice leaves out. */
export const BOLT11_DEFAULT_EXPIRY_SECONDS = 3600;
export const BOLT11_DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA = 18;

/** A decoded BOLT 11 invoice. Byte strings are lowercase hex. */
export interface Bolt11Invoice {
  /** The invoice as decoded (lowercase, without a `lightning:` prefix). */
  readonly paymentRequest: string;
  readonly network: Bolt11Network;
  /** The amount in millisatoshis, or `undefined` for an invoice of any amount. */
  readonly amountMsat: bigint | undefined;
  /** Creation time, seconds since 1970. */
  readonly timestamp: number;
  /** Seconds after `timestamp` the invoice expires (`x`, default 3600). */
  readonly expirySeconds: number;
  /** `timestamp + expirySeconds`. */
  readonly expiresAt: number;
  /** `c`: the final hop's minimum CLTV delta in blocks (default 18). */
  readonly minFinalCltvExpiryDelta: number;
  /** `p`: SHA-256 of the preimage. */
  readonly paymentHash: string;
  /** `s`: the payment secret. */
  readonly paymentSecret: string;
  /** `d`, when the invoice carries its description. */
  readonly description: string | undefined;
  /** `h`, when the invoice carries the SHA-256 of its description instead. */
  readonly descriptionHash: string | undefined;
  /** `m`: payment metadata. */
  readonly metadata: string | undefined;
  /** The payee's node id (33-byte compressed key), from `n` or recovered from the signature. */
  readonly payee: string;
  /** `r`: private routes to the payee, each a list of hops. */
  readonly routeHints: readonly (readonly RouteHintHop[])[];
  /** `9`: the feature bits set, ascending. */
  readonly features: readonly number[];
}

const TIMESTAMP_WORDS = 7;
const SIGNATURE_WORDS = 104;

/**
 * Decodes and checks a BOLT 11 invoice: bech32 checksum, a known network, the amount, the
 * required fields (`p`, `s`, one of `d`/`h`), minimal `x`/`c`/`9`, no unknown required
 * feature, and the signature (against `n` when present, low-S then; else by key recovery).
 * Fields of a wrong fixed length and unknown fields are skipped, as BOLT 11 asks.
 *
 * @throws {Bolt11DecodeError} when the invoice is malformed; `code` says how.
 */
export function decodeBolt11(invoice: string): Bolt11Invoice {
  const text = invoice.trim().replace(/^lightning:/i, '');
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(text, false);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/ in .*$/, '') : String(err);
    throw new Bolt11DecodeError('not_bech32', `not a bech32 invoice: ${why}`);
  }
  const { network, amountMsat } = readPrefix(decoded.prefix);
  const { words } = decoded;
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS)
    throw new Bolt11DecodeError('too_short', 'too short for a timestamp and a signature');
  const signed = words.slice(0, words.length - SIGNATURE_WORDS);
  const fields = readFields(splitFields(signed.slice(TIMESTAMP_WORDS)));
  const payee = checkSignature(
    decoded.prefix,
    signed,
    wordsToBytes(words.slice(words.length - SIGNATURE_WORDS), false),
    fields.n,
  );
  const timestamp = wordsToNumber(signed.slice(0, TIMESTAMP_WORDS), 'the timestamp');
  const expirySeconds = fields.expiry ?? BOLT11_DEFAULT_EXPIRY_SECONDS;
  return {
    paymentRequest: text.toLowerCase(),
    network,
    amountMsat,
    timestamp,
    expirySeconds,
    expiresAt: timestamp + expirySeconds,
    minFinalCltvExpiryDelta: fields.minFinalCltv ?? BOLT11_DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
    paymentHash: fields.paymentHash,
    paymentSecret: fields.paymentSecret,
    description: fields.description,
    descriptionHash: fields.descriptionHash,
    metadata: fields.metadata,
    payee,
    routeHints: fields.routeHints,
    features: fields.features,
  };
}

/** `ln` + currency + optional amount and multiplier. */
function readPrefix(prefix: string): { network: Bolt11Network; amountMsat: bigint | undefined } {
  const m = /^ln([a-z]+)(?:(\d+)([a-z]?))?$/.exec(prefix);
  const network = m ? NETWORKS.get(m[1] as string) : undefined;
  if (!m || !network)
    throw new Bolt11DecodeError('unknown_network', `unknown invoice prefix '${prefix.slice(0, 24)}'`);
  const [digits, multiplier = ''] = [m[2], m[3]];
  if (digits === undefined) return { network, amountMsat: undefined };
  if (digits.startsWith('0'))
    throw new Bolt11DecodeError('bad_amount', `amount ${digits} has a leading zero`);
  const amount = BigInt(digits);
  if (multiplier === 'p') {
    if (amount % 10n !== 0n)
      throw new Bolt11DecodeError('bad_amount', `${digits}p is not a whole number of millisatoshis`);
    return { network, amountMsat: amount / 10n };
  }
  const perUnit = MSAT_PER_UNIT.get(multiplier);
  if (perUnit === undefined)
    throw new Bolt11DecodeError('bad_amount', `unknown amount multiplier '${multiplier}'`);
  return { network, amountMsat: amount * perUnit };
}

interface Fields {
  paymentHash: string;
  paymentSecret: string;
  description: string | undefined;
  descriptionHash: string | undefined;
  metadata: string | undefined;
  expiry: number | undefined;
  minFinalCltv: number | undefined;
  n: Uint8Array | undefined;
  routeHints: RouteHintHop[][];
  features: number[];
}

/** The first well-formed field of each kind (the writer's preferred one); every `r`. */
function readFields(raw: readonly RawField[]): Fields {
  const first = (type: number, words?: number): RawField | undefined =>
    raw.find((f) => f.type === type && (words === undefined || f.words.length === words));
  const hash32 = (type: number): string | undefined => {
    const f = first(type, 52);
    return f ? hex.encode(wordsToBytes(f.words, false)) : undefined;
  };
  const paymentHash = hash32(FIELD.p);
  if (!paymentHash) throw new Bolt11DecodeError('missing_field', 'no payment hash (p)');
  const paymentSecret = hash32(FIELD.s);
  if (!paymentSecret) throw new Bolt11DecodeError('missing_field', 'no payment secret (s)');
  const d = first(FIELD.d);
  const descriptionHash = hash32(FIELD.h);
  if ((d === undefined) === (descriptionHash === undefined))
    throw new Bolt11DecodeError(
      'missing_field',
      'an invoice carries exactly one of a description (d) or its hash (h)',
    );
  const [x, c, m, n, features] = [
    first(FIELD.x),
    first(FIELD.c),
    first(FIELD.m),
    first(FIELD.n, 53),
    first(FIELD.features),
  ];
  return {
    paymentHash,
    paymentSecret,
    description: d ? utf8Text(d.words) : undefined,
    descriptionHash,
    metadata: m ? hex.encode(wordsToBytes(m.words, false)) : undefined,
    expiry: x ? minimalNumber(x.words, 'the expiry (x)') : undefined,
    minFinalCltv: c ? minimalNumber(c.words, 'the min_final_cltv_expiry_delta (c)') : undefined,
    n: n ? wordsToBytes(n.words, false) : undefined,
    routeHints: raw.filter((f) => f.type === FIELD.r).map((f) => routeHint(f.words)),
    features: features ? featureBits(features.words) : [],
  };
}

/**
 * Checks the signature over SHA-256(prefix bytes || data words padded to bytes) and answers the
 * payee: `n` when given (the signature must verify against it and be low-S), else the key the
 * signature recovers (high-S accepted, as BOLT 11 asks).
 */
function checkSignature(
  prefix: string,
  signedWords: readonly number[],
  sig: Uint8Array,
  n?: Uint8Array,
): string {
  const message = new Uint8Array([...new TextEncoder().encode(prefix), ...wordsToBytes(signedWords, true)]);
  const digest = sha256(message);
  const compact = sig.subarray(0, 64);
  const recovery = sig[64] as number;
  if (n) {
    let ok = false;
    try {
      ok = secp256k1.verify(compact, digest, n, { prehash: false, lowS: true });
    } catch {
      ok = false;
    }
    if (!ok)
      throw new Bolt11DecodeError('bad_signature', 'the signature does not verify against the payee key (n)');
    return hex.encode(n);
  }
  if (recovery > 3) throw new Bolt11DecodeError('bad_signature', `recovery id ${recovery} is not 0..3`);
  try {
    const signature = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(recovery);
    return hex.encode(signature.recoverPublicKey(digest).toBytes(true));
  } catch {
    throw new Bolt11DecodeError('bad_signature', 'no public key can be recovered from the signature');
  }
}
