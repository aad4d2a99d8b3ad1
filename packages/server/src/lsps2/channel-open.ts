/**
 * Waiting until a funded JIT channel (or a wrapped invoice's) is active, on LND's channel events
 * rather than a timer, so the held HTLCs go out the moment the channel can carry them. Every
 * wait on one node shares one event stream and one `ListChannels` at a time: a burst of opens
 * (a batch of twenty JIT channels) would otherwise open a stream and list the channels for each.
 */
import type { Channel, ChannelEvent, ChannelPoint, ChannelsPort } from '@blgv/core';

/** The calls a wait makes. */
export type ChannelActivityLightning = Pick<ChannelsPort, 'channelEvents' | 'listChannels'>;

/** How long one `ListChannels` may take. */
const LIST_TIMEOUT_MS = 30_000;

const keyOf = (p: ChannelPoint) => `${p.txid}:${p.outputIndex}`;

function pointOf(e: ChannelEvent): ChannelPoint {
  return e.type === 'open' ? e.channel.channelPoint : e.channelPoint;
}

interface Stream {
  readonly stop: AbortController;
  /** Resolves once the stream is established (rejects when it fails first). */
  readonly connected: Promise<void>;
}

interface Waiter {
  readonly resolve: (channel: Channel) => void;
  readonly reject: (err: unknown) => void;
}

/** The waits on one node: one event stream while any is waiting, one listing at a time. */
export class ChannelActivity {
  readonly #lightning: ChannelActivityLightning;
  readonly #waiting = new Map<string, Set<Waiter>>();
  /** The event stream, while any wait is on. */
  #stream: Stream | undefined;
  /** A listing is under way; `#again`: another is wanted once it ends (an event came meanwhile). */
  #listing = false;
  #again = false;

  constructor(lightning: ChannelActivityLightning) {
    this.#lightning = lightning;
  }

  /** Resolves with the channel at `channelPoint` once LND lists it active. */
  async active(channelPoint: ChannelPoint, signal: AbortSignal): Promise<Channel> {
    signal.throwIfAborted();
    const key = keyOf(channelPoint);
    const found = Promise.withResolvers<Channel>();
    const waiter: Waiter = { resolve: found.resolve, reject: found.reject };
    const waiters = this.#waiting.get(key) ?? new Set<Waiter>();
    waiters.add(waiter);
    this.#waiting.set(key, waiters);
    const onAbort = () => found.reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Listen before looking, so the `active` event cannot slip past.
      await Promise.race([this.#listen().connected, found.promise]);
      this.#list();
      return await found.promise;
    } finally {
      signal.removeEventListener('abort', onAbort);
      waiters.delete(waiter);
      if (waiters.size === 0 && this.#waiting.get(key) === waiters) this.#waiting.delete(key);
      if (this.#waiting.size === 0) this.#stop();
    }
  }

  /** The stream, started when the first wait begins. */
  #listen(): Stream {
    if (this.#stream) return this.#stream;
    const stop = new AbortController();
    const connected = Promise.withResolvers<void>();
    let first = true;
    const stream: Stream = { stop, connected: connected.promise };
    this.#stream = stream;
    void (async () => {
      try {
        for await (const e of this.#lightning.channelEvents({
          signal: stop.signal,
          onConnected: () => {
            connected.resolve();
            // Reconnected: an event may have been missed while it was down.
            if (!first) this.#list();
            first = false;
          },
        })) {
          if (this.#waiting.has(keyOf(pointOf(e)))) this.#list();
        }
        if (!stop.signal.aborted) throw new Error('channel events ended');
      } catch (err) {
        if (stop.signal.aborted) return;
        connected.reject(err);
        this.#failAll(err);
      } finally {
        if (this.#stream === stream) this.#stream = undefined;
      }
    })();
    connected.promise.catch(() => {});
    return stream;
  }

  #stop(): void {
    this.#stream?.stop.abort();
    this.#stream = undefined;
  }

  /** Lists the channels (one listing at a time, again once it ends if asked meanwhile). */
  #list(): void {
    if (this.#listing) {
      this.#again = true;
      return;
    }
    this.#listing = true;
    this.#again = false;
    this.#lightning
      .listChannels(AbortSignal.timeout(LIST_TIMEOUT_MS))
      .then(
        (channels) => {
          for (const c of channels) {
            if (!c.active) continue;
            for (const w of this.#waiting.get(keyOf(c.channelPoint)) ?? []) w.resolve(c);
          }
        },
        (err: unknown) => this.#failAll(err),
      )
      .finally(() => {
        this.#listing = false;
        if (this.#again && this.#waiting.size > 0) this.#list();
      });
  }

  /** Every wait fails with `err` (its caller tries again, as after any failed call). */
  #failAll(err: unknown): void {
    for (const waiters of this.#waiting.values()) for (const w of waiters) w.reject(err);
  }
}

/** One {@link ChannelActivity} per node's ports. */
const byNode = new WeakMap<ChannelActivityLightning, ChannelActivity>();

/** Resolves with the channel at `channelPoint` once LND lists it active (shared per node). */
export function activeChannel(
  lightning: ChannelActivityLightning,
  target: { readonly channelPoint: ChannelPoint },
  signal: AbortSignal,
): Promise<Channel> {
  let activity = byNode.get(lightning);
  if (!activity) {
    activity = new ChannelActivity(lightning);
    byNode.set(lightning, activity);
  }
  return activity.active(target.channelPoint, signal);
}
