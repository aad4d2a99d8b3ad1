import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Channel } from '../lightning/types/channels.ts';
import { sat } from '../money.ts';
import { economicBound, excessAbove, planRebalances, refillNeeded } from './rebalance-plan.ts';

const channel = (peer: string, local: number, remote: number): Channel =>
  ({
    remotePubkey: peer,
    localBalance: sat(local),
    remoteBalance: sat(remote),
    localReserve: sat(0),
    remoteReserve: sat(0),
  }) as unknown as Channel;

const settings = { targetSharePpm: 300_000n, minAmount: sat(10_000), maxAmount: sat(1_000_000) };

test('a channel below its target share needs what brings it to the share', () => {
  assert.equal(refillNeeded(channel('a', 100_000, 900_000), 300_000n), 200_000n);
  assert.equal(refillNeeded(channel('a', 400_000, 600_000), 300_000n), 0n);
  assert.equal(excessAbove(channel('b', 1_000_000, 0), 300_000n), 700_000n);
  assert.equal(excessAbove(channel('b', 200_000, 800_000), 300_000n), 0n);
});

test('the plan refills the most depleted channel from the one with the most excess', () => {
  const dry = channel('dave', 100_000, 900_000);
  const drier = channel('erin', 50_000, 950_000);
  const full = channel('carol', 2_000_000, 0);
  const plan = planRebalances([dry, full, drier], settings);
  assert.equal(plan.length, 2);
  assert.equal(plan[0]?.target, drier);
  assert.equal(plan[0]?.source, full);
  assert.equal(plan[0]?.amount, 250_000n);
  assert.equal(plan[1]?.target, dry);
  assert.equal(plan[1]?.amount, 200_000n);
});

test('the plan never promises more than a source can give, nor more than maxAmount, nor less than minAmount', () => {
  const dry = channel('dave', 0, 1_000_000);
  const small = channel('carol', 305_000, 695_000); // 5,000 above its share
  assert.deepEqual(planRebalances([dry, small], settings), []);
  const plan = planRebalances([dry, channel('carol', 1_000_000, 0)], { ...settings, maxAmount: sat(50_000) });
  assert.equal(plan[0]?.amount, 50_000n);
});

test('two channels with the same peer are not a circle', () => {
  assert.deepEqual(
    planRebalances([channel('dave', 0, 1_000_000), channel('dave', 1_000_000, 0)], settings),
    [],
  );
});

test('the economic bound: amount x fee rate x ratio, in msat, rounded down', () => {
  // 200,000 sat at 100 ppm earns 20,000 msat; half of it.
  assert.equal(economicBound(sat(200_000), 100n, 500_000n), 10_000n);
  assert.equal(economicBound(sat(200_000), 100n, 10_000n), 200n);
  assert.equal(economicBound(sat(200_000), 0n, 500_000n), 0n);
});
