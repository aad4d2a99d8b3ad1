import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webhookPatternProblem } from './event-types.ts';

test('known kinds and states pass; a typo in either is named', () => {
  for (const p of ['*', 'payment.*', 'payment.succeeded', 'channel_request.open', 'hosted_node_health.down'])
    assert.equal(webhookPatternProblem(p), undefined, p);
  assert.match(
    webhookPatternProblem('payment.succeded') ?? '',
    /unknown state "succeded" of payment; one of pending, succeeded, failed/,
  );
  assert.match(webhookPatternProblem('invoice.paid') ?? '', /subject kind of channel_request/);
  assert.match(webhookPatternProblem('payment') ?? '', /must be/);
  assert.match(webhookPatternProblem('payment.failed.x') ?? '', /must be/);
});
