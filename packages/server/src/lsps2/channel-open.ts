/**
 * Opening the JIT channel and waiting until it is active, on LND's channel events rather than
 * a timer, so the held HTLCs go out the moment the channel can carry them.
 */
import type { Channel, ChannelEvent, ChannelPoint, LightningBackend, OpenChannelRequest } from '@blgv/core';

const same = (a: ChannelPoint, b: ChannelPoint) => a.txid === b.txid && a.outputIndex === b.outputIndex;

function concerns(e: ChannelEvent, point: ChannelPoint): boolean {
  if (e.type === 'open') return same(e.channel.channelPoint, point);
  return same(e.channelPoint, point);
}

/**
 * Opens a channel (`{ open }`) or takes one already funded (`{ channelPoint }`, e.g. found after
 * a restart) and resolves with it once LND lists it active.
 */
export async function activeChannel(
  lightning: LightningBackend,
  target: { readonly open: OpenChannelRequest } | { readonly channelPoint: ChannelPoint },
  signal: AbortSignal,
): Promise<Channel> {
  const stop = new AbortController();
  const connected = Promise.withResolvers<void>();
  const events = lightning
    .channelEvents({ signal: AbortSignal.any([signal, stop.signal]), onConnected: () => connected.resolve() })
    [Symbol.asyncIterator]();
  let next = events.next();
  try {
    // Listen before opening, so the `active` event cannot slip past.
    await Promise.race([connected.promise, next]);
    const point =
      'open' in target
        ? (await lightning.openChannel(target.open, signal)).channelPoint
        : target.channelPoint;
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
