/**
 * The open of a JIT channel for the payment held for it, and its end: funded (through the one
 * commit point), made usable and the payment forwarded; or not funded and the held parts failed
 * back. After a restart the same ends are reached from the stored state: a channel caught in
 * `opening` was never signed, so it is not funded; one past the commit point is finished.
 */
import { type Database, type JitChannelRecord, Lsps2JitChannelsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { Held, HeldHtlcs } from './held-htlcs.ts';
import type { JitChannelFunding, OpenFailure } from './jit-channel-funding.ts';
import type { JitPaymentForwarding } from './jit-payment-forwarding.ts';
import type { ApplyJitEvent } from './jit-step.ts';

/** Opens JIT channels for held payments, and finishes or fails the opens a restart interrupted. */
export class JitChannelOpening {
  readonly #database: Database;
  readonly #held: HeldHtlcs;
  readonly #funding: JitChannelFunding;
  readonly #forwarding: JitPaymentForwarding;
  readonly #apply: ApplyJitEvent;
  readonly #log: Logger;

  constructor(deps: {
    database: Database;
    /** The HTLCs held for JIT channels. */
    held: HeldHtlcs;
    funding: JitChannelFunding;
    forwarding: JitPaymentForwarding;
    /** Writes a JIT channel's step (the forwarder's one driver call). */
    apply: ApplyJitEvent;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#held = deps.held;
    this.#funding = deps.funding;
    this.#forwarding = deps.forwarding;
    this.#apply = deps.apply;
    this.#log = deps.log;
  }

  /**
   * Funds the channel (one commit point), makes it usable and forwards the held parts. A
   * channel that is not funded fails the parts back.
   */
  async openThenForward(record: JitChannelRecord, held: Held, capacity: bigint): Promise<void> {
    held.opening = true;
    try {
      // The funder answers every failure before the commit point as data; an error means it
      // could not even start (the database, say): nothing was funded either way.
      const failure = await this.#funding.fund(record, capacity).catch((err: unknown) => ({
        reason: err instanceof Error ? err.message : String(err),
        refused: false,
      }));
      if (failure !== undefined) return await this.#openFailed(record, held, failure);
      await this.#funding.activate(record.id);
    } finally {
      held.opening = false;
    }
    await this.#forwarding.forwardHeld((await this.#repo().get(record.id)) ?? record, held);
  }

  /**
   * After a restart mid-open: a channel caught before the commit point was never signed, so it
   * is not funded and its HTLCs go back; one past it is published, made usable and forwarded.
   */
  async resume(record: JitChannelRecord, held: Held): Promise<void> {
    if (record.state === 'opening') {
      return this.#openFailed(record, held, {
        reason: 'interrupted before the channel was funded',
        refused: false,
      });
    }
    held.opening = true;
    try {
      await this.#funding.activate(record.id);
    } finally {
      held.opening = false;
    }
    const current = await this.#repo().get(record.id);
    if (current?.state === 'forwarding') await this.#forwarding.forwardHeld(current, held);
  }

  /**
   * JIT channels left mid-open with no HTLC replayed (e.g. the payer gave up) end here: failed
   * when not funded, made usable when funded.
   */
  async recoverOpenings(): Promise<void> {
    for (const record of await this.#repo().inStates(['opening', 'publishing'])) {
      if (this.#held.has(record.id)) continue;
      const held = this.#held.start(record.id);
      held.queue = held.queue.then(() => this.resume(record, held));
    }
  }

  /**
   * A channel that will not be funded: its parts fail back with `unknown_next_peer` when the
   * client refused it (bLIP-52), else `temporary_channel_failure` (it did not answer, or went
   * away: the JIT scid waits for the payment again).
   */
  async #openFailed(record: JitChannelRecord, held: Held, failure: OpenFailure): Promise<void> {
    const { reason } = failure;
    if (!(await this.#apply({ ...record, state: 'opening' }, { type: 'open_failed', reason }))) {
      // Not `opening` any more: past the commit point, the channel is funded and is used.
      const current = await this.#repo().get(record.id);
      if (current?.state === 'publishing' || current?.state === 'forwarding')
        return this.resume(current, held);
    }
    this.#log.warn({ jit: record.id, reason }, 'JIT channel not funded; failing the HTLCs back');
    await this.#held.release(
      record.id,
      held,
      failure.refused ? 'unknown_next_peer' : 'temporary_channel_failure',
    );
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}
