/**
 * Waiting for channels to become active, many at once, against a fake of the channel port: one
 * event stream for all the waits, listings coalesced, each wait ended by its own channel.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Channel, type ChannelEvent, type ChannelPoint, parseHex32 } from '@blgv/core';
import { ChannelActivity } from './channel-open.ts';

const point = (i: number): ChannelPoint => ({
  txid: parseHex32(String(i).padStart(64, '0')),
  outputIndex: i,
});

function fakeNode() {
  const active = new Set<number>();
  let streams = 0;
  let open = 0;
  let lists = 0;
  let push: ((e: ChannelEvent) => void) | undefined;
  const node = {
    listChannels: async () => {
      lists++;
      return [...active].map(
        (i) => ({ channelPoint: point(i), active: true, scid: BigInt(i) }) as never as Channel,
      );
    },
    channelEvents: ({ signal, onConnected }: { signal: AbortSignal; onConnected?: () => void }) => ({
      async *[Symbol.asyncIterator]() {
        streams++;
        open++;
        const queue: ChannelEvent[] = [];
        let wake: (() => void) | undefined;
        push = (e) => {
          queue.push(e);
          wake?.();
        };
        signal.addEventListener('abort', () => wake?.(), { once: true });
        onConnected?.();
        try {
          while (!signal.aborted) {
            const e = queue.shift();
            if (e) yield e;
            else await new Promise<void>((r) => (wake = r));
          }
        } finally {
          open--;
        }
      },
    }),
  };
  /** Channel `i` becomes active, and LND says so. */
  const activate = (i: number) => {
    active.add(i);
    push?.({ type: 'active', channelPoint: point(i) });
  };
  return {
    node,
    activate,
    active,
    counts: () => ({ streams, open, lists }),
  };
}

/** Until `condition` holds (a few turns of the event loop at most). */
async function settled(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(condition());
}

test('twenty waits share one event stream, each ends when its own channel is active, the stream then stops', async () => {
  const f = fakeNode();
  const activity = new ChannelActivity(f.node);
  const signal = AbortSignal.timeout(5_000);
  const done: number[] = [];
  const waits = Array.from({ length: 20 }, (_, i) =>
    activity.active(point(i), signal).then((c) => {
      done.push(Number(c.scid));
    }),
  );
  await settled(() => f.counts().lists >= 1);
  assert.equal(f.counts().streams, 1, 'one stream for all the waits');
  f.activate(7);
  await settled(() => done.length === 1);
  assert.deepEqual(done, [7], 'only the channel that became active');
  for (let i = 0; i < 20; i++) if (i !== 7) f.activate(i);
  await Promise.all(waits);
  assert.equal(done.length, 20);
  await settled(() => f.counts().open === 0);
  const { streams, lists } = f.counts();
  assert.equal(streams, 1);
  assert.ok(lists < 20, `listings coalesced (${lists} for 20 waits and 20 events)`);
});

test('a channel already active is found by the first listing; an aborted wait leaves the others waiting', async () => {
  const f = fakeNode();
  f.active.add(1);
  const activity = new ChannelActivity(f.node);
  assert.equal(Number((await activity.active(point(1), AbortSignal.timeout(5_000))).scid), 1);

  const gaveUp = new AbortController();
  const abandoned = activity.active(point(2), gaveUp.signal);
  const kept = activity.active(point(3), AbortSignal.timeout(5_000));
  await settled(() => f.counts().open === 1);
  gaveUp.abort(new Error('the caller gave up'));
  await assert.rejects(abandoned, /the caller gave up/);
  f.activate(3);
  assert.equal(Number((await kept).scid), 3);
  await settled(() => f.counts().open === 0);
});
