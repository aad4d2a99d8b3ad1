/**
 * The LSPS2 forwarder: LND's HTLC interceptor for the LSP node. HTLCs for other channels are
 * resumed at once. HTLCs for a JIT scid are held until they cover the payment; then one
 * zero-conf, scid-alias, private channel is funded to the client through the
 * {@link ChannelFunder} (one commit point), the JIT scid is added as an alias of it (so LND
 * routes the scid there), and each part is resumed with its share of the opening fee deducted
 * and marked in TLV 65537. Every step is persisted first (see `jitChannelMachine`), then its
 * effects are performed by this class's handlers (`#apply`); after a restart LND replays the
 * HTLCs it still holds and the forwarder picks up from the stored state. A channel found in
 * `opening` was never signed, so it is not funded: its HTLCs are failed back. A channel past
 * the commit point is published and made usable, retrying until it is.
 *
 * With the buy's `client_trusts_lsp` (bLIP-52) the funding is withheld at the commit point: the
 * channel is made usable and the payment forwarded with nothing published, and the funding is
 * released once the forward settles (the LSP holds the preimage) or withdrawn when the client
 * fails it (the channel abandoned, the inputs back in the wallet).
 *
 * The parts: the held HTLCs ({@link HeldHtlcs}), the funding ({@link JitChannelFunding}), the
 * open and its end, after a restart too ({@link JitChannelOpening}), the forward and its
 * settlement ({@link JitPaymentForwarding}) and the buy-expiry scan ({@link expireBuys}). This
 * class routes each HTLC, decides on the parts held, writes every step and performs its effects
 * through the parts (`#apply`).
 */
import {
  decideJitPayment,
  type FeeSchedule,
  FINAL_JIT_STATES,
  formatScid,
  type HtlcInterceptionPort,
  type HtlcInterceptor,
  type InterceptedHtlc,
  type JitChannelEvent,
  type JitTerms,
  jitChannelMachine,
  parsePubkey,
} from '@blgv/core';
import {
  type Database,
  isDatabaseUnavailable,
  isUniqueViolation,
  type JitChannelRecord,
  type Kysely,
  Lsps2JitChannelsRepository,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { type AfterCommit, applyStep } from '../machines/apply-step.ts';
import { pause } from '../poll.ts';
import type { ClientWaker } from './client-waker.ts';
import { type Held, HeldHtlcs, htlcIds, htlcKey, toPart } from './held-htlcs.ts';
import { expireBuys } from './jit-buy-expiry.ts';
import {
  JitChannelFunding,
  type JitChannelFundingLightning,
  type JitFundingLimits,
} from './jit-channel-funding.ts';
import { JitChannelOpening } from './jit-channel-opening.ts';
import { JitPaymentForwarding, type JitPaymentForwardingLightning } from './jit-payment-forwarding.ts';
import { isAliasScid } from './jit-scid.ts';
import { type JitStepExtra, jitUpdate, recordAfter } from './jit-step.ts';

export { EXTRA_FEE_TLV } from './jit-payment-forwarding.ts';

/** Forwarder limits (from config). */
export interface JitForwarderLimits extends JitFundingLimits {
  readonly mppTimeoutSeconds: number;
}

/**
 * HTLCs handled at once. A JIT payment's handling lasts its whole open, so this bounds the
 * opens (and waits for sleeping clients) under way, well above a launch burst.
 */
const MAX_HTLCS_IN_FLIGHT = 1_000;

/** Backoff of an HTLC handled again while the database cannot be reached. */
const DB_RETRY_MIN_MS = 250;
const DB_RETRY_MAX_MS = 4_000;

/**
 * How an HTLC the JIT scid must not carry is failed. `unknown_next_peer` (bLIP-52) is failed by
 * letting the HTLC go on to LND's switch, which finds no channel for the scid: right only while
 * no channel was committed for the buy. Once one was, the scid may be that channel's alias, and
 * the HTLC would be forwarded over it without its opening fee: it is failed here, with
 * `temporary_channel_failure`.
 */
function refusalOf(record: JitChannelRecord): 'unknown_next_peer' | 'temporary_channel_failure' {
  return record.fundingTxid === null ? 'unknown_next_peer' : 'temporary_channel_failure';
}

/** States in which a JIT channel is being opened for one payment (its hash recorded). */
const OPENING_JIT_STATES: readonly string[] = [
  'opening',
  'publishing',
  'forwarding',
  'withheld',
  'awaiting_preimage',
];

/**
 * The Lightning calls the JIT forwarder makes: intercepting HTLCs, and those of its channel
 * funding and payment forwarding.
 */
export type JitForwarderLightning = Pick<HtlcInterceptionPort, 'interceptHtlcs'> &
  JitChannelFundingLightning &
  JitPaymentForwardingLightning;

/** Runs the interceptor and the JIT channels' state machine. */
export class JitForwarder {
  readonly #database: Database;
  readonly #lightning: JitForwarderLightning;
  readonly #limits: JitForwarderLimits;
  readonly #log: Logger;
  readonly #waker: ClientWaker | undefined;
  readonly #held: HeldHtlcs;
  readonly #funding: JitChannelFunding;
  readonly #forwarding: JitPaymentForwarding;
  readonly #opening: JitChannelOpening;
  #interceptor: HtlcInterceptor | undefined;
  #signal: AbortSignal = AbortSignal.abort();

  constructor(deps: {
    database: Database;
    lightning: JitForwarderLightning;
    schedule: FeeSchedule;
    limits: JitForwarderLimits;
    funder: ChannelFunder;
    /** LSPS5: wakes clients that are not connected when their payment arrives. */
    waker?: ClientWaker;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#waker = deps.waker;
    this.#limits = deps.limits;
    this.#log = deps.log;
    const apply = this.#apply.bind(this);
    const { database, lightning, log } = deps;
    this.#held = new HeldHtlcs({ interceptor: () => this.#interceptor, log });
    this.#funding = new JitChannelFunding({
      database,
      lightning,
      funder: deps.funder,
      schedule: deps.schedule,
      limits: deps.limits,
      apply,
      signal: () => this.#signal,
      log,
    });
    this.#forwarding = new JitPaymentForwarding({ database, lightning, held: this.#held, apply, log });
    this.#opening = new JitChannelOpening({
      database,
      held: this.#held,
      funding: this.#funding,
      forwarding: this.#forwarding,
      apply,
      signal: () => this.#signal,
      log,
    });
  }

  /** Intercepts HTLCs until `signal` aborts; `onConnected` fires each time LND takes us on. */
  async run(signal: AbortSignal, onConnected?: () => void): Promise<void> {
    this.#signal = signal;
    const interceptor = this.#lightning.interceptHtlcs({
      signal,
      onConnected: () => {
        this.#log.info('HTLC interceptor connected');
        onConnected?.();
      },
    });
    this.#interceptor = interceptor;
    void this.#opening
      .recoverOpenings()
      .catch((err: unknown) => this.#log.error({ err }, 'JIT recovery failed'));
    const settling = this.#forwarding.run(signal);
    const expiring = expireBuys(
      {
        database: this.#database,
        mppTimeoutSeconds: this.#limits.mppTimeoutSeconds,
        isHeld: (id) => this.#held.has(id),
        apply: (record, event) => this.#apply(record, event),
        settleMissed: async (s) => {
          await this.#forwarding.settleFromHistory(s);
          await this.#funding.recoverWithheld();
        },
        log: this.#log,
      },
      signal,
    );
    // Each HTLC is handled on its own (a JIT payment's open, or its wait for the batch, never
    // holds up the next HTLC), up to a bound past which the loop takes the next when one ends.
    const inFlight = new Set<Promise<void>>();
    for await (const htlc of interceptor.htlcs) {
      if (inFlight.size >= MAX_HTLCS_IN_FLIGHT) await Promise.race(inFlight);
      const handling = this.#handle(htlc).finally(() => inFlight.delete(handling));
      inFlight.add(handling);
    }
    this.#held.stopTimers();
    await Promise.all([expiring, settling]);
  }

  /**
   * Handles one HTLC. While the database cannot be reached it is held and handled again, with
   * backoff, for as long as the MPP timeout (a JIT payment waits that long for its parts
   * anyway); past that, or on any other failure, it is failed back. When the interceptor stops
   * meanwhile it is left to LND, which hands it to the next interceptor.
   */
  async #handle(htlc: InterceptedHtlc): Promise<void> {
    const deadline = Date.now() + this.#limits.mppTimeoutSeconds * 1000;
    for (let delay = DB_RETRY_MIN_MS; ; delay = Math.min(delay * 2, DB_RETRY_MAX_MS)) {
      try {
        return await this.#onHtlc(htlc);
      } catch (err) {
        const scid = formatScid(htlc.outgoingScid);
        if (this.#signal.aborted) return;
        if (isDatabaseUnavailable(err) && Date.now() + delay < deadline) {
          this.#log.warn({ err, scid, retryInMs: delay }, 'the database cannot be reached; the HTLC is held');
          await pause(delay, this.#signal);
          continue;
        }
        this.#log.error({ err, scid }, 'HTLC handling failed; failing it back');
        this.#held.forget(htlc);
        return this.#held.fail([htlc]);
      }
    }
  }

  async #onHtlc(htlc: InterceptedHtlc): Promise<void> {
    const record = isAliasScid(htlc.outgoingScid)
      ? await this.#repo().forOutgoingScid(htlc.outgoingScid.toString())
      : undefined;
    // LSPS5: a payment for the client (not for a JIT scid that leads nowhere any more).
    if (record?.state !== 'expired')
      this.#waker?.htlcArrived(htlc.outgoingScid, record && parsePubkey(record.clientPubkey), this.#signal);
    if (!record) return this.#held.resolve({ action: 'resume', ...htlcIds(htlc) });
    let held = this.#held.get(record.id);
    const heldHash = held?.parts.values().next().value?.paymentHash;
    const takenBy = OPENING_JIT_STATES.includes(record.state) ? record.paymentHash : null;
    if ((heldHash ?? takenBy ?? htlc.paymentHash) !== htlc.paymentHash) {
      // Another payment is being held for (or took) this JIT scid: this one fails alone, and
      // the held parts stay.
      this.#log.info(
        { jit: record.id, paymentHash: htlc.paymentHash, heldFor: heldHash ?? takenBy },
        'an HTLC of another payment for a JIT scid in use: failed alone',
      );
      return this.#held.fail([htlc], refusalOf(record));
    }
    if (!held) held = this.#held.start(record.id);
    held.parts.set(htlcKey(htlc), htlc);
    const h = held;
    // One failed evaluation (the database went away) does not stop the ones after it.
    const evaluation = h.queue.then(() => this.#evaluate(record.id, h));
    h.queue = evaluation.catch(() => {});
    await evaluation;
  }

  /** Acts on the parts held for one JIT channel according to its stored state. */
  async #evaluate(id: string, held: Held): Promise<void> {
    const record = await this.#repo().get(id);
    if (!record || held.parts.size === 0) return;
    const parts = [...held.parts.values()];
    const state = record.state;
    // Paid for: the JIT scid leads to the channel.
    if (state === 'completed' || state === 'releasing') return this.#held.release(id, held, 'resume');
    // The JIT scid no longer leads anywhere (or to a channel that was not paid for).
    if (FINAL_JIT_STATES.includes(state)) return this.#held.release(id, held, refusalOf(record));
    if (state === 'forwarding' || state === 'awaiting_preimage') {
      // Parts short of the payment (a part replayed after a restart, the others gone on before
      // it) wait as for any payment, failed back at the MPP timeout ({@link #timeout}).
      if (await this.#forwarding.forwardHeld(record, held)) {
        clearTimeout(held.timer);
        held.timer = undefined;
      } else held.timer ??= setTimeout(() => this.#timeout(id, held), this.#limits.mppTimeoutSeconds * 1000);
      return;
    }
    if (state === 'opening' || state === 'publishing' || state === 'withheld') {
      // This process is opening it: the part waits. Otherwise we were restarted mid-open.
      if (!held.opening) await this.#opening.resume(record, held);
      return;
    }
    const decision = decideJitPayment(terms(record), parts.map(toPart), held.firstAt);
    if (decision.kind === 'wait') {
      held.timer ??= setTimeout(() => this.#timeout(id, held), this.#limits.mppTimeoutSeconds * 1000);
      return;
    }
    if (decision.kind === 'fail') {
      this.#log.info({ jit: id, reason: decision.reason, parts: parts.length }, 'JIT payment refused');
      // Expired: the step's `fail_htlcs` fails the parts back.
      if (decision.reason === 'params_expired' && (await this.#apply(record, { type: 'params_expired' })))
        return;
      // bLIP-52: parts after valid_until, a fee the payment cannot carry, a size out of bounds.
      return this.#held.release(id, held, 'unknown_next_peer');
    }
    clearTimeout(held.timer);
    // LSPS5: a client that is asleep was just told of the payment; give it time to come online.
    if (this.#waker) {
      const awaited = await this.#waker.awaitClient(parsePubkey(record.clientPubkey), this.#signal);
      if (!awaited.online)
        this.#log.info({ jit: id }, 'the JIT client did not come online in time; opening anyway');
      held.retryRefusalsUntil = awaited.retryRefusalsUntil;
    }
    const capacity = this.#funding.capacity(decision.paymentSize);
    // The step's `open_channel` opens the channel, and the steps it takes carry on from there
    // (made usable, the parts forwarded; or not funded, the parts failed back).
    try {
      const moved = await this.#apply(
        record,
        {
          type: 'payment_arrived',
          paymentHash: decision.paymentHash,
          paymentSize: decision.paymentSize,
          fee: decision.fee,
        },
        { channelCapacitySat: capacity },
      );
      if (!moved) return this.#evaluate(id, held);
    } catch (err) {
      // Another JIT channel already took this payment hash: one payment, one channel.
      if (isUniqueViolation(err)) return this.#held.release(id, held, 'unknown_next_peer');
      throw err;
    }
  }

  /**
   * The MPP timeout: parts still short of the payment when it fires are failed back (before the
   * channel is opened, or after: the rest of the payment went on before a restart and will not
   * come again; failed back, its forward ends and is judged).
   */
  #timeout(id: string, held: Held): void {
    held.queue = held.queue.then(async () => {
      held.timer = undefined;
      const record = await this.#repo().get(id);
      const waiting = ['awaiting_payment', 'forwarding', 'awaiting_preimage'];
      if (!record || !waiting.includes(record.state) || held.parts.size === 0) return;
      this.#log.info(
        { jit: id, parts: held.parts.size },
        'JIT parts did not cover the payment in time; failing them back',
      );
      // bLIP-52: the MPP timeout fails with temporary_channel_failure.
      await this.#held.release(id, held, 'temporary_channel_failure');
    });
  }

  /**
   * Applies an event through the one driver (only from the state read, with the buy's trust
   * model as the machine's context); false when it had already moved on. Each effect is
   * performed here, by the part that does that work, with the record as it is after the step:
   * `open_channel` funds the channel ({@link JitChannelOpening.open}), `publish` and `activate`
   * make it usable ({@link JitChannelFunding.activate}), `forward_htlcs` forwards the held parts
   * ({@link JitPaymentForwarding.forwardHeld}), `fail_htlcs` fails them back
   * ({@link HeldHtlcs.failHeld}), `release_funding` and `withdraw_funding` publish or give up a
   * withheld funding ({@link JitChannelFunding.release}, {@link JitChannelFunding.withdraw}). A
   * step written in the funder's transaction (`committed`, `withheld`) passes its
   * `afterCommit`: its effect runs once that commits.
   * Effects run in the caller's task, never through a JIT channel's queue (the caller may be
   * in it already). The parts write their steps through this method alone.
   */
  async #apply(
    record: JitChannelRecord,
    event: JitChannelEvent,
    extra: JitStepExtra = {},
    db: Kysely<Schema> = this.#database.db,
    afterCommit?: AfterCommit,
  ): Promise<boolean> {
    let after = record;
    const context = { clientTrustsLsp: record.clientTrustsLsp };
    const step = await applyStep(jitChannelMachine, record, event, context, {
      db,
      ...(afterCommit ? { afterCommit } : {}),
      log: this.#log,
      persist: (step, db) => {
        const update = jitUpdate(step.state, step.record, extra);
        after = recordAfter(record, update);
        return new Lsps2JitChannelsRepository(db).transition(record.id, record.state, update);
      },
      effects: {
        open_channel: (effect) => this.#opening.open(after, effect.withhold),
        publish: () => this.#funding.activate(after),
        activate: () => this.#funding.activate(after),
        forward_htlcs: async () => {
          await this.#forwarding.forwardHeld(after, this.#held.get(record.id));
        },
        fail_htlcs: (effect) => this.#held.failHeld(record.id, effect.failure),
        release_funding: () => this.#funding.release(after),
        withdraw_funding: () => this.#funding.withdraw(after),
      },
    });
    return step !== undefined;
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}

function terms(r: JitChannelRecord): JitTerms {
  return {
    minFeeMsat: r.minFeeMsat,
    proportional: r.proportional,
    paymentSize: r.paymentSizeMsat ?? undefined,
    minPaymentSize: r.minPaymentSizeMsat,
    maxPaymentSize: r.maxPaymentSizeMsat,
    validUntil: r.validUntil,
  };
}
