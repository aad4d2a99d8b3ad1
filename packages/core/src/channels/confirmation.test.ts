import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateConfirmation } from './confirmation.ts';

const estimates = [
  { targetConf: 6, satPerVbyte: 10n },
  { targetConf: 1, satPerVbyte: 50n },
  { targetConf: 144, satPerVbyte: 2n },
];

test('the fastest target the fee rate meets, ten minutes a block', () => {
  assert.deepEqual(estimateConfirmation(60n, estimates), { blocks: 1, seconds: 600 });
  assert.deepEqual(estimateConfirmation(10n, estimates), { blocks: 6, seconds: 3600 });
  assert.deepEqual(estimateConfirmation(3n, estimates), { blocks: 144, seconds: 86_400 });
});

test('below every estimate: the slowest target; no estimates: a week', () => {
  assert.equal(estimateConfirmation(1n, estimates).blocks, 144);
  assert.equal(estimateConfirmation(1n, []).blocks, 1008);
});
