import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Hex32 } from '../ids.ts';
import type { ClosingChannel } from '../lightning/types.ts';
import { type Sat, sat } from '../money.ts';
import { type DeletionProgress, planDeletion } from './node-deletion.ts';
import { describeHoldings, type HeldChannel, holdsNothing, type NodeHoldings } from './node-holdings.ts';

const now = new Date('2026-12-04T12:00:00Z');
const settings = { forceCloseAfterMs: 60_000, sweepConfirmations: 3 };
const txid = (n: number) => n.toString(16).padStart(64, '0') as Hex32;
const channel = (n: number, over: Partial<HeldChannel> = {}): HeldChannel => ({
  channelPoint: { txid: txid(n), outputIndex: 0 },
  remotePubkey: `02${'11'.repeat(32)}`,
  capacity: sat(500_000),
  localBalance: sat(0),
  active: true,
  ...over,
});
const closing = (n: number, over: Partial<ClosingChannel> = {}): ClosingChannel => ({
  channelPoint: { txid: txid(n), outputIndex: 0 },
  remotePubkey: `02${'11'.repeat(32)}` as ClosingChannel['remotePubkey'],
  capacity: sat(500_000),
  kind: 'force_closing',
  htlcsUnknown: false,
  closingTxid: txid(n + 100),
  limboBalance: sat(150_000),
  maturityHeight: 520,
  blocksTilMaturity: 4,
  pendingHtlcs: 0,
  ...over,
});
const empty: NodeHoldings = {
  open: [],
  opening: [],
  closing: [],
  confirmed: sat(0),
  unconfirmed: sat(0),
  locked: sat(0),
  height: 516,
};
const progress = (over: Partial<DeletionProgress> = {}): DeletionProgress => ({
  closeChannels: true,
  sweepAddress: 'bcrt1qtenant',
  closes: {},
  sweeps: [],
  ...over,
});
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

test('a node holding nothing is removed at once', () => {
  assert.deepEqual(planDeletion(progress(), empty, now, settings), {
    phase: 'removing',
    actions: [{ type: 'remove' }],
    reasons: [],
  });
});

test('open channels are closed cooperatively first', () => {
  const plan = planDeletion(progress(), { ...empty, open: [channel(1), channel(2)] }, now, settings);
  assert.equal(plan.phase, 'closing_channels');
  assert.deepEqual(
    plan.actions.map((a) => a.type === 'close' && a.force),
    [false, false],
  );
});

test('a channel whose peer does not come is force-closed after the wait, once', () => {
  const c = channel(1, { active: false });
  const key = `${txid(1)}:0`;
  const early = planDeletion(
    progress({ closes: { [key]: { coopAskedAt: ago(10_000), coopLastAskedAt: ago(5_000) } } }),
    { ...empty, open: [c] },
    now,
    settings,
  );
  assert.deepEqual(early.actions, [{ type: 'close', channelPoint: c.channelPoint, force: false }]);
  assert.match(early.reasons.join('\n'), /peer is offline: force-closing in 50 s/);
  const late = planDeletion(
    progress({ closes: { [key]: { coopAskedAt: ago(60_000), coopLastAskedAt: ago(1_000) } } }),
    { ...empty, open: [c] },
    now,
    settings,
  );
  assert.deepEqual(late.actions, [{ type: 'close', channelPoint: c.channelPoint, force: true }]);
  const forced = planDeletion(
    progress({
      closes: { [key]: { coopAskedAt: ago(90_000), coopLastAskedAt: ago(1_000), forcedAt: ago(500) } },
    }),
    { ...empty, open: [c] },
    now,
    settings,
  );
  assert.deepEqual(forced.actions, [], 'a force close is asked once');
});

test('a connected peer is not asked again before the retry interval', () => {
  const key = `${txid(1)}:0`;
  const plan = planDeletion(
    progress({ closes: { [key]: { coopAskedAt: ago(20_000), coopLastAskedAt: ago(20_000) } } }),
    { ...empty, open: [channel(1)] },
    now,
    settings,
  );
  assert.deepEqual(plan.actions, []);
});

test('without closeChannels, open channels block the deletion and say why', () => {
  const plan = planDeletion(
    progress({ closeChannels: false }),
    { ...empty, open: [channel(1)] },
    now,
    settings,
  );
  assert.equal(plan.phase, 'blocked');
  assert.match(plan.reasons.join('\n'), /1 open channel \(500,000 sat capacity\)/);
  assert.match(plan.reasons.join('\n'), /closeChannels/);
});

test('closing channels and time-locked outputs are waited for before any sweep', () => {
  for (const h of [
    { ...empty, closing: [closing(1)], confirmed: sat(300_000) },
    { ...empty, closing: [closing(1, { kind: 'waiting_close', maturityHeight: undefined })] },
    { ...empty, opening: [channel(3)] },
    { ...empty, confirmed: sat(300_000), unconfirmed: sat(10_000) },
  ]) {
    const plan = planDeletion(progress(), h, now, settings);
    assert.equal(plan.phase, 'waiting_for_closes');
    assert.deepEqual(plan.actions, []);
    assert.ok(plan.reasons.length > 0);
  }
  const reasons = planDeletion(progress(), { ...empty, closing: [closing(1)] }, now, settings).reasons;
  assert.match(reasons.join('\n'), /150,000 sat time-locked until block 520 \(4 blocks from now\)/);
});

test('confirmed funds are swept to the address, and the node waits for the sweep to confirm', () => {
  const sweep = planDeletion(progress(), { ...empty, confirmed: sat(300_000) }, now, settings);
  assert.deepEqual(sweep.actions, [{ type: 'sweep', address: 'bcrt1qtenant' }]);
  const record = { txid: txid(9), amount: sat(299_000), address: 'bcrt1qtenant', confirmations: 1 };
  const waiting = planDeletion(progress({ sweeps: [record] }), empty, now, settings);
  assert.equal(waiting.phase, 'waiting_for_sweep');
  assert.match(waiting.reasons.join('\n'), /has 1 of 3 confirmations/);
  const done = planDeletion(progress({ sweeps: [{ ...record, confirmations: 3 }] }), empty, now, settings);
  assert.equal(done.phase, 'removing');
});

test('funds without a sweep address, or leased, are never swept away', () => {
  const blocked = planDeletion(
    progress({ sweepAddress: null }),
    { ...empty, confirmed: sat(1) },
    now,
    settings,
  );
  assert.equal(blocked.phase, 'blocked');
  const leased = planDeletion(progress(), { ...empty, confirmed: sat(5), locked: sat(5) }, now, settings);
  assert.deepEqual(leased.actions, []);
});

test('a node is removed only when it holds nothing and every sweep is confirmed', () => {
  const sats = fc.bigInt({ min: 0n, max: 3n }).map((n) => (n * 1000n) as Sat);
  fc.assert(
    fc.property(
      fc.record({
        open: fc.nat(2),
        opening: fc.nat(2),
        closing: fc.nat(2),
        confirmed: sats,
        unconfirmed: sats,
        locked: sats,
        sweepConfs: fc.array(fc.nat(5), { maxLength: 2 }),
        closeChannels: fc.boolean(),
        address: fc.boolean(),
      }),
      (r) => {
        const h: NodeHoldings = {
          ...empty,
          open: Array.from({ length: r.open }, (_, i) => channel(i)),
          opening: Array.from({ length: r.opening }, (_, i) => channel(10 + i)),
          closing: Array.from({ length: r.closing }, (_, i) => closing(20 + i)),
          confirmed: (r.confirmed + r.locked) as Sat,
          unconfirmed: r.unconfirmed,
          locked: r.locked,
        };
        const sweeps = r.sweepConfs.map((c, i) => ({
          txid: txid(50 + i),
          amount: sat(1),
          address: 'a',
          confirmations: c,
        }));
        const plan = planDeletion(
          progress({ closeChannels: r.closeChannels, sweepAddress: r.address ? 'a' : null, sweeps }),
          h,
          now,
          settings,
        );
        const removes = plan.actions.some((a) => a.type === 'remove');
        assert.equal(removes, holdsNothing(h) && sweeps.every((s) => s.confirmations >= 3));
        if (plan.actions.some((a) => a.type === 'sweep'))
          assert.ok(h.open.length + h.opening.length + h.closing.length === 0 && h.unconfirmed === 0n);
        if (!removes) assert.ok(plan.reasons.length > 0, 'the tenant is told why');
      },
    ),
  );
});

test('holdings are described in words', () => {
  assert.deepEqual(describeHoldings({ ...empty, open: [channel(1)], confirmed: sat(300_000) }), [
    '1 open channel (500,000 sat capacity)',
    '300,000 sat on chain',
  ]);
  assert.deepEqual(describeHoldings(empty), []);
});
