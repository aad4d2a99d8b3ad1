import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msat, sat } from '../money.ts';
import { decideFee, type FeePolicySettings, outboundSharePpm, targetFee } from './fee-policy.ts';

const settings: FeePolicySettings = {
  baseFee: msat(1000n),
  midpointPpm: 100n,
  minPpm: 20n,
  maxPpm: 500n,
  targetSharePpm: 500_000n,
  flowWeightPpm: 100_000n,
  minStepPpm: 10n,
  windowMs: 3_600_000,
  inboundMaxDiscountPpm: 0n,
};
const noFlow = { out: msat(0n), in: msat(0n) };
const current = { baseFee: msat(1000n), feeRatePpm: 100n, inboundFeeRatePpm: 0n };
const channel = (local: number, remote: number) => ({
  localBalance: sat(local),
  remoteBalance: sat(remote),
  localReserve: sat(10_000),
  remoteReserve: sat(10_000),
});
const now = new Date('2026-01-01T12:00:00Z');

test('the outbound share leaves the reserves out', () => {
  assert.equal(outboundSharePpm(channel(510_000, 510_000), 500_000n), 500_000n);
  assert.equal(outboundSharePpm(channel(110_000, 410_000), 500_000n), 200_000n);
  assert.equal(outboundSharePpm(channel(5_000, 500_000), 500_000n), 0n);
  assert.equal(outboundSharePpm(channel(0, 0), 300_000n), 300_000n);
});

test('the midpoint at the target share, the ceiling when drained, the floor when full', () => {
  assert.equal(targetFee(500_000n, noFlow, settings).feeRatePpm, 100n);
  assert.equal(targetFee(0n, noFlow, settings).feeRatePpm, 500n);
  assert.equal(targetFee(1_000_000n, noFlow, settings).feeRatePpm, 20n);
  assert.equal(targetFee(250_000n, noFlow, settings).feeRatePpm, 300n);
  assert.equal(targetFee(750_000n, noFlow, settings).feeRatePpm, 60n);
  assert.equal(targetFee(500_000n, noFlow, settings).baseFee, 1000n);
});

test('net outflow nudges the fee up, net inflow down, within floor and ceiling', () => {
  const out = { out: msat(1_000_000n), in: msat(0n) };
  const inn = { out: msat(0n), in: msat(1_000_000n) };
  assert.equal(targetFee(500_000n, out, settings).feeRatePpm, 148n); // + 10% of 480
  assert.equal(targetFee(500_000n, inn, settings).feeRatePpm, 52n);
  assert.equal(targetFee(0n, out, settings).feeRatePpm, 500n);
  assert.equal(targetFee(1_000_000n, inn, settings).feeRatePpm, 20n);
  const even = { out: msat(5_000n), in: msat(5_000n) };
  assert.equal(targetFee(500_000n, even, settings).feeRatePpm, 100n);
});

test('a drained channel gets an inbound discount when inbound fees are on, capped at the floor', () => {
  const on = { ...settings, inboundMaxDiscountPpm: 50n };
  assert.equal(targetFee(0n, noFlow, on).inboundFeeRatePpm, -20n); // capped at minPpm
  assert.equal(targetFee(250_000n, noFlow, { ...on, minPpm: 80n }).inboundFeeRatePpm, -25n);
  assert.equal(targetFee(500_000n, noFlow, on).inboundFeeRatePpm, 0n);
  assert.equal(targetFee(900_000n, noFlow, on).inboundFeeRatePpm, 0n);
  assert.equal(targetFee(0n, noFlow, settings).inboundFeeRatePpm, 0n);
});

test('a drained channel changes to a higher fee, with its reason', () => {
  const d = decideFee(
    { channel: channel(60_000, 960_000), flow: noFlow, current, lastChangeAt: undefined, now },
    settings,
  );
  assert.equal(d.change, true);
  assert.ok(d.target.feeRatePpm > 400n);
  assert.match(d.reason, /outbound share 5\.0% below the target 50\.0%; fee rate 100 -> \d+ ppm/);
});

test('a full channel changes to a lower fee', () => {
  const d = decideFee(
    { channel: channel(960_000, 60_000), flow: noFlow, current, lastChangeAt: undefined, now },
    settings,
  );
  assert.equal(d.change, true);
  assert.ok(d.target.feeRatePpm < 40n);
  assert.match(d.reason, /above the target/);
});

test('no change within the minimum step, nor within the window of the last change', () => {
  const small = decideFee(
    { channel: channel(520_000, 500_000), flow: noFlow, current, lastChangeAt: undefined, now },
    settings,
  );
  assert.equal(small.change, false);
  assert.match(small.reason, /within the minimum step of 10 ppm/);
  const recent = decideFee(
    {
      channel: channel(60_000, 960_000),
      flow: noFlow,
      current,
      lastChangeAt: new Date(now.getTime() - 60_000),
      now,
    },
    settings,
  );
  assert.equal(recent.change, false);
  assert.match(recent.reason, /less than one window ago/);
  const later = decideFee(
    {
      channel: channel(60_000, 960_000),
      flow: noFlow,
      current,
      lastChangeAt: new Date(now.getTime() - 3_600_000),
      now,
    },
    settings,
  );
  assert.equal(later.change, true);
});

test('a base fee that differs from the settings is changed even with the rate on target', () => {
  const d = decideFee(
    {
      channel: channel(510_000, 510_000),
      flow: noFlow,
      current: { ...current, baseFee: msat(2000n) },
      lastChangeAt: undefined,
      now,
    },
    settings,
  );
  assert.equal(d.change, true);
  assert.equal(d.target.baseFee, 1000n);
});
