/**
 * The parts of a JIT payment after its forward was decided, against a small fake of the backend
 * (the real flows: `test/lsps2*.test.ts`): a part LND did not take (the interceptor
 * reconnecting) goes on as the fee split decided when LND hands it over again; one more part of
 * a payment of no fixed size goes on whole (the fee is taken once); and a part replayed after a
 * restart, the rest of its payment gone on before, is failed back at the MPP timeout rather
 * than held for ever (its withheld funding would be, too).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HtlcResolution, msat } from '@blgv/core';
import { EXTRA_FEE_TLV } from './jit-forwarder.ts';
import {
  channelOf,
  FEE,
  fakeFunder,
  fakeLightning,
  PAYMENT,
  part,
  restarted,
  stateOf,
  storedJit,
  withDatabase,
} from './jit-restart.test-support.ts';

const forwardsIn = (resolutions: readonly HtlcResolution[]) =>
  resolutions.flatMap((r) => (r.action === 'resume_modified' ? [r] : []));
/** The fee a forward deducted (TLV 65537, big-endian u64). */
const extraFee = (r: ReturnType<typeof forwardsIn>[number]) => {
  const tlv = r.outgoingCustomRecords?.get(EXTRA_FEE_TLV);
  return tlv ? new DataView(tlv.buffer, tlv.byteOffset).getBigUint64(0) : 0n;
};

test('a part LND did not take when it was forwarded goes on as decided once LND hands it over again', async () => {
  await withDatabase(async (database) => {
    const record = await storedJit(database, 'awaiting_preimage', true);
    const half = msat(PAYMENT / 2n);
    let down = true;
    let refused!: () => void;
    const refusal = new Promise<void>((resolve) => {
      refused = resolve;
    });
    const fake = fakeLightning(
      [channelOf(record, { pendingHtlcs: 1 })],
      [
        part(record, half, 1n),
        part(record, half, 2n),
        refusal.then(() => {
          down = false;
        }),
        part(record, half, 2n),
      ],
      (r) => {
        if (!down || r.incomingHtlcId !== 2n) return false;
        refused();
        return true;
      },
    );
    const { funder, calls } = fakeFunder(database);
    await restarted(database, fake.lightning, funder, () => forwardsIn(fake.resolutions).length === 2);

    const forwards = forwardsIn(fake.resolutions);
    assert.deepEqual(
      forwards.map((f) => f.incomingHtlcId),
      [1n, 2n],
    );
    assert.equal(
      forwards.reduce((fee, f) => fee + extraFee(f), 0n),
      FEE,
      'the fee deducted once, split over both parts',
    );
    for (const f of forwards) assert.equal(f.outgoingAmount + extraFee(f), half, 'each part less its share');
    assert.equal(await stateOf(database, record.id), 'awaiting_preimage', 'nothing withdrawn');
    assert.deepEqual(calls.withdrawn, []);
  });
});

test('one more part of a payment of no fixed size, after its forward, goes on whole: the fee is taken once', async () => {
  await withDatabase(async (database) => {
    const record = await storedJit(database, 'forwarding', false, null);
    let firstForwarded!: () => void;
    const first = new Promise<void>((resolve) => {
      firstForwarded = resolve;
    });
    const fake = fakeLightning(
      [channelOf(record)],
      [part(record, msat(60_000_000n), 1n), first, part(record, msat(40_000_000n), 2n)],
      (r) => {
        if (r.incomingHtlcId === 1n) firstForwarded();
        return false;
      },
    );
    const { funder } = fakeFunder(database);
    await restarted(database, fake.lightning, funder, () => forwardsIn(fake.resolutions).length === 2);

    const [a, b] = forwardsIn(fake.resolutions);
    assert.ok(a && b);
    assert.equal(a.outgoingAmount, 60_000_000n - FEE, 'the first part carries the fee');
    assert.equal(extraFee(a), FEE);
    assert.equal(b.outgoingAmount, 40_000_000n, 'the late part goes on whole');
    assert.equal(extraFee(b), 0n);
  });
});

test('after a restart, a part whose payment went on before without it is failed back at the MPP timeout', async () => {
  await withDatabase(async (database) => {
    const record = await storedJit(database, 'awaiting_preimage', true);
    // The first half was forwarded before the crash (on the channel); the second is replayed.
    const fake = fakeLightning(
      [channelOf(record, { pendingHtlcs: 1 })],
      [part(record, msat(PAYMENT / 2n), 2n)],
    );
    const { funder } = fakeFunder(database);
    await restarted(
      database,
      fake.lightning,
      funder,
      () => fake.resolutions.some((r) => r.action === 'fail'),
      1,
    );
    assert.deepEqual(
      fake.resolutions.map((r) => [r.action, r.incomingHtlcId]),
      [['fail', 2n]],
      'failed back, not forwarded short of the payment nor held for ever',
    );
  });
});
