import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { retryUntilDone, settleBy } from './retry.ts';

const log = pino({ level: 'silent' });

test('a failing step is retried until it succeeds', async () => {
  let calls = 0;
  const value = await retryUntilDone(
    async () => {
      calls++;
      if (calls < 3) throw new Error('LND unavailable');
      return 'done';
    },
    { what: 'step', signal: new AbortController().signal, log, minDelayMs: 1 },
  );
  assert.equal(value, 'done');
  assert.equal(calls, 3);
});

test('retrying stops when its signal aborts', async () => {
  const stop = new AbortController();
  const run = retryUntilDone(
    async () => {
      stop.abort(new Error('stopped'));
      throw new Error('down');
    },
    { what: 'step', signal: stop.signal, log, minDelayMs: 1 },
  );
  await assert.rejects(run, /stopped/);
});

test('settleBy reports what settled before the deadline and what did not', async () => {
  const deadline = new AbortController();
  const never = new Promise<string>(() => {});
  const results = settleBy(
    [Promise.resolve('a'), Promise.reject(new Error('refused')), never],
    deadline.signal,
  );
  deadline.abort(new Error('deadline'));
  const [a, b, c] = await results;
  assert.deepEqual(a, { ok: true, value: 'a' });
  assert.equal(b?.ok, false);
  assert.match(String(!b?.ok && b?.error), /refused/);
  assert.match(String(!c?.ok && c?.error), /deadline/);
});
