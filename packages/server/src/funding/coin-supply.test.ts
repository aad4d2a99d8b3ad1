/**
 * Which coins a funding may spend when the wallet's confirmed ones do not cover it, and how
 * deep the chains of our own unconfirmed fundings grow.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Hex32, parseHex32, sat, type WalletCoin } from '@blgv/core';
import { CoinSupply, chooseInputs, MAX_UNCONFIRMED_CHAIN } from './coin-supply.ts';

const txid = (n: number): Hex32 => parseHex32(n.toString(16).padStart(64, '0'));
const coin = (n: number, amount: number, confirmations: number): WalletCoin => ({
  outpoint: { txid: txid(n), outputIndex: 1 },
  amount: sat(amount),
  confirmations,
});
const channel = (amount: number) => [{ address: 'bcrt1q-channel', amount: sat(amount) }];

test('confirmed coins first, then the change of our own fundings; never a leased coin or anyone else’s unconfirmed one', () => {
  const own = new Map([[txid(2), 1]]);
  const coins = [coin(1, 50_000, 0), coin(2, 400_000, 0), coin(3, 100_000, 3), coin(4, 900_000, 1)];
  const leased = [{ lockId: 'x', outpoint: coin(4, 0, 1).outpoint, expiresAt: new Date() }];
  // 100,000 confirmed is not enough for 300,000: our own change of 400,000 joins it.
  assert.deepEqual(chooseInputs(coins, leased, own, channel(300_000), 2n), [txid(3), txid(2)].map(point));
  // Enough confirmed: only that.
  assert.deepEqual(chooseInputs(coins, leased, own, channel(90_000), 2n), [point(txid(3))]);
  // Not enough without someone else's unconfirmed 50,000 (or the leased 900,000): none.
  assert.equal(chooseInputs(coins, leased, own, channel(499_600), 2n), undefined);
});

test('the fee of the inputs chosen is covered: a coin that pays the outputs but not the fee is not enough', () => {
  const coins = [coin(3, 100_000, 1)];
  // 11 + 68 + 2 × 43 = 165 vB at 10 sat/vB: 1,650 sat.
  assert.deepEqual(chooseInputs(coins, [], new Map(), channel(98_350), 10n), [point(txid(3))]);
  assert.equal(chooseInputs(coins, [], new Map(), channel(98_351), 10n), undefined);
});

test('chains of our own unconfirmed fundings stop at the bound; the shallowest change is spent first', () => {
  const supply = new CoinSupply();
  supply.funded(txid(1), [{ txid: txid(100), outputIndex: 0 }]); // from a confirmed coin
  for (let n = 2; n <= MAX_UNCONFIRMED_CHAIN; n++)
    supply.funded(txid(n), [{ txid: txid(n - 1), outputIndex: 1 }]);
  const depths = supply.depths();
  assert.equal(depths.get(txid(1)), 1);
  assert.equal(depths.get(txid(MAX_UNCONFIRMED_CHAIN)), MAX_UNCONFIRMED_CHAIN);
  const deepest = coin(MAX_UNCONFIRMED_CHAIN, 1_000_000, 0);
  assert.equal(chooseInputs([deepest], [], depths, channel(100_000), 2n), undefined, 'a chain at the bound');
  const shallow = coin(1, 200_000, 0);
  assert.deepEqual(chooseInputs([deepest, shallow, coin(5, 900_000, 0)], [], depths, channel(100_000), 2n), [
    point(txid(1)),
  ]);
});

test('a funding waiting for coins wakes when they may have come back, and stops at its deadline', async () => {
  const supply = new CoinSupply();
  const waiting = supply.next(AbortSignal.timeout(60_000));
  supply.changed();
  await waiting;
  const gone = new AbortController();
  const late = supply.next(gone.signal);
  gone.abort(new Error('deadline'));
  await assert.rejects(late, /deadline/);
});

function point(t: Hex32) {
  return { txid: t, outputIndex: 1 };
}
