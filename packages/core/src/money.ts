/**
 * Money as branded bigints. A `Sat` is never confused with an `Msat`, and neither is ever a
 * float. Conversions that lose precision round down and say so in their name.
 */

declare const satBrand: unique symbol;
declare const msatBrand: unique symbol;

/** An amount in satoshis. */
export type Sat = bigint & { readonly [satBrand]: true };
/** An amount in millisatoshis. */
export type Msat = bigint & { readonly [msatBrand]: true };

/** The largest amount we accept anywhere: 21M BTC in msat fits in u64 with room to spare. */
export const MAX_MSAT = 2_100_000_000_000_000_000n;

function checkInteger(value: bigint | number | string, unit: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`${unit} amount must be a safe integer, got ${value}`);
  }
  if (typeof value === 'string' && !/^-?\d+$/.test(value)) {
    throw new RangeError(`${unit} amount must be a decimal integer string, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

/** Makes a `Sat` from an integer (number, bigint or decimal string). Throws on fractions. */
export function sat(value: bigint | number | string): Sat {
  return checkInteger(value, 'sat') as Sat;
}

/** Makes an `Msat` from an integer (number, bigint or decimal string). Throws on fractions. */
export function msat(value: bigint | number | string): Msat {
  return checkInteger(value, 'msat') as Msat;
}

/** Exact conversion of sats to msats. */
export function satToMsat(amount: Sat): Msat {
  return (amount * 1000n) as Msat;
}

/** Converts msats to sats, dropping any sub-satoshi remainder. */
export function msatToSatFloor(amount: Msat): Sat {
  return (amount / 1000n) as Sat;
}

/** Converts msats to sats, rounding any sub-satoshi remainder up (for fees we charge). */
export function msatToSatCeil(amount: Msat): Sat {
  return ((amount + 999n) / 1000n) as Sat;
}

/** The smaller of two amounts of the same unit. */
export function smaller<T extends bigint>(a: T, b: T): T {
  return a < b ? a : b;
}
