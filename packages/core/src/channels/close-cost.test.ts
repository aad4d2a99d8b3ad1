import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Hex32, parseHex32, parsePubkey } from '../ids.ts';
import type { ClosedChannel, CloseResolution, OnchainTransaction } from '../lightning/types.ts';
import { sat } from '../money.ts';
import { closeCost } from './close-cost.ts';

const txid = (c: string): Hex32 => parseHex32(c.repeat(64));
const FUNDING = txid('a');
const COMMIT = txid('b');
const SWEEP = txid('c');
const OTHER = txid('d');

const closed = (over: Partial<ClosedChannel>): ClosedChannel => ({
  channelPoint: { txid: FUNDING, outputIndex: 0 },
  remotePubkey: parsePubkey(`02${'1'.repeat(64)}`),
  capacity: sat(250_000n),
  closeType: 'LOCAL_FORCE_CLOSE',
  settledBalance: sat(248_800n),
  ...over,
});
const resolution = (over: Partial<CloseResolution>): CloseResolution => ({
  kind: 'commit',
  outcome: 'claimed',
  outpoint: { txid: COMMIT, outputIndex: 1 },
  amount: sat(248_800n),
  sweepTxid: SWEEP,
  ...over,
});
const tx = (id: Hex32, inputs: OnchainTransaction['inputs'], outputs: bigint[]): OnchainTransaction => ({
  txid: id,
  confirmations: 1,
  blockHeight: 500,
  fee: sat(0n),
  label: '',
  inputs,
  outputs: outputs.map((amount, outputIndex) => ({
    outputIndex,
    address: '',
    amount: sat(amount),
    ours: true,
  })),
});

test('a cooperative close costs its capacity less what it settled back', () => {
  const c = closeCost(closed({ closeType: 'COOPERATIVE_CLOSE', settledBalance: sat(249_700n) }), []);
  assert.deepEqual(c, { cost: sat(300n), unsplitSweeps: [] });
});

test('an abandoned channel cost nothing; a force close without resolutions counts what it settled', () => {
  assert.equal(closeCost(closed({ closeType: 'ABANDONED' }), []).cost, 0n);
  assert.equal(closeCost(closed({}), []).cost, 1_200n);
});

test('a force close costs the commitment fee, the anchor nobody swept for it, and its sweep', () => {
  const anchor = resolution({
    kind: 'anchor',
    outcome: 'unclaimed',
    outpoint: { txid: COMMIT, outputIndex: 0 },
    amount: sat(330n),
  });
  delete (anchor as { sweepTxid?: Hex32 }).sweepTxid;
  const c = closeCost(closed({ resolutions: [anchor, resolution({})] }), [
    tx(SWEEP, [{ txid: COMMIT, outputIndex: 1 }], [248_550n]),
  ]);
  // 250,000 − 248,550 that came back: the commitment's fee and anchor (1,200) and the sweep's 250.
  assert.deepEqual(c, { cost: sat(1_450n), unsplitSweeps: [] });
});

test("a sweep that spent other inputs too: this channel's output pays its share of the fee by value, rounded up", () => {
  // The sweep spends this channel's 248,800 and another 100,000 output, and pays a 301 sat fee.
  const c = closeCost(closed({ resolutions: [resolution({})] }), [
    tx(OTHER, [], [100_000n]),
    tx(
      SWEEP,
      [
        { txid: COMMIT, outputIndex: 1 },
        { txid: OTHER, outputIndex: 0 },
      ],
      [348_499n],
    ),
  ]);
  // 301 × 248,800 / 348,800 = 214.7: 215 is this channel's share.
  assert.deepEqual(c, { cost: sat(1_200n + 215n), unsplitSweeps: [] });
});

test('a sweep with an input of unknown value is counted whole, and named', () => {
  const c = closeCost(closed({ resolutions: [resolution({})] }), [
    tx(
      SWEEP,
      [
        { txid: COMMIT, outputIndex: 1 },
        { txid: OTHER, outputIndex: 3 },
      ],
      [300_000n],
    ),
  ]);
  assert.deepEqual(c, { cost: sat(1_200n), unsplitSweeps: [SWEEP] });
  // A sweep not among the wallet's transactions: the same.
  assert.deepEqual(closeCost(closed({ resolutions: [resolution({})] }), []).unsplitSweeps, [SWEEP]);
});
