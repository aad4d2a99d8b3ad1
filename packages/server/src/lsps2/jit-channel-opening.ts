/**
 * The open of a JIT channel for the payment held for it (the `open_channel` effect), and its
 * end when it is not funded: the parts failed back. Funded, the steps it takes perform the rest
 * (`publish`, or `activate` for a funding withheld, makes the channel usable, `channel_ready`'s
 * `forward_htlcs` forwards the parts). After a restart the same work is done from the stored
 * state: a channel caught in `opening` was never signed, so it is not funded; one past the
 * commit point is finished.
 */
import type { JitChannelState } from '@blgv/core';
import { type Database, type JitChannelRecord, Lsps2JitChannelsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { pause } from '../poll.ts';
import type { Held, HeldHtlcs } from './held-htlcs.ts';
import type { JitChannelFunding, OpenFailure } from './jit-channel-funding.ts';
import type { JitPaymentForwarding } from './jit-payment-forwarding.ts';
import type { ApplyJitEvent } from './jit-step.ts';

/** The pause before a woken client's refused open is tried again. */
const REFUSAL_RETRY_MS = 1_000;

/** States past the commit point whose open (or forward) is finished on resume. */
const PAST_COMMIT: readonly JitChannelState[] = ['publishing', 'forwarding', 'withheld', 'awaiting_preimage'];

/** Opens JIT channels for held payments, and finishes or fails the opens a restart interrupted. */
export class JitChannelOpening {
  readonly #database: Database;
  readonly #held: HeldHtlcs;
  readonly #funding: JitChannelFunding;
  readonly #forwarding: JitPaymentForwarding;
  readonly #apply: ApplyJitEvent;
  readonly #signal: () => AbortSignal;
  readonly #log: Logger;

  constructor(deps: {
    database: Database;
    /** The HTLCs held for JIT channels. */
    held: HeldHtlcs;
    funding: JitChannelFunding;
    forwarding: JitPaymentForwarding;
    /** Writes a JIT channel's step (the forwarder's one driver call). */
    apply: ApplyJitEvent;
    /** The running forwarder's signal. */
    signal: () => AbortSignal;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#held = deps.held;
    this.#funding = deps.funding;
    this.#forwarding = deps.forwarding;
    this.#apply = deps.apply;
    this.#signal = deps.signal;
    this.#log = deps.log;
  }

  /**
   * The `open_channel` effect: funds the channel through the funder's one commit point (its
   * funding withheld when `withhold`), where the `committed` (`withheld`) step is written; its
   * effect makes the channel usable and forwards the held parts (through `channel_ready`)
   * before the funding resolves. A channel that is not funded is recorded `open_failed`, whose
   * `fail_htlcs` fails the parts back; one refused by a client just woken is tried again while
   * the holding's `retryRefusalsUntil` lasts.
   */
  async open(record: JitChannelRecord, withhold: boolean): Promise<void> {
    const held = this.#held.get(record.id);
    if (held) held.opening = true;
    try {
      // The funder answers every failure before the commit point as data; an error means it
      // could not even start (the database, say): nothing was funded either way.
      const fund = () =>
        this.#funding.fund(record, withhold).catch((err: unknown) => ({
          reason: errorMessage(err),
          refused: false,
        }));
      let failure = await fund();
      // A client just woken may refuse before its wallet's channel acceptor is back: again.
      while (failure?.refused && Date.now() < (held?.retryRefusalsUntil ?? 0) && !this.#signal().aborted) {
        this.#log.info(
          { jit: record.id, reason: failure.reason },
          'a client just woken refused the channel (its wallet may still be starting): trying again',
        );
        await pause(REFUSAL_RETRY_MS, this.#signal());
        failure = await fund();
      }
      if (failure !== undefined) await this.#openFailed(record, held, failure);
    } finally {
      if (held) held.opening = false;
    }
  }

  /**
   * The pending work of an open a restart interrupted, from the stored state: a channel caught
   * before the commit point (`opening`) was never signed, so it is not funded and its HTLCs go
   * back (`open_failed`); one `publishing` is published and made usable (the `publish` effect's
   * work, whose `channel_ready` forwards the parts), one `withheld` made usable as it is (the
   * `activate` effect's); one `forwarding` or `awaiting_preimage` forwards them.
   */
  async resume(record: JitChannelRecord, held: Held | undefined): Promise<void> {
    if (record.state === 'opening') {
      return this.#openFailed(record, held, {
        reason: 'interrupted before the channel was funded',
        refused: false,
      });
    }
    if (record.state === 'forwarding' || record.state === 'awaiting_preimage') {
      await this.#forwarding.forwardHeld(record, held);
      return;
    }
    if (record.state !== 'publishing' && record.state !== 'withheld') return;
    if (held) held.opening = true;
    try {
      await this.#funding.activate(record);
    } finally {
      if (held) held.opening = false;
    }
  }

  /**
   * JIT channels left mid-open with no HTLC replayed (e.g. the payer gave up) end here: failed
   * when not funded, made usable when funded (or withheld: then, with no payment to forward, the
   * forward is judged gone and the funding withdrawn).
   */
  async recoverOpenings(): Promise<void> {
    for (const record of await this.#repo().inStates(['opening', 'publishing', 'withheld'])) {
      if (this.#held.has(record.id)) continue;
      const held = this.#held.start(record.id);
      held.queue = held.queue.then(() => this.resume(record, held));
    }
  }

  /**
   * A channel that will not be funded: `open_failed` fails its parts back with
   * `unknown_next_peer` when the client refused it (bLIP-52), else `temporary_channel_failure`
   * (it did not answer, or went away: the JIT scid waits for the payment again).
   */
  async #openFailed(record: JitChannelRecord, held: Held | undefined, failure: OpenFailure): Promise<void> {
    const { reason, refused } = failure;
    const moved = await this.#apply(
      { ...record, state: 'opening' },
      { type: 'open_failed', reason, refused },
    );
    if (!moved) {
      // Not `opening` any more: past the commit point, the channel is funded and is used.
      const current = await this.#repo().get(record.id);
      if (current && PAST_COMMIT.includes(current.state)) return this.resume(current, held);
    }
    this.#log.warn({ jit: record.id, reason }, 'JIT channel not funded; its HTLCs failed back');
    // It had moved on otherwise (not past the commit point): the parts still go back.
    if (!moved && held)
      await this.#held.release(record.id, held, refused ? 'unknown_next_peer' : 'temporary_channel_failure');
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}
