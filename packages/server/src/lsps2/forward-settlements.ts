/**
 * Whether a JIT payment forwarded over its new channel was paid: a JIT channel is `completed`
 * (its opening fee earned) only once the payer's HTLCs settle, not when the LSP lets them go on.
 * A client that fails the forward back (or a payment LND failed back while no server ran) leaves
 * the channel `forwarding`, funded, waiting for the payment to come again.
 *
 * The parts of a forward are expected before they are let go ({@link expect}); LND's final HTLC
 * resolutions ({@link run}) settle or fail them. Resolutions missed (the stream reconnecting, a
 * restart) are found in the forwarding history: a settled forward on the channel carrying at
 * least its opening fee ({@link settledInHistory}).
 */
import type { ChannelsPort, HtlcFinalResolution, HtlcInterceptionPort, Msat, Scid } from '@blgv/core';
import type { Logger } from 'pino';

/** An HTLC by where it came in. */
export interface IncomingHtlc {
  readonly incomingScid: Scid;
  readonly incomingHtlcId: bigint;
}

const key = (h: IncomingHtlc) => `${h.incomingScid}:${h.incomingHtlcId}`;

/** What a JIT channel's forward came to. */
export type ForwardOutcome = 'settled' | 'failed';

/** Follows the forwards of JIT payments to their end. */
export class ForwardSettlements {
  readonly #lightning: Pick<HtlcInterceptionPort, 'htlcResolutions'> &
    Pick<ChannelsPort, 'forwardingHistory'>;
  readonly #log: Logger;
  readonly #onOutcome: (jitId: string, outcome: ForwardOutcome) => Promise<void>;
  /** JIT id -> the parts of its forward not resolved yet. */
  readonly #pending = new Map<string, Set<string>>();
  /** Part -> its JIT id. */
  readonly #owner = new Map<string, string>();

  constructor(deps: {
    lightning: Pick<HtlcInterceptionPort, 'htlcResolutions'> & Pick<ChannelsPort, 'forwardingHistory'>;
    log: Logger;
    /** Told once per forward: settled (any part) or failed (every part). */
    onOutcome: (jitId: string, outcome: ForwardOutcome) => Promise<void>;
  }) {
    this.#lightning = deps.lightning;
    this.#log = deps.log;
    this.#onOutcome = deps.onOutcome;
  }

  /**
   * The parts of a JIT channel's forward, to be told how they end (call before letting them
   * go); parts of the same forward let go later join those still pending.
   */
  expect(jitId: string, parts: readonly IncomingHtlc[]): void {
    const keys = this.#pending.get(jitId) ?? new Set<string>();
    for (const p of parts) keys.add(key(p));
    this.#pending.set(jitId, keys);
    for (const k of keys) this.#owner.set(k, jitId);
  }

  /** True while a forward of this JIT channel waits for its end here. */
  pending(jitId: string): boolean {
    return this.#pending.has(jitId);
  }

  /** Reads LND's final HTLC resolutions until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      for await (const r of this.#lightning.htlcResolutions({ signal })) await this.#resolved(r);
    } catch (err) {
      if (!signal.aborted)
        this.#log.warn({ err }, 'HTLC resolutions ended; the forwarding history is the fallback');
    }
  }

  async #resolved(r: HtlcFinalResolution): Promise<void> {
    const k = key(r);
    const jitId = this.#owner.get(k);
    if (!jitId) return;
    this.#owner.delete(k);
    const parts = this.#pending.get(jitId);
    if (!parts) return;
    if (r.settled) {
      this.#forget(jitId);
      await this.#onOutcome(jitId, 'settled');
      return;
    }
    parts.delete(k);
    if (parts.size > 0) return;
    this.#pending.delete(jitId);
    await this.#onOutcome(jitId, 'failed');
  }

  #forget(jitId: string): void {
    for (const k of this.#pending.get(jitId) ?? []) this.#owner.delete(k);
    this.#pending.delete(jitId);
  }

  /**
   * True when LND's forwarding history holds settled forwards out over the channel (`scids`:
   * the JIT scid, the channel's scid and aliases) since `since` whose fees cover `fee`.
   */
  async settledInHistory(
    scids: ReadonlySet<string>,
    since: Date,
    fee: Msat,
    signal: AbortSignal,
  ): Promise<boolean> {
    const forwards = await this.#lightning.forwardingHistory({ start: since, end: new Date() }, signal);
    const collected = forwards
      .filter((f) => scids.has(f.outgoingScid.toString()))
      .reduce((sum, f) => sum + f.fee, 0n);
    return collected >= fee;
  }
}
