/**
 * The HTLCs the forwarder holds in memory for JIT channels, per channel and in arrival order,
 * until they are forwarded over the new channel or let go: resumed unchanged, or failed back
 * with a BOLT 4 failure. Only this process knows them; after a restart LND replays the HTLCs it
 * still holds.
 */
import type { HeldHtlcFailure, HeldPart, HtlcInterceptor, HtlcResolution, InterceptedHtlc } from '@blgv/core';
import type { Logger } from 'pino';

/** The BOLT 4 failures HTLCs are sent back with. */
export type HtlcFailure = HeldHtlcFailure;

/** The HTLCs held for one JIT channel, in arrival order. */
export interface Held {
  readonly parts: Map<string, InterceptedHtlc>;
  readonly firstAt: Date;
  timer: NodeJS.Timeout | undefined;
  /** Evaluations of one JIT channel run one after another. */
  queue: Promise<void>;
  /** True while this process is opening the channel. */
  opening: boolean;
  /** Until when (epoch ms) an open the client refuses is tried again: it was just woken. */
  retryRefusalsUntil?: number | undefined;
}

/** An HTLC's key among the held parts: where it came in. */
export const htlcKey = (h: InterceptedHtlc): string => `${h.incomingScid}:${h.incomingHtlcId}`;

/** What names an HTLC to the interceptor. */
export function htlcIds(h: InterceptedHtlc): Pick<InterceptedHtlc, 'incomingScid' | 'incomingHtlcId'> {
  return { incomingScid: h.incomingScid, incomingHtlcId: h.incomingHtlcId };
}

/** A held HTLC as a part of a JIT payment (core's decision and fee split take these). */
export function toPart(h: InterceptedHtlc): HeldPart<string> {
  return { id: htlcKey(h), paymentHash: h.paymentHash, amount: h.outgoingAmount };
}

/** The HTLCs held per JIT channel, and how they are resolved through the interceptor. */
export class HeldHtlcs {
  readonly #held = new Map<string, Held>();
  /** Works queued through {@link serially} not finished yet, per holding. */
  readonly #turns = new Map<Held, number>();
  readonly #interceptor: () => HtlcInterceptor | undefined;
  readonly #log: Logger;

  constructor(deps: {
    /** The running interceptor (undefined before it runs). */
    interceptor: () => HtlcInterceptor | undefined;
    log: Logger;
  }) {
    this.#interceptor = deps.interceptor;
    this.#log = deps.log;
  }

  /** The parts held for a JIT channel, if any. */
  get(id: string): Held | undefined {
    return this.#held.get(id);
  }

  /** True while parts are held (or an open is being finished) for a JIT channel. */
  has(id: string): boolean {
    return this.#held.has(id);
  }

  /** Starts holding for a JIT channel: no parts yet, first seen now. */
  start(id: string): Held {
    const held: Held = {
      parts: new Map(),
      firstAt: new Date(),
      timer: undefined,
      queue: Promise.resolve(),
      opening: false,
    };
    this.#held.set(id, held);
    return held;
  }

  /** Stops holding one HTLC (it is being failed back alone); the other parts stay held. */
  forget(htlc: InterceptedHtlc): void {
    const key = htlcKey(htlc);
    for (const [id, held] of this.#held) {
      if (!held.parts.delete(key) || held.parts.size > 0 || held.opening || this.#turns.has(held)) continue;
      clearTimeout(held.timer);
      this.#held.delete(id);
    }
  }

  /**
   * Runs `work` in turn with the evaluations of a JIT channel's parts (after those queued, and
   * before any queued later), holding for the channel meanwhile; a holding started for `work`
   * alone is forgotten after it when nothing came to be held.
   */
  async serially(id: string, work: () => Promise<void>): Promise<void> {
    const held = this.#held.get(id) ?? this.start(id);
    this.#turns.set(held, (this.#turns.get(held) ?? 0) + 1);
    const turn = held.queue.catch(() => {}).then(work);
    held.queue = turn.catch(() => {});
    try {
      await turn;
    } finally {
      const left = (this.#turns.get(held) ?? 1) - 1;
      if (left > 0) this.#turns.set(held, left);
      else {
        this.#turns.delete(held);
        if (held.parts.size === 0 && !held.opening && this.#held.get(id) === held) {
          clearTimeout(held.timer);
          this.#held.delete(id);
        }
      }
    }
  }

  /** Stops every MPP timer (the interceptor ended). */
  stopTimers(): void {
    for (const h of this.#held.values()) clearTimeout(h.timer);
  }

  /** Resumes, or fails with `how`, every part held for a JIT channel and forgets them. */
  async release(id: string, held: Held, how: 'resume' | HtlcFailure): Promise<void> {
    clearTimeout(held.timer);
    const parts = [...held.parts.values()];
    held.parts.clear();
    if (this.#held.get(id) === held) this.#held.delete(id);
    if (how === 'resume') for (const p of parts) await this.resolve({ action: 'resume', ...htlcIds(p) });
    else await this.fail(parts, how);
  }

  /**
   * Fails back every part held for a JIT channel with `failure` and forgets them (the
   * `fail_htlcs` effect); nothing when none is held.
   */
  async failHeld(id: string, failure: HtlcFailure): Promise<void> {
    const held = this.#held.get(id);
    if (held) await this.release(id, held, failure);
  }

  /** Fails HTLCs back with `failure`; a failure that cannot be sent is logged, not thrown. */
  async fail(
    parts: readonly InterceptedHtlc[],
    failure: HtlcFailure = 'temporary_channel_failure',
  ): Promise<void> {
    for (const p of parts)
      await this.resolve({ action: 'fail', ...htlcIds(p), failure }).catch((err: unknown) =>
        this.#log.warn({ err }, 'could not fail an HTLC back'),
      );
  }

  /** Resolves one HTLC through the running interceptor. */
  async resolve(r: HtlcResolution): Promise<void> {
    const interceptor = this.#interceptor();
    if (!interceptor) throw new Error('the interceptor is not running');
    await interceptor.resolve(r);
  }
}
