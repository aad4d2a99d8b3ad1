/**
 * JIT scids: the made-up short channel ids `lsps2.buy` hands out. They lie in LND's alias range
 * (block heights 16,000,000 to 16,250,000), so LND accepts them as aliases of the channel we
 * open later; we draw from the upper part of that range, away from the aliases LND allocates
 * upwards from 16,000,000 for its own channels.
 */
import { randomInt } from 'node:crypto';
import { type Scid, scidFromParts } from '@blgv/core';

const ALIAS_START_BLOCK = 16_000_000;
const ALIAS_END_BLOCK = 16_250_000;
const JIT_START_BLOCK = 16_125_000;

/** A random JIT scid. */
export function randomJitScid(): Scid {
  return scidFromParts(randomInt(JIT_START_BLOCK, ALIAS_END_BLOCK), randomInt(1 << 24), randomInt(1 << 16));
}

/** True when `scid` is in LND's alias range (JIT scids and channel aliases are). */
export function isAliasScid(scid: Scid): boolean {
  const block = Number(scid >> 40n);
  return block >= ALIAS_START_BLOCK && block < ALIAS_END_BLOCK;
}
