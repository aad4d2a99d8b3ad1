/**
 * Waiting until a funded JIT channel is active, on LND's channel events rather than a timer,
 * so the held HTLCs go out the moment the channel can carry them.
 */
import type { Channel, ChannelEvent, ChannelPoint, ChannelsPort } from '@blgv/core';

const same = (a: ChannelPoint, b: ChannelPoint) => a.txid === b.txid && a.outputIndex === b.outputIndex;

function concerns(e: ChannelEvent, point: ChannelPoint): boolean {
  if (e.type === 'open') return same(e.channel.channelPoint, point);
  return same(e.channelPoint, point);
}

/** Resolves with the channel at `channelPoint` once LND lists it active. */
export async function activeChannel(
  lightning: Pick<ChannelsPort, 'channelEvents' | 'listChannels'>,
  target: { readonly channelPoint: ChannelPoint },
  signal: AbortSignal,
): Promise<Channel> {
  const stop = new AbortController();
  const connected = Promise.withResolvers<void>();
  const events = lightning
    .channelEvents({ signal: AbortSignal.any([signal, stop.signal]), onConnected: () => connected.resolve() })
    [Symbol.asyncIterator]();
  let next = events.next();
  try {
    // Listen before looking, so the `active` event cannot slip past.
    await Promise.race([connected.promise, next]);
    const point = target.channelPoint;
    for (;;) {
      const channel = (await lightning.listChannels(signal)).find(
        (c) => c.active && same(c.channelPoint, point),
      );
      if (channel) return channel;
      for (;;) {
        const r = await next;
        next = events.next();
        if (r.done) throw signal.reason ?? new Error('channel events ended');
        if (concerns(r.value, point)) break;
      }
    }
  } finally {
    next.catch(() => {});
    stop.abort();
  }
}
