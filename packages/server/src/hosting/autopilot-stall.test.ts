/**
 * When an autopilot node's agent is started again: only a node able to open a channel to the
 * LSP (a free slot, funds within its allocation) that has not for a while, and not too often.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sat } from '@blgv/core';
import {
  AUTOPILOT_STALL_MAX_MS,
  AUTOPILOT_STALL_MS,
  type AutopilotFacts,
  couldOpenToLsp,
  nextStallStep,
} from './autopilot-stall.ts';

const funded: AutopilotFacts = {
  toLsp: 0,
  channels: 0,
  inChannels: sat(0),
  confirmed: sat(500_000),
  config: { maxChannels: 1, allocationPercent: 60, minChannelSize: sat(20_000) },
};

test('a funded node with a free slot and no channel to the LSP could open one; otherwise not', () => {
  assert.equal(couldOpenToLsp(funded), true);
  assert.equal(couldOpenToLsp({ ...funded, toLsp: 1, channels: 1 }), false, 'it has one');
  assert.equal(couldOpenToLsp({ ...funded, channels: 1 }), false, 'its one slot is taken by another peer');
  assert.equal(couldOpenToLsp({ ...funded, confirmed: sat(30_000) }), false, '60 % of it is under a channel');
  assert.equal(
    couldOpenToLsp({
      ...funded,
      confirmed: sat(200_000),
      inChannels: sat(300_000),
      config: { ...funded.config, maxChannels: 3 },
    }),
    false,
    'its allocation is in channels already',
  );
});

test('the agent starts again once the node has been stalled for the whole wait, the wait doubling with each start', () => {
  let watch = {};
  const at = (now: number, stalled = true) => {
    const step = nextStallStep(watch, stalled, now);
    watch = step.watch;
    return step.restart;
  };
  const wait = AUTOPILOT_STALL_MS;
  assert.equal(at(0), false, 'first seen stalled');
  assert.equal(at(wait - 1), false);
  assert.equal(at(wait), true, 'stalled for the whole wait');
  assert.equal(at(wait + 1_000), false, 'just started again');
  assert.equal(at(2 * wait), false, 'the next wait is twice as long');
  assert.equal(at(3 * wait), true, 'still stalled two waits after the start');
  assert.equal(at(3 * wait + 4 * wait - 1), false);
  assert.equal(at(3 * wait + 4 * wait), true, 'then four');
  assert.equal(at(8 * wait, false), false, 'it opened');
  assert.equal(at(8 * wait + 1_000), false, 'stalled again: the wait starts over');
  assert.equal(at(9 * wait + 1_000), true, 'one wait, as at first');
});

test('the wait between starts stops doubling at the longest', () => {
  let watch = {};
  let now = 0;
  let starts = 0;
  for (; now < 6 * AUTOPILOT_STALL_MAX_MS; now += 1_000) {
    const step = nextStallStep(watch, true, now);
    watch = step.watch;
    if (step.restart) starts++;
  }
  // Waits of 30 s, 1, 2, 4, 8, 16 and 32 min (starts at 30 s … 63.5 min), then an hour each
  // (at 2 h 3.5 min, 3 h 3.5 min, 4 h 3.5 min and 5 h 3.5 min): 11 in six hours.
  assert.equal(starts, 11);
});
