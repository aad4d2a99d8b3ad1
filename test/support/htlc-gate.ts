/**
 * A wrapper of our `LightningBackend` port around the real LND that, when asked, lets the LSP
 * see only the first HTLC of one payment and keeps the others back until the test releases
 * them: a multi-part payment is then held half-arrived for as long as a story needs.
 */
import type { Hex32, HtlcInterceptor, InterceptedHtlc, LightningBackend } from '@blgv/core';
import { AsyncQueue } from '@blgv/lnd';

/** Holds back HTLCs of one payment. */
export class HtlcGate {
  #hash: Hex32 | undefined;
  #passed = 0;
  readonly #kept: InterceptedHtlc[] = [];
  #out: AsyncQueue<InterceptedHtlc> | undefined;
  /** Resolves once an HTLC of the gated payment has been kept back. */
  readonly keptOne = Promise.withResolvers<void>();

  /** From now on, HTLCs paying `hash` after the first are kept back. */
  gate(hash: Hex32): void {
    this.#hash = hash;
  }

  /** Lets the kept HTLCs through (and every later one). */
  release(): void {
    this.#hash = undefined;
    for (const h of this.#kept.splice(0)) this.#out?.push(h);
  }

  /** The backend whose HTLC interceptor goes through the gate. */
  wrap(backend: LightningBackend): LightningBackend {
    return new Proxy(backend, {
      get: (target, prop, receiver) => {
        if (prop !== 'interceptHtlcs') {
          const value = Reflect.get(target, prop, receiver) as unknown;
          // Methods run on the real backend (its private fields are not the proxy's).
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (options: Parameters<LightningBackend['interceptHtlcs']>[0]): HtlcInterceptor => {
          const inner = target.interceptHtlcs(options);
          const out = new AsyncQueue<InterceptedHtlc>();
          this.#out = out;
          void (async () => {
            try {
              for await (const htlc of inner.htlcs) {
                if (htlc.paymentHash === this.#hash && this.#passed++ > 0) {
                  this.#kept.push(htlc);
                  this.keptOne.resolve();
                } else out.push(htlc);
              }
              out.end();
            } catch (err) {
              out.end(err);
            }
          })();
          return { htlcs: out, resolve: (r) => inner.resolve(r) };
        };
      },
    });
  }
}
