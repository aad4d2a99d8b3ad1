/**
 * Identifiers with a shape we check at the edge: node public keys, payment hashes and short
 * channel ids.
 */

declare const pubkeyBrand: unique symbol;
declare const hashBrand: unique symbol;
declare const scidBrand: unique symbol;

/** A node public key: 33-byte compressed secp256k1 point as lowercase hex. */
export type Pubkey = string & { readonly [pubkeyBrand]: true };
/** A 32-byte hash (payment hash, preimage, txid) as lowercase hex. */
export type Hex32 = string & { readonly [hashBrand]: true };
/** A short channel id: block height, tx index and output index packed into a u64. */
export type Scid = bigint & { readonly [scidBrand]: true };

/** Checks and brands a node public key. */
export function parsePubkey(value: string): Pubkey {
  const v = value.toLowerCase();
  if (!/^0[23][0-9a-f]{64}$/.test(v))
    throw new RangeError(`not a compressed public key: ${JSON.stringify(value)}`);
  return v as Pubkey;
}

/** Checks and brands a 32-byte hex value. */
export function parseHex32(value: string): Hex32 {
  const v = value.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(v)) throw new RangeError(`not 32 bytes of hex: ${JSON.stringify(value)}`);
  return v as Hex32;
}

/** Makes a {@link Scid} from its u64 value (bigint or decimal string). */
export function scid(value: bigint | string): Scid {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`short channel id out of range: ${value}`);
  return v as Scid;
}

/** Packs block height, tx index and output index into a {@link Scid}. */
export function scidFromParts(block: number, txIndex: number, outputIndex: number): Scid {
  return ((BigInt(block) << 40n) | (BigInt(txIndex) << 16n) | BigInt(outputIndex)) as Scid;
}

/** Formats a scid the human way, `800000x12x1`. */
export function formatScid(id: Scid): string {
  return `${id >> 40n}x${(id >> 16n) & 0xffffffn}x${id & 0xffffn}`;
}

/** Parses `800000x12x1` (or a decimal u64) into a {@link Scid}. */
export function parseScid(value: string): Scid {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(value);
  if (!m) return scid(value);
  return scidFromParts(Number(m[1]), Number(m[2]), Number(m[3]));
}
