import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChannelRequestState, nextChannelRequestState } from './channel-request-machine.ts';

const committed = { type: 'committed', fundingId: 'f', txid: 'ab'.repeat(32), outputIndex: 1 } as const;

test('a request goes queued -> opening -> publishing -> pending -> open -> closed', () => {
  let state: ChannelRequestState = 'queued';
  const path: string[] = [state];
  for (const event of [
    { type: 'open_started' },
    committed,
    { type: 'published' },
    { type: 'confirmed' },
    { type: 'closed' },
  ] as const) {
    const step = nextChannelRequestState(state, event);
    assert.ok(step.ok, `${event.type} from ${state}`);
    state = step.state;
    path.push(state);
  }
  assert.deepEqual(path, ['queued', 'opening', 'publishing', 'pending', 'open', 'closed']);
});

test('the commit records the funding and asks to publish it', () => {
  const step = nextChannelRequestState('opening', committed);
  assert.ok(step.ok);
  assert.deepEqual(step.effects, [{ type: 'publish', fundingId: 'f' }]);
  assert.deepEqual(step.funding, { fundingId: 'f', txid: committed.txid, outputIndex: 1 });
});

test('a failure refunds only before the commit point', () => {
  for (const from of ['queued', 'opening'] as const) {
    const step = nextChannelRequestState(from, { type: 'open_failed', reason: 'peer refused' });
    assert.ok(step.ok);
    assert.equal(step.state, 'failed');
    assert.deepEqual(step.effects, [{ type: 'refund' }]);
    assert.equal(step.failure, 'peer refused');
  }
  for (const from of ['publishing', 'pending', 'open', 'closed', 'failed'] as const) {
    const step = nextChannelRequestState(from, { type: 'open_failed', reason: 'late' });
    assert.equal(step.ok, false, `no refund from ${from}`);
  }
});

test('late and repeated events are refused, not applied', () => {
  assert.equal(nextChannelRequestState('pending', committed).ok, false);
  assert.equal(nextChannelRequestState('queued', { type: 'published' }).ok, false);
  assert.equal(nextChannelRequestState('failed', { type: 'confirmed' }).ok, false);
  assert.equal(nextChannelRequestState('closed', { type: 'closed' }).ok, false);
});
