/**
 * A fault-injecting wrapper of one of our ports around the real thing (the `LightningBackend`
 * around the real LND by default, or e.g. the hosted nodes' `NodeOrchestrator`): a test names a
 * call and what goes wrong with it (once or more), and every other call goes through untouched.
 */
import { ErrorCode, type LightningBackend, LspError } from '@blgv/core';

/** What goes wrong with a call. */
export type FaultMode =
  /** Fails before LND is asked (LND never sees the call). */
  | 'fail'
  /** Asks LND and fails at once, without waiting for its answer (as if the answer was lost). */
  | 'fail_after'
  /** Asks LND, then never answers (the caller waits forever); the fault counts as hit once LND answered. */
  | 'hang_after'
  /** Never asks LND and never answers. */
  | 'hang';

interface Fault {
  readonly mode: FaultMode;
  times: number;
  readonly error: () => Error;
  readonly hit: PromiseWithResolvers<void>;
}

const STREAMS = new Set<string>(['subscribeInvoices', 'subscribeInvoice', 'channelEvents', 'customMessages']);

/** Faults for one port (a `LightningBackend` unless told). */
export class Faults<Port extends object = LightningBackend> {
  readonly #faults = new Map<keyof Port, Fault>();

  /**
   * Makes the next `times` calls of `method` go wrong; resolves `hit` the first time. For a
   * stream, the fault breaks it (new or already running) at its next item, which is lost, as
   * when a connection drops.
   */
  inject(
    method: keyof Port,
    mode: FaultMode,
    options: { times?: number; error?: () => Error } = {},
  ): { hit: Promise<void> } {
    const hit = Promise.withResolvers<void>();
    this.#faults.set(method, {
      mode,
      times: options.times ?? 1,
      error:
        options.error ??
        (() =>
          new LspError(
            ErrorCode.LightningUnavailable,
            `injected fault in ${String(method)}: LND is not reachable`,
          )),
      hit,
    });
    return { hit: hit.promise };
  }

  /** The port with the faults applied. */
  wrap(backend: Port): Port {
    return new Proxy(backend, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const method = prop as keyof Port;
        return (...args: unknown[]) => {
          const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
          if (STREAMS.has(String(method))) return this.#breakable(method, call() as AsyncIterable<unknown>);
          const fault = this.#take(method);
          if (!fault) return call();
          switch (fault.mode) {
            case 'fail':
              fault.hit.resolve();
              return Promise.reject(fault.error());
            case 'hang':
              fault.hit.resolve();
              return new Promise(() => {});
            case 'fail_after':
              fault.hit.resolve();
              Promise.resolve(call()).catch(() => {});
              return Promise.reject(fault.error());
            case 'hang_after':
              // Hit once LND has answered: a test that kills the process then knows LND acted.
              return Promise.resolve(call())
                .finally(() => fault.hit.resolve())
                .then(() => new Promise(() => {}));
          }
        };
      },
    });
  }

  /** A stream that fails at the item after a fault is injected into `method`. */
  async *#breakable(method: keyof Port, stream: AsyncIterable<unknown>): AsyncIterable<unknown> {
    for await (const item of stream) {
      const fault = this.#take(method);
      if (fault) {
        fault.hit.resolve();
        throw fault.error();
      }
      yield item;
    }
  }

  #take(method: keyof Port): Fault | undefined {
    const f = this.#faults.get(method);
    if (!f || f.times <= 0) return undefined;
    f.times--;
    return f;
  }
}
