/**
 * The LSPS2 forwarder: LND's HTLC interceptor for the LSP node. HTLCs for other channels are
 * resumed at once. HTLCs for a JIT scid are held until they cover the payment; then one
 * zero-conf, scid-alias, private channel is funded to the client through the
 * {@link ChannelFunder} (one commit point), the JIT scid is added as an alias of it (so LND
 * routes the scid there), and each part is resumed with its share of the opening fee deducted
 * and marked in TLV 65537. Every step is persisted first (see `jitChannelMachine`); after a restart
 * LND replays the HTLCs it still holds and the forwarder picks up from the stored state. A
 * channel found in `opening` was never signed, so it is not funded: its HTLCs are failed back.
 * A channel past the commit point is published and made usable, retrying until it is.
 */
import {
  boundedFeeRate,
  decideJitPayment,
  type FeeSchedule,
  FINAL_JIT_STATES,
  formatScid,
  type HeldPart,
  type HtlcInterceptor,
  type HtlcResolution,
  type InterceptedHtlc,
  type JitChannelEvent,
  type JitTerms,
  jitChannelMachine,
  type LightningBackend,
  type Msat,
  msat,
  type PartForward,
  type Pubkey,
  parseHex32,
  parsePubkey,
  type Scid,
  sat,
  scid,
  splitFee,
} from '@blgv/core';
import {
  type Database,
  isUniqueViolation,
  type JitChannelRecord,
  type Kysely,
  Lsps2JitChannelsRepository,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import { forwardingFees } from '../channels/forwarding-policy.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { retryUntilDone } from '../jobs/retry.ts';
import { applyStep } from '../machines/apply-step.ts';
import { pause } from '../poll.ts';
import { activeChannel } from './channel-open.ts';
import { type ForwardOutcome, ForwardSettlements } from './forward-settlements.ts';
import { isAliasScid } from './jit-scid.ts';

/** TLV type of bLIP-25 `extra_fee`: what the LSP deducted from an HTLC. */
export const EXTRA_FEE_TLV = 65537n;

/** Forwarder limits (from config). */
export interface JitForwarderLimits {
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
  readonly mppTimeoutSeconds: number;
  /** How long the client has to accept, and then to sign, the channel. */
  readonly openTimeoutSeconds: number;
  /** The most `to_self_delay` a client may ask of us (bLIP-52 `max_client_to_self_delay`). */
  readonly maxClientToSelfDelay: number;
  /** Bounds of the funding fee rate (sat/vB). */
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
}

const MEMO_PREFIX = 'lsps2:';

/**
 * Wakes client nodes that are not connected (LSPS5): told of each HTLC the forwarder sees, and
 * asked to wait for a JIT channel's client before the channel is opened to it.
 */
export interface ClientWaker {
  /**
   * An HTLC arrived for a JIT channel of `client`, or (`client` undefined) for the channel
   * `outgoingScid`. Returns at once; never throws.
   */
  htlcArrived(outgoingScid: Scid, client: Pubkey | undefined, signal: AbortSignal): void;
  /** Resolves true once `client` is connected, false when it did not come within the wait allowed. */
  awaitClient(client: Pubkey, signal: AbortSignal): Promise<boolean>;
}

/** The BOLT 4 failures HTLCs are sent back with. */
type HtlcFailure = Extract<HtlcResolution, { readonly action: 'fail' }>['failure'];

/** Why a JIT channel will not be funded. */
interface OpenFailure {
  readonly reason: string;
  /** The client refused the channel (bLIP-52: `unknown_next_peer`). */
  readonly refused: boolean;
}
const OPEN_TIMEOUT_MS = 60_000;

/** The HTLCs held for one JIT channel, in arrival order. */
interface Held {
  readonly parts: Map<string, InterceptedHtlc>;
  readonly firstAt: Date;
  timer: NodeJS.Timeout | undefined;
  /** Evaluations of one JIT channel run one after another. */
  queue: Promise<void>;
  /** True while this process is opening the channel. */
  opening: boolean;
}

const key = (h: InterceptedHtlc) => `${h.incomingScid}:${h.incomingHtlcId}`;

/** Runs the interceptor and the JIT channels' state machine. */
export class JitForwarder {
  readonly #database: Database;
  readonly #lightning: LightningBackend;
  readonly #schedule: FeeSchedule;
  readonly #limits: JitForwarderLimits;
  readonly #log: Logger;
  readonly #funder: ChannelFunder;
  readonly #waker: ClientWaker | undefined;
  readonly #held = new Map<string, Held>();
  #interceptor: HtlcInterceptor | undefined;
  readonly #settlements: ForwardSettlements;
  #signal: AbortSignal = AbortSignal.abort();

  constructor(deps: {
    database: Database;
    lightning: LightningBackend;
    schedule: FeeSchedule;
    limits: JitForwarderLimits;
    funder: ChannelFunder;
    /** LSPS5: wakes clients that are not connected when their payment arrives. */
    waker?: ClientWaker;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#funder = deps.funder;
    this.#waker = deps.waker;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
    this.#settlements = new ForwardSettlements({
      lightning: deps.lightning,
      log: deps.log,
      onOutcome: (id, outcome) => this.#forwardEnded(id, outcome),
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
    void this.#recoverOpenings().catch((err: unknown) => this.#log.error({ err }, 'JIT recovery failed'));
    const settling = this.#settlements.run(signal);
    const expiring = this.#expireBuys(signal);
    for await (const htlc of interceptor.htlcs) {
      this.#onHtlc(htlc).catch((err: unknown) => {
        this.#log.error(
          { err, scid: formatScid(htlc.outgoingScid) },
          'HTLC handling failed; failing it back',
        );
        void this.#fail([htlc]);
      });
    }
    for (const h of this.#held.values()) clearTimeout(h.timer);
    await Promise.all([expiring, settling]);
  }

  /**
   * Moves buys whose fee params ran out (and whose last parts could no longer be waiting) to
   * `expired`, so they stop counting against the buy caps and their scids lead nowhere.
   */
  async #expireBuys(signal: AbortSignal): Promise<void> {
    const repo = this.#repo();
    while (!signal.aborted) {
      try {
        const before = new Date(Date.now() - this.#limits.mppTimeoutSeconds * 1000);
        for (const record of await repo.expiredBuys(before)) {
          if (this.#held.has(record.id)) continue;
          await this.#apply(record, { type: 'params_expired' });
        }
        await this.#settleFromHistory(signal);
      } catch (err) {
        if (!signal.aborted) this.#log.warn({ err }, 'expiring JIT buys failed');
      }
      await pause(BUY_EXPIRY_SCAN_MS, signal);
    }
  }

  async #onHtlc(htlc: InterceptedHtlc): Promise<void> {
    const record = isAliasScid(htlc.outgoingScid)
      ? await this.#repo().byScid(htlc.outgoingScid.toString())
      : undefined;
    // LSPS5: a payment for the client (not for a JIT scid that leads nowhere any more).
    if (record?.state !== 'expired')
      this.#waker?.htlcArrived(htlc.outgoingScid, record && parsePubkey(record.clientPubkey), this.#signal);
    if (!record) return this.#resolve({ action: 'resume', ...ids(htlc) });
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
      return this.#fail([htlc], 'unknown_next_peer');
    }
    if (!held) {
      held = {
        parts: new Map(),
        firstAt: new Date(),
        timer: undefined,
        queue: Promise.resolve(),
        opening: false,
      };
      this.#held.set(record.id, held);
    }
    held.parts.set(key(htlc), htlc);
    const h = held;
    h.queue = h.queue.then(() => this.#evaluate(record.id, h));
    await h.queue;
  }

  /** Acts on the parts held for one JIT channel according to its stored state. */
  async #evaluate(id: string, held: Held): Promise<void> {
    const record = await this.#repo().get(id);
    if (!record || held.parts.size === 0) return;
    const parts = [...held.parts.values()];
    const state = record.state;
    if (state === 'completed') return this.#release(id, held, 'resume');
    // The JIT scid no longer leads anywhere.
    if (FINAL_JIT_STATES.includes(state)) return this.#release(id, held, 'unknown_next_peer');
    if (state === 'forwarding') return this.#forwardHeld(record, held);
    if (state === 'opening' || state === 'publishing') {
      // This process is opening it: the part waits. Otherwise we were restarted mid-open.
      if (!held.opening) await this.#resume(record, held);
      return;
    }
    const decision = decideJitPayment(terms(record), parts.map(toPart), held.firstAt);
    if (decision.kind === 'wait') {
      held.timer ??= setTimeout(() => this.#timeout(id, held), this.#limits.mppTimeoutSeconds * 1000);
      return;
    }
    if (decision.kind === 'fail') {
      this.#log.info({ jit: id, reason: decision.reason, parts: parts.length }, 'JIT payment refused');
      if (decision.reason === 'params_expired') await this.#apply(record, { type: 'params_expired' });
      // bLIP-52: parts after valid_until, a fee the payment cannot carry, a size out of bounds.
      return this.#release(id, held, 'unknown_next_peer');
    }
    clearTimeout(held.timer);
    // LSPS5: a client that is asleep was just told of the payment; give it time to come online.
    if (this.#waker && !(await this.#waker.awaitClient(parsePubkey(record.clientPubkey), this.#signal)))
      this.#log.info({ jit: id }, 'the JIT client did not come online in time; opening anyway');
    const capacity = this.#capacity(decision.paymentSize);
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
      if (isUniqueViolation(err)) return this.#release(id, held, 'unknown_next_peer');
      throw err;
    }
    await this.#openThenForward({ ...record, state: 'opening' }, held, capacity);
  }

  /**
   * Funds the channel (one commit point), makes it usable and forwards the held parts. A
   * channel that is not funded fails the parts back.
   */
  async #openThenForward(record: JitChannelRecord, held: Held, capacity: bigint): Promise<void> {
    held.opening = true;
    try {
      // The funder answers every failure before the commit point as data; an error means it
      // could not even start (the database, say): nothing was funded either way.
      const failure = await this.#fund(record, capacity).catch((err: unknown) => ({
        reason: err instanceof Error ? err.message : String(err),
        refused: false,
      }));
      if (failure !== undefined) return await this.#openFailed(record, held, failure);
      await this.#activate(record.id);
    } finally {
      held.opening = false;
    }
    await this.#forwardHeld((await this.#repo().get(record.id)) ?? record, held);
  }

  /**
   * Negotiates and commits the channel's funding; when it will not be funded, why, and whether
   * the client refused it.
   */
  async #fund(record: JitChannelRecord, capacity: bigint): Promise<OpenFailure | undefined> {
    const owner = `jit:${record.id}`;
    const result = await this.#funder.fund(
      [
        {
          owner,
          open: {
            ...forwardingFees(this.#schedule),
            remotePubkey: parsePubkey(record.clientPubkey),
            localAmount: sat(capacity),
            private: true,
            zeroConf: true,
            scidAlias: true,
            // bLIP-52: the client's to_self_delay is at most the max_client_to_self_delay offered.
            maxLocalCsv: this.#limits.maxClientToSelfDelay,
            memo: `${MEMO_PREFIX}${record.id}`,
          },
        },
      ],
      {
        feeRate: await this.#feeRate(),
        deadlineMs: this.#limits.openTimeoutSeconds * 1000,
        signal: this.#signal,
        commit: async (trx, c) => {
          const event: JitChannelEvent = {
            type: 'committed',
            fundingId: c.fundingId,
            txid: c.txid,
            outputIndex: c.channels[0]?.outputIndex ?? 0,
          };
          if (!(await this.#apply(record, event, {}, trx)))
            throw new Error(`JIT channel ${record.id} left opening before its commit`);
        },
      },
    );
    if (result.committed) return undefined;
    return {
      reason: result.failed.get(owner) ?? 'the channel could not be funded',
      refused: result.refused.has(owner),
    };
  }

  /**
   * After the commit point: publishes the funding, waits until the channel is active, maps the
   * JIT scid onto it and records it ready; retried until done (the channel is funded).
   */
  async #activate(id: string): Promise<void> {
    await retryUntilDone(
      async () => {
        const record = await this.#repo().get(id);
        if (record?.state !== 'publishing') return;
        if (!record.fundingId || !record.fundingTxid || record.fundingOutputIndex === null)
          throw new Error(`JIT channel ${id} is publishing without its funding`);
        await this.#funder.published(record.fundingId, this.#signal);
        const channel = await activeChannel(
          this.#lightning,
          {
            channelPoint: { txid: parseHex32(record.fundingTxid), outputIndex: record.fundingOutputIndex },
          },
          AbortSignal.any([this.#signal, AbortSignal.timeout(OPEN_TIMEOUT_MS)]),
        );
        await this.#ready(record, channel.channelPoint, channel.scid);
      },
      {
        what: 'making a funded JIT channel usable',
        signal: this.#signal,
        log: this.#log,
        subject: { jit: id },
      },
    );
  }

  /** The funding fee rate: the node's 6-block estimate within the configured bounds. */
  async #feeRate(): Promise<bigint> {
    const { satPerVbyte } = await this.#lightning.estimateFee(6, AbortSignal.timeout(10_000));
    return boundedFeeRate(satPerVbyte, this.#limits);
  }

  /** Maps the JIT scid onto the new channel and records it usable. */
  async #ready(record: JitChannelRecord, point: { txid: string; outputIndex: number }, channelScid: Scid) {
    await this.#lightning
      .addChannelAlias(scid(record.jitScid), channelScid, this.#signal)
      .catch((err: unknown) => {
        // After a restart the alias may already be there.
        if (!/already exists/i.test(String(err))) throw err;
      });
    await this.#apply({ ...record, state: 'publishing' }, { type: 'channel_ready', channelScid });
    this.#log.info(
      {
        jit: record.id,
        channel: `${point.txid}:${point.outputIndex}`,
        scid: formatScid(scid(record.jitScid)),
      },
      'JIT channel open; forwarding',
    );
  }

  /** Forwards the held parts with the recorded fee split over them. */
  async #forwardHeld(record: JitChannelRecord, held: Held): Promise<void> {
    const parts = [...held.parts.values()].filter((p) => p.paymentHash === record.paymentHash);
    // Nothing of the payment is held (LND failed it back while no server ran): the channel is
    // funded and waits for the payment to come again; it is not forwarded, nor its fee earned.
    if (parts.length === 0) {
      this.#log.warn(
        { jit: record.id, paymentHash: record.paymentHash },
        'JIT channel open, but its payment is not held any more; waiting for it to come again',
      );
      return;
    }
    const total = parts.reduce((s, p) => s + p.outgoingAmount, 0n) as Msat;
    const size = record.paymentSizeMsat;
    // After a restart LND replays the parts one by one: wait until they cover the payment again.
    if (size !== null && total < size) return;
    const forwards: PartForward<string>[] = splitFee(parts.map(toPart), total, record.feeMsat ?? msat(0n));
    // Told how they end before they go: completed (the fee earned) only once they settle.
    this.#settlements.expect(record.id, parts);
    for (const f of forwards) {
      const htlc = held.parts.get(f.id);
      if (!htlc) continue;
      held.parts.delete(f.id);
      await this.#resolve({
        action: 'resume_modified',
        ...ids(htlc),
        outgoingAmount: f.amount,
        outgoingCustomRecords: new Map([[EXTRA_FEE_TLV, u64(f.extraFee)]]),
      });
    }
    this.#log.info(
      { jit: record.id, parts: forwards.length, feeMsat: String(record.feeMsat) },
      'JIT payment forwarded; completed once it settles',
    );
    // Anything else held for this scid (another payment hash) goes back; the scid now leads to
    // the channel, so unknown_next_peer is not ours to give.
    await this.#release(record.id, held, 'temporary_channel_failure');
  }

  /**
   * A forward's end: settled, the channel is `completed` (its opening fee earned); failed back
   * by the client, it stays `forwarding`, funded, for the payment to come again.
   */
  async #forwardEnded(id: string, outcome: ForwardOutcome): Promise<void> {
    const record = await this.#repo().get(id);
    if (record?.state !== 'forwarding') return;
    if (outcome === 'settled') {
      await this.#apply(record, { type: 'forwarded' });
      this.#log.info({ jit: id, feeMsat: String(record.feeMsat) }, 'JIT payment settled; opening fee earned');
    } else {
      this.#log.warn(
        { jit: id },
        'JIT payment failed back after it was forwarded; waiting for it to come again',
      );
    }
  }

  /**
   * Forwards whose end was missed (a restart, the resolutions stream reconnecting): a channel
   * `forwarding` whose settled forwards in LND's history carry its opening fee is completed.
   */
  async #settleFromHistory(signal: AbortSignal): Promise<void> {
    const forwarding = (await this.#repo().inStates(['forwarding'])).filter(
      (r) => !this.#settlements.pending(r.id),
    );
    if (forwarding.length === 0) return;
    const channels = await this.#lightning.listChannels(signal);
    for (const r of forwarding) {
      const channel = channels.find(
        (c) => c.channelPoint.txid === r.fundingTxid && c.channelPoint.outputIndex === r.fundingOutputIndex,
      );
      const scids = new Set<string>([
        r.jitScid,
        ...(r.channelScid ? [r.channelScid] : []),
        ...(channel ? [channel.scid, ...channel.aliasScids].map(String) : []),
      ]);
      const since = new Date(r.createdAt.getTime() - 60_000);
      if (await this.#settlements.settledInHistory(scids, since, r.feeMsat ?? msat(0n), signal))
        await this.#forwardEnded(r.id, 'settled');
    }
  }

  /**
   * After a restart mid-open: a channel caught before the commit point was never signed, so it
   * is not funded and its HTLCs go back; one past it is published, made usable and forwarded.
   */
  async #resume(record: JitChannelRecord, held: Held): Promise<void> {
    if (record.state === 'opening') {
      return this.#openFailed(record, held, {
        reason: 'interrupted before the channel was funded',
        refused: false,
      });
    }
    held.opening = true;
    try {
      await this.#activate(record.id);
    } finally {
      held.opening = false;
    }
    const current = await this.#repo().get(record.id);
    if (current?.state === 'forwarding') await this.#forwardHeld(current, held);
  }

  /**
   * JIT channels left mid-open with no HTLC replayed (e.g. the payer gave up) end here: failed
   * when not funded, made usable when funded.
   */
  async #recoverOpenings(): Promise<void> {
    for (const record of await this.#repo().inStates(['opening', 'publishing'])) {
      if (this.#held.has(record.id)) continue;
      const held: Held = {
        parts: new Map(),
        firstAt: new Date(),
        timer: undefined,
        queue: Promise.resolve(),
        opening: false,
      };
      this.#held.set(record.id, held);
      held.queue = held.queue.then(() => this.#resume(record, held));
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
        return this.#resume(current, held);
    }
    this.#log.warn({ jit: record.id, reason }, 'JIT channel not funded; failing the HTLCs back');
    await this.#release(record.id, held, failure.refused ? 'unknown_next_peer' : 'temporary_channel_failure');
  }

  #timeout(id: string, held: Held): void {
    held.queue = held.queue.then(async () => {
      const record = await this.#repo().get(id);
      if (record?.state !== 'awaiting_payment') return;
      this.#log.info(
        { jit: id, parts: held.parts.size },
        'JIT parts did not cover the payment in time; failing them back',
      );
      // bLIP-52: the MPP timeout fails with temporary_channel_failure.
      await this.#release(id, held, 'temporary_channel_failure');
    });
  }

  /** Resumes, or fails with `how`, every part held for a JIT channel and forgets them. */
  async #release(id: string, held: Held, how: 'resume' | HtlcFailure): Promise<void> {
    clearTimeout(held.timer);
    const parts = [...held.parts.values()];
    held.parts.clear();
    if (this.#held.get(id) === held) this.#held.delete(id);
    if (how === 'resume') for (const p of parts) await this.#resolve({ action: 'resume', ...ids(p) });
    else await this.#fail(parts, how);
  }

  async #fail(
    parts: readonly InterceptedHtlc[],
    failure: HtlcFailure = 'temporary_channel_failure',
  ): Promise<void> {
    for (const p of parts)
      await this.#resolve({ action: 'fail', ...ids(p), failure }).catch((err: unknown) =>
        this.#log.warn({ err }, 'could not fail an HTLC back'),
      );
  }

  async #resolve(r: Parameters<HtlcInterceptor['resolve']>[0]): Promise<void> {
    if (!this.#interceptor) throw new Error('the interceptor is not running');
    await this.#interceptor.resolve(r);
  }

  /**
   * Applies an event through the one driver (only from the state read); false when it had
   * already moved on. Each effect needs the HTLCs this forwarder holds in memory, so the code
   * that took the event performs it right after the step (`#open`, `#publish`, `#forward`,
   * `#release`); after a restart `#resume` does from the state.
   */
  async #apply(
    record: JitChannelRecord,
    event: JitChannelEvent,
    extra: { channelCapacitySat?: bigint } = {},
    db: Kysely<Schema> = this.#database.db,
  ): Promise<boolean> {
    const byTheCaller = () => {};
    const step = await applyStep(jitChannelMachine, record, event, undefined, {
      db,
      log: this.#log,
      persist: (step, db) => {
        const r = step.record as Partial<Record<string, unknown>>;
        return new Lsps2JitChannelsRepository(db).transition(record.id, record.state, {
          state: step.state,
          ...(typeof r.paymentHash === 'string' ? { paymentHash: r.paymentHash } : {}),
          ...(typeof r.fee === 'bigint' ? { feeMsat: r.fee } : {}),
          ...(typeof r.fundingId === 'string' ? { fundingId: r.fundingId } : {}),
          ...(typeof r.txid === 'string' ? { fundingTxid: r.txid } : {}),
          ...(typeof r.outputIndex === 'number' ? { fundingOutputIndex: r.outputIndex } : {}),
          ...(typeof r.channelScid === 'bigint' ? { channelScid: r.channelScid.toString() } : {}),
          ...(typeof r.reason === 'string' ? { failure: r.reason } : {}),
          ...extra,
        });
      },
      effects: {
        open_channel: byTheCaller,
        publish: byTheCaller,
        forward_htlcs: byTheCaller,
        fail_htlcs: byTheCaller,
      },
    });
    return step !== undefined;
  }

  /** The channel to open for a payment: twice the payment, within the configured bounds. */
  #capacity(paymentSize: Msat): bigint {
    const double = ((paymentSize + 999n) / 1000n) * 2n;
    const min = BigInt(this.#limits.minChannelSize);
    const max = BigInt(this.#limits.maxChannelSize);
    return double < min ? min : double > max ? max : double;
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}

function ids(h: InterceptedHtlc) {
  return { incomingScid: h.incomingScid, incomingHtlcId: h.incomingHtlcId };
}

/** How often buys whose fee params ran out are looked for. */
const BUY_EXPIRY_SCAN_MS = 10_000;

/** States in which a JIT channel is being opened for one payment (its hash recorded). */
const OPENING_JIT_STATES: readonly string[] = ['opening', 'publishing', 'forwarding'];

function toPart(h: InterceptedHtlc): HeldPart<string> {
  return { id: key(h), paymentHash: h.paymentHash, amount: h.outgoingAmount };
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

function u64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, value);
  return b;
}
