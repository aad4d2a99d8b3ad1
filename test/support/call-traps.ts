/**
 * A wrapper of one of our ports around the real thing (the `LightningBackend` around the real
 * LND, the hosted nodes' `NodeOrchestrator` around the real driver) that runs a story's action
 * at an exact moment of a flow: right after the real call answered, before the server hears the
 * answer; or, for the HTLC interceptor, when LND hands an HTLC over, before the server sees it.
 * Every other call goes through untouched. (`faulty-backend.ts` makes calls fail; this lets
 * them succeed while something else goes wrong, e.g. the database crashes.)
 */
import type { HtlcInterceptor, InterceptedHtlc, LightningBackend } from '@blgv/core';

interface Trap {
  readonly action: () => Promise<void>;
  readonly hit: PromiseWithResolvers<void>;
}

/** One-shot traps on calls of one port. */
export class CallTraps<Port extends object> {
  readonly #traps = new Map<PropertyKey, Trap>();

  /**
   * At the next call of `method`: the real call runs, then `action`, then the caller gets the
   * real answer (or error). `hit` resolves once `action` is done.
   */
  after(method: keyof Port, action: () => Promise<void>): { hit: Promise<void> } {
    return this.#arm(method, action);
  }

  /** The port with the traps armed. */
  wrap(port: Port): Port {
    return new Proxy(port, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const answer = (value as (...a: unknown[]) => unknown).apply(target, args);
          const trap = this.#take(prop);
          if (!trap) return answer;
          const settled = Promise.resolve(answer).then(
            (v) => ({ ok: true as const, v }),
            (e: unknown) => ({ ok: false as const, e }),
          );
          return settled.then(async (r) => {
            await this.#spring(trap);
            if (!r.ok) throw r.e;
            return r.v;
          });
        };
      },
    });
  }

  #arm(key: PropertyKey, action: () => Promise<void>): { hit: Promise<void> } {
    const hit = Promise.withResolvers<void>();
    hit.promise.catch(() => {});
    this.#traps.set(key, { action, hit });
    return { hit: hit.promise };
  }

  #take(key: PropertyKey): Trap | undefined {
    const trap = this.#traps.get(key);
    if (trap) this.#traps.delete(key);
    return trap;
  }

  async #spring(trap: Trap): Promise<void> {
    try {
      await trap.action();
      trap.hit.resolve();
    } catch (err) {
      trap.hit.reject(err);
    }
  }

  /** For subclasses: arms a trap under a key of their own. */
  protected arm(key: PropertyKey, action: () => Promise<void>): { hit: Promise<void> } {
    return this.#arm(key, action);
  }

  /** For subclasses: takes the trap armed under `key` and runs its action. */
  protected async springIfArmed(key: PropertyKey): Promise<void> {
    const trap = this.#take(key);
    if (trap) await this.#spring(trap);
  }
}

const INTERCEPTED = Symbol('intercepted HTLC');

/** Traps on the Lightning backend, the HTLC interceptor's stream included. */
export class LightningTraps extends CallTraps<LightningBackend> {
  /** At the next HTLC LND hands the interceptor: `action` runs before the server sees it. */
  htlcIntercepted(action: () => Promise<void>): { hit: Promise<void> } {
    return this.arm(INTERCEPTED, action);
  }

  override wrap(backend: LightningBackend): LightningBackend {
    const wrapped = super.wrap(backend);
    return new Proxy(wrapped, {
      get: (target, prop, receiver) => {
        if (prop !== 'interceptHtlcs') return Reflect.get(target, prop, receiver);
        return (options: Parameters<LightningBackend['interceptHtlcs']>[0]): HtlcInterceptor => {
          const inner = backend.interceptHtlcs(options);
          const trapped = async function* (traps: LightningTraps): AsyncIterable<InterceptedHtlc> {
            for await (const htlc of inner.htlcs) {
              await traps.springIfArmed(INTERCEPTED);
              yield htlc;
            }
          };
          return { htlcs: trapped(this), resolve: (r) => inner.resolve(r) };
        };
      },
    });
  }
}
