/**
 * The LSP node's forwarding fees follow the fee schedule's routing fees: applied to every
 * channel at start, given to channels we open, and applied to each channel that opens later
 * whose own policy in the graph is not the schedule's (a peer opened it; the channels we open
 * carry the schedule's fees from their open, and a burst of twenty JIT opens would otherwise
 * sign twenty channel updates while its payments wait). A channel that opened while the event
 * stream was down is found by listing the channels when it is back (only channels not seen
 * before: the others may have fees the routing fee job moved). A channel LND has only just
 * opened may not be in its graph yet (an update is refused then: "could not update policies"),
 * so each new channel is looked at again until its edge is there.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  type Channel,
  type ChannelEdgePolicy,
  type ChannelPoint,
  type ChannelsPort,
  type FeeSchedule,
  formatChannelPoint,
  type GraphPort,
  type Msat,
} from '@blgv/core';
import type { Logger } from 'pino';

/** Forwarding fees given to a channel at open. */
export interface ForwardingFees {
  readonly baseFee?: Msat;
  readonly feeRatePpm?: bigint;
}

/** The schedule's routing fees as forwarding fees. */
export function forwardingFees(schedule: FeeSchedule): Required<ForwardingFees> {
  return { baseFee: schedule.routing.baseFee, feeRatePpm: schedule.routing.feeRatePpm };
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;
/** Attempts for one new channel (about 3 minutes at the longest interval). */
const CHANNEL_ATTEMPTS = 25;

/** Keeps the node's forwarding policy on the schedule until `signal` aborts. */
export async function maintainForwardingPolicy(
  deps: {
    readonly lightning: Pick<ChannelsPort, 'channelEvents' | 'listChannels' | 'updateChannelPolicy'> &
      Pick<GraphPort, 'channelEdge'>;
    readonly schedule: FeeSchedule;
    /** The CLTV delta the node asks for each hop (LND needs one with every update). */
    readonly timeLockDelta: number;
    readonly log: Logger;
  },
  signal: AbortSignal,
): Promise<void> {
  const { lightning, log } = deps;
  const fees = forwardingFees(deps.schedule);
  const call = () => AbortSignal.any([signal, AbortSignal.timeout(15_000)]);
  const update = (channelPoint?: ChannelPoint) =>
    lightning.updateChannelPolicy(
      { ...fees, ...(channelPoint ? { channelPoint } : {}), timeLockDelta: deps.timeLockDelta },
      call(),
    );
  const onSchedule = (own: ChannelEdgePolicy) =>
    own.baseFee === fees.baseFee &&
    own.feeRatePpm === fees.feeRatePpm &&
    own.timeLockDelta === deps.timeLockDelta;
  /** A new channel: its edge read until the graph has it, updated only when off the schedule. */
  const settle = (channel: Channel) =>
    retry(
      async () => {
        const edge = await lightning.channelEdge(channel.scid, call());
        if (!edge) throw new Error('the channel is not in the graph yet');
        const own = edge.node1 === channel.remotePubkey ? edge.node2Policy : edge.node1Policy;
        if (own && onSchedule(own)) return;
        await update(channel.channelPoint);
      },
      { attempts: CHANNEL_ATTEMPTS, signal, log, what: formatChannelPoint(channel.channelPoint) },
    );
  /** Channels given the schedule's fees (by the update of every channel or one of their own). */
  let seen: Set<string> | undefined;
  /** A channel LND says opened: given the schedule's fees unless it has them. */
  const opened = (channel: Channel) => {
    seen?.add(formatChannelPoint(channel.channelPoint));
    void settle(channel).catch(() => {});
  };
  /** After a reconnection: channels that opened while the stream was down. */
  const catchUp = async () => {
    try {
      for (const c of await lightning.listChannels(AbortSignal.any([signal, AbortSignal.timeout(15_000)])))
        if (!seen?.has(formatChannelPoint(c.channelPoint))) opened(c);
    } catch (err) {
      if (!signal.aborted) log.warn({ err }, 'listing channels after a reconnection failed');
    }
  };
  let connections = 0;
  let reconnectedEarly = false;
  const connected = Promise.withResolvers<void>();
  // Subscribe first so a channel opening while the global update runs is not missed.
  const events = lightning.channelEvents({
    signal,
    onConnected: () => {
      connections++;
      if (connections === 1) return connected.resolve();
      if (seen) void catchUp();
      else reconnectedEarly = true;
    },
  });
  const aborted = () => connected.reject(signal.reason);
  signal.addEventListener('abort', aborted, { once: true });
  try {
    // Once the stream is up, the channels are listed, then every channel is updated: each
    // listed gets the update; any opening later comes as an event (or, if the stream was down
    // meanwhile, with the next catch-up).
    await connected.promise;
    signal.removeEventListener('abort', aborted);
    const before = await retry(
      () => lightning.listChannels(AbortSignal.any([signal, AbortSignal.timeout(15_000)])),
      { attempts: Number.POSITIVE_INFINITY, signal, log, what: 'listing channels' },
    );
    await retry(() => update(), { attempts: Number.POSITIVE_INFINITY, signal, log, what: 'every channel' });
    seen = new Set(before.map((c) => formatChannelPoint(c.channelPoint)));
    if (reconnectedEarly) void catchUp();
    log.info(
      { baseFeeMsat: Number(fees.baseFee), feeRatePpm: Number(fees.feeRatePpm) },
      'forwarding fees applied to every channel',
    );
    for await (const e of events) {
      if (e.type === 'open') opened(e.channel);
    }
  } catch (err) {
    if (!signal.aborted) log.error({ err }, 'forwarding policy job stopped');
  }
}

async function retry<T>(
  call: () => Promise<T>,
  options: { attempts: number; signal: AbortSignal; log: Logger; what: string },
): Promise<T> {
  let wait = FIRST_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (options.signal.aborted || attempt >= options.attempts) throw err;
      options.log.debug(
        { err, what: options.what, attempt },
        'forwarding policy call failed or the channel is not in the graph yet; retrying',
      );
    }
    // Backoff between attempts of an update LND refused (not a wait for a condition in a test).
    await delay(wait, undefined, { signal: options.signal });
    wait = Math.min(wait * 2, MAX_RETRY_MS);
  }
}
