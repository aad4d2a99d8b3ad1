/**
 * The forwarding policy job against a fake of the channel port whose event stream can drop and
 * come back: a channel that opened while it was down still gets the schedule's fees, and the
 * catch-up after a reconnection leaves channels the job has seen alone (their fees may have been
 * moved since). A new channel already on the schedule (one the LSP opened with its fees) is not
 * updated; one not yet in the graph is updated once it is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Channel,
  type ChannelEdge,
  type ChannelEdgePolicy,
  type ChannelEvent,
  type ChannelPoint,
  type ChannelPolicyUpdate,
  DEFAULT_FEE_SCHEDULE,
  formatChannelPoint,
  msat,
  type Pubkey,
  parseHex32,
  type Scid,
} from '@blgv/core';
import pino from 'pino';
import { maintainForwardingPolicy } from './forwarding-policy.ts';

const point = (i: number): ChannelPoint => ({
  txid: parseHex32(String(i).padStart(64, '0')),
  outputIndex: i,
});

const TIME_LOCK_DELTA = 40;
const LSP = 'lsp' as Pubkey;
const PEER = 'peer' as Pubkey;
const channel = (i: number) =>
  ({ channelPoint: point(i), scid: BigInt(i), remotePubkey: PEER }) as never as Channel;
/** The schedule's policy, or LND's defaults (what a channel a peer opened has). */
const policy = (onSchedule: boolean) =>
  ({
    baseFee: onSchedule ? DEFAULT_FEE_SCHEDULE.routing.baseFee : msat(1_000n),
    feeRatePpm: onSchedule ? DEFAULT_FEE_SCHEDULE.routing.feeRatePpm : 1n,
    timeLockDelta: onSchedule ? TIME_LOCK_DELTA : 80,
  }) as never as ChannelEdgePolicy;

/**
 * A node with channels `open`, whose event stream `drop()` loses and reconnects. A channel's
 * own policy in the graph is LND's default unless `onSchedule` has it; one in `unknown` is not
 * in the graph (yet).
 */
function fakeNode(initial: number[]) {
  const open = new Set(initial);
  const onSchedule = new Set<number>();
  const unknown = new Set<number>();
  const updates: string[] = [];
  let lists = 0;
  let push: ((e: ChannelEvent | 'drop') => void) | undefined;
  const node = {
    listChannels: async () => {
      lists++;
      return [...open].map(channel);
    },
    channelEdge: async (scid: Scid): Promise<ChannelEdge | undefined> => {
      const i = Number(scid);
      if (unknown.has(i)) return undefined;
      return {
        scid,
        node1: PEER,
        node2: LSP,
        node1Policy: undefined,
        node2Policy: policy(onSchedule.has(i)),
      };
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
    onSchedule,
    unknown,
    lists: () => lists,
    /** Channel `i` opens; LND tells the stream (unless it is down). */
    opens(i: number, told = true) {
      open.add(i);
      if (told) push?.({ type: 'open', channel: channel(i) });
    },
    /** The stream goes down (events meanwhile are lost) and comes back. */
    drop: () => push?.('drop'),
  };
}

/** Polls `condition` against a deadline (the job's retries back off from 250 ms). */
async function until(condition: () => boolean, deadlineMs = 5_000) {
  const end = Date.now() + deadlineMs;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition());
}

function startJob(f: ReturnType<typeof fakeNode>, stop: AbortController) {
  return maintainForwardingPolicy(
    {
      lightning: f.node,
      schedule: DEFAULT_FEE_SCHEDULE,
      timeLockDelta: TIME_LOCK_DELTA,
      log: pino({ level: 'silent' }),
    },
    stop.signal,
  );
}

test('a channel that opened while the event stream was down gets the fees once it is back; known channels are left alone', async () => {
  const f = fakeNode([1, 2]);
  const stop = new AbortController();
  const job = startJob(f, stop);
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

test("a new channel that already has the schedule's fees is not updated; one not yet in the graph is, once it is there", async () => {
  const f = fakeNode([1]);
  const stop = new AbortController();
  const job = startJob(f, stop);
  await until(() => f.updates.includes('every channel'));
  // Opened by the LSP with the schedule's fees: its edge says so.
  f.onSchedule.add(2);
  f.opens(2);
  // Opened by a peer, and not in LND's graph when the event comes.
  f.unknown.add(3);
  f.opens(3);
  f.opens(4); // a peer's, in the graph at once
  await until(() => f.updates.includes(formatChannelPoint(point(4))));
  assert.ok(!f.updates.includes(formatChannelPoint(point(3))), 'no update before the edge is there');
  f.unknown.delete(3);
  await until(() => f.updates.includes(formatChannelPoint(point(3))));
  stop.abort();
  await job;
  assert.deepEqual(f.updates, ['every channel', formatChannelPoint(point(4)), formatChannelPoint(point(3))]);
});
