/**
 * Bitcoin addresses at the edge: a refund address must decode (bech32/bech32m segwit or
 * base58check) and belong to the same network as the node's own addresses, or a refund sent
 * to it could never arrive.
 */
import { createHash } from 'node:crypto';

/** The network family an address belongs to. Base58 cannot tell testnet from regtest. */
type Family = 'main' | 'test' | 'regtest' | 'test-or-regtest';

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_CONST = 1;
const BECH32M_CONST = 0x2bc830a3;
const HRP_FAMILY: Record<string, Family> = { bc: 'main', tb: 'test', bcrt: 'regtest' };
const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BASE58_FAMILY: Record<number, Family> = {
  0: 'main',
  5: 'main',
  111: 'test-or-regtest',
  196: 'test-or-regtest',
};

function polymod(values: readonly number[]): number {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i] ?? 0;
  }
  return chk >>> 0;
}

function convertBits(data: readonly number[], from: number, to: number): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const v of data) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & max);
    }
  }
  if (bits >= from || ((acc << (to - bits)) & max) !== 0) return undefined;
  return out;
}

function segwitFamily(address: string): Family | undefined {
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) return undefined;
  const a = address.toLowerCase();
  const sep = a.lastIndexOf('1');
  if (sep < 1 || a.length > 90 || a.length - sep < 7) return undefined;
  const hrp = a.slice(0, sep);
  const family = HRP_FAMILY[hrp];
  const data = [...a.slice(sep + 1)].map((c) => BECH32_CHARSET.indexOf(c));
  if (!family || data.some((d) => d < 0)) return undefined;
  const expanded = [
    ...[...hrp].map((c) => c.charCodeAt(0) >> 5),
    0,
    ...[...hrp].map((c) => c.charCodeAt(0) & 31),
  ];
  const version = data[0] ?? -1;
  const check = polymod([...expanded, ...data]);
  if (check !== (version === 0 ? BECH32_CONST : BECH32M_CONST)) return undefined;
  const program = convertBits(data.slice(1, -6), 5, 8);
  if (!program || version > 16 || program.length < 2 || program.length > 40) return undefined;
  if (version === 0 && program.length !== 20 && program.length !== 32) return undefined;
  return family;
}

function base58Family(address: string): Family | undefined {
  let n = 0n;
  for (const c of address) {
    const d = BASE58_ALPHABET.indexOf(c);
    if (d < 0) return undefined;
    n = n * 58n + BigInt(d);
  }
  const hex = n.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  const zeros = address.length - address.replace(/^1+/, '').length;
  const bytes = Buffer.concat([Buffer.alloc(zeros), body]);
  if (bytes.length !== 25) return undefined;
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();
  if (
    !sha(sha(bytes.subarray(0, 21)))
      .subarray(0, 4)
      .equals(bytes.subarray(21))
  )
    return undefined;
  return BASE58_FAMILY[bytes[0] ?? -1];
}

/** The network family of a valid address, or `undefined` when it does not decode. */
function addressFamily(address: string): Family | undefined {
  return segwitFamily(address) ?? base58Family(address);
}

/** True when `address` is valid and of the same network as `ours` (one of our own addresses). */
export function isAddressOfNetwork(address: string, ours: string): boolean {
  const theirs = addressFamily(address);
  const mine = addressFamily(ours);
  if (!theirs || !mine) return false;
  if (theirs === mine) return true;
  const testish = (f: Family) => f === 'test' || f === 'regtest';
  return (theirs === 'test-or-regtest' && testish(mine)) || (mine === 'test-or-regtest' && testish(theirs));
}
