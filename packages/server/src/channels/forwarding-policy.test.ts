/**
 * The forwarding policy job against a fake of the channel port whose event stream can drop and
 * come back: a channel that opened while it was down still gets the schedule's fees, and the
 * catch-up after a reconnection leaves channels the job has seen alone (their fees may have been
 * moved since).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Channel,
  type ChannelEvent,
  type ChannelPoint,
  type ChannelPolicyUpdate,
  DEFAULT_FEE_SCHEDULE,
  formatChannelPoint,
  parseHex32,
} from '@blgv/core';
import pino from 'pino';
import { maintainForwardingPolicy } from './forwarding-policy.ts';

const point = (i: number): ChannelPoint => ({
  txid: parseHex32(String(i).padStart(64, '0')),
  outputIndex: i,
});

/** A node with channels `open`, whose event stream `drop()` loses and reconnects. */
function fakeNode(initial: number[]) {
  const open = new Set(initial);
  const updates: string[] = [];
  let lists = 0;
  let push: ((e: ChannelEvent | 'drop') => void) | undefined;
  const node = {
    listChannels: async () => {
      lists++;
      return [...open].map((i) => ({ channelPoint: point(i) }) as never as Channel);
    },
    updateChannelPolicy: async (u: ChannelPolicyUpdate) => {
      updates.push(u.channelPoint ? formatChannelPoint(u.channelPoint) : 'every channel');
    },
    // Like the adapter's stream: subscribed when called, `onConnected` on each (re)connection.
    channelEvents: ({ signal, onConnected }: { signal: AbortSignal; onConnected?: () => void }) => {
      const queue: ChannelEvent[] = [];
      let wake: (() => void) | undefined;
      push = (e) => {
        if (e === 'drop') queueMicrotask(() => onConnected?.());
        else {
          queue.push(e);
          wake?.();
        }
      };
      queueMicrotask(() => onConnected?.());
      signal.addEventListener('abort', () => wake?.(), { once: true });
      return {
        async *[Symbol.asyncIterator]() {
          while (!signal.aborted) {
            const e = queue.shift();
            if (e) yield e;
            else await new Promise<void>((r) => (wake = r));
          }
        },
      };
    },
  };
  return {
    node,
    updates,
    lists: () => lists,
    /** Channel `i` opens; LND tells the stream (unless it is down). */
    opens(i: number, told = true) {
      open.add(i);
      if (told) push?.({ type: 'open', channel: { channelPoint: point(i) } as never as Channel });
    },
    /** The stream goes down (events meanwhile are lost) and comes back. */
    drop: () => push?.('drop'),
  };
}

async function until(condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(condition());
}

test('a channel that opened while the event stream was down gets the fees once it is back; known channels are left alone', async () => {
  const f = fakeNode([1, 2]);
  const stop = new AbortController();
  const job = maintainForwardingPolicy(
    { lightning: f.node, schedule: DEFAULT_FEE_SCHEDULE, timeLockDelta: 40, log: pino({ level: 'silent' }) },
    stop.signal,
  );
  await until(() => f.updates.includes('every channel'));
  f.opens(3);
  await until(() => f.updates.includes(formatChannelPoint(point(3))));
  f.opens(4, false); // while the stream is down: no event
  f.drop();
  await until(() => f.updates.includes(formatChannelPoint(point(4))));
  f.drop(); // again, nothing new opened meanwhile
  await until(() => f.lists() === 3); // at start, then after each reconnection
  f.opens(5);
  await until(() => f.updates.includes(formatChannelPoint(point(5))));
  stop.abort();
  await job;
  assert.deepEqual(f.updates, [
    'every channel',
    formatChannelPoint(point(3)),
    formatChannelPoint(point(4)),
    formatChannelPoint(point(5)),
  ]);
});
