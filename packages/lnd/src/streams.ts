/**
 * Long-lived LND streams that survive LND restarts: each is reopened with backoff until its
 * signal aborts, and surfaces as one continuous async iterable.
 */

import type { StreamOptions } from '@blgv/core';
import type { ClientDuplexStream, ClientReadableStream } from '@grpc/grpc-js';
import { AsyncQueue } from './async-queue.ts';
import { toLspError } from './errors.ts';

/** Hooks a stream reports to (logging lives with the caller). */
export interface StreamHooks {
  /** A stream broke and will be retried after `delayMs`. */
  onRetry?: (name: string, error: Error, delayMs: number) => void;
  /** Confirms the node answers; resolves once it does (used to report `onConnected`). */
  ping: (signal: AbortSignal) => Promise<unknown>;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/** Waits `ms` or until the signal aborts; a real backoff between reconnection attempts. */
function backoff(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

type AnyStream<Out> = ClientReadableStream<Out> | ClientDuplexStream<unknown, Out>;

/**
 * Keeps a stream open: `open` creates the gRPC call, `onMessage` handles each message. Resolves
 * when the signal aborts. `onOpen` gets each new call (for duplex writes).
 */
export async function keepStreaming<Out, S extends AnyStream<Out>>(
  name: string,
  open: () => S,
  onMessage: (message: Out, stream: S) => void,
  options: StreamOptions,
  hooks: StreamHooks,
  onOpen?: (stream: S | undefined) => void,
): Promise<void> {
  const { signal } = options;
  let delay = MIN_BACKOFF_MS;
  while (!signal.aborted) {
    const stream = open();
    onOpen?.(stream);
    const onAbort = () => stream.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    const ended = new Promise<Error>((resolve) => {
      stream.on('data', (m: Out) => {
        delay = MIN_BACKOFF_MS;
        onMessage(m, stream);
      });
      stream.on('error', (err: Error) => resolve(err));
      stream.on('end', () => resolve(new Error(`${name} stream ended`)));
    });
    hooks.ping(signal).then(
      () => {
        delay = MIN_BACKOFF_MS;
        options.onConnected?.();
      },
      () => {},
    );
    const err = await ended;
    signal.removeEventListener('abort', onAbort);
    onOpen?.(undefined);
    if (signal.aborted) break;
    hooks.onRetry?.(name, toLspError(err, name), delay);
    await backoff(delay, signal);
    delay = Math.min(delay * 2, MAX_BACKOFF_MS);
  }
}

/** A reconnecting server stream as an async iterable of mapped messages. */
export function resilientStream<Out, T>(
  name: string,
  open: () => ClientReadableStream<Out>,
  map: (message: Out) => T | undefined,
  options: StreamOptions,
  hooks: StreamHooks,
): AsyncIterable<T> {
  // Stopping the iteration early ends the gRPC stream too.
  const stop = new AbortController();
  const queue = new AsyncQueue<T>(() => stop.abort());
  keepStreaming<Out, ClientReadableStream<Out>>(
    name,
    open,
    (m: Out) => {
      const v = map(m);
      if (v !== undefined) queue.push(v);
    },
    { ...options, signal: AbortSignal.any([options.signal, stop.signal]) },
    hooks,
  ).then(
    () => queue.end(),
    (err: unknown) => queue.end(err),
  );
  return queue;
}
