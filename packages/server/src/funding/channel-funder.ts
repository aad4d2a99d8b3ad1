/**
 * Every channel the LSP opens (REST single and batch, LSPS1, JIT) is funded here, with one
 * commit point per funding transaction.
 *
 * 1. A `negotiating` row is written, then LND negotiates each channel with its peer under a
 *    PSBT shim that never publishes.
 * 2. Peers that refuse, or do not accept within the deadline, are dropped (their negotiation
 *    cancelled); the wallet funds one transaction for the rest, its inputs leased under an id
 *    stored in the row.
 * 3. Every peer is handed the unsigned transaction and signs its commitment. Nothing is signed
 *    on our side yet, so until the next step no one can publish it.
 * 4. Once every peer has signed, the row moves to `publishing` (with the txid and the PSBT) in
 *    the same database transaction as the callers' own machines: that is the commit point.
 *    Only then is the transaction signed and published ({@link ChannelFunder.published}).
 *
 * A failure or timeout before the commit point cancels for certain: negotiations are
 * cancelled, channels a peer already signed are abandoned, the inputs are released. A peer
 * that fails after others signed costs the others nothing: they are negotiated again in a
 * fresh attempt. After a crash, `recover` cancels every attempt left `negotiating` and
 * publishes every one left `publishing`. Nothing ever retries an open whose outcome is
 * unknown: there is none.
 *
 * The inputs of a committed transaction stay leased until it is out: every publication
 * attempt (the first, each retry, and recovery's) leases them again under the funding's id
 * for another {@link LOCK_SECONDS} before signing, so however long publishing keeps failing,
 * no other spend of the wallet can take them. Coins the wallet holds for someone else (an
 * LSPS1 order's payment) are leased by their holder; a {@link FundingGuard} runs right before
 * the wallet picks inputs, so the holder has leased everything it holds by then.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type ChannelNegotiation,
  ErrorCode,
  type FundedPsbt,
  type FundingEvent,
  type Hex32,
  isLspError,
  parseHex32,
  type Sat,
} from '@blgv/core';
import {
  assertLeaseHeld,
  type ChannelFunding,
  ChannelFundingsRepository,
  type Database,
  type FundingChannelRecord,
  type Kysely,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import { retryUntilDone, settleBy } from '../jobs/retry.ts';
import { AfterCommit } from '../machines/apply-step.ts';
import { pause } from '../poll.ts';
import {
  CALL_TIMEOUT_MS,
  LOCK_SECONDS,
  moveFunding,
  publishOnce,
  SharedPublications,
} from './funding-publication.ts';
import type {
  AttemptResult,
  ChannelFunderDeps,
  ChannelFunderLightning,
  FundingChannel,
  FundingCommit,
  FundingGuard,
  FundingResult,
  FundOptions,
} from './funding-request.ts';
import { type FundingUnwinding, peerFailure, sweepCancelled, unwindFunding } from './funding-unwind.ts';

export { LOCK_SECONDS } from './funding-publication.ts';
export type {
  CommittedChannel,
  FundingChannel,
  FundingCommit,
  FundingGuard,
  FundingResult,
  FundOptions,
} from './funding-request.ts';

interface Member {
  readonly channel: FundingChannel;
  readonly pendingChanId: Hex32;
  readonly negotiation: ChannelNegotiation;
}

/** How often abandoned negotiations are looked for (late signatures of cancelled attempts). */
const SWEEP_INTERVAL_MS = 60_000;
/**
 * How often, and how far apart, an attempt is made again when the LSP's own node refused to
 * negotiate because it was catching up with a new block (it takes a moment per block).
 */
const NOT_READY_RETRIES = 10;
const NOT_READY_PAUSE_MS = 1_000;
/** The pause before a channel whose client node failed on an internal error is asked again. */
const CLIENT_FAULT_PAUSE_MS = 1_000;

const random32 = (): Hex32 => parseHex32(randomBytes(32).toString('hex'));
const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Funds channels through the PSBT flow with one commit point per transaction. */
export class ChannelFunder {
  readonly #database: Database;
  readonly #lightning: ChannelFunderLightning;
  readonly #log: Logger;
  readonly #guard: FundingGuard | undefined;
  /** Attempts this process is running (recovery leaves them alone). */
  readonly #live = new Set<string>();
  readonly #publications = new SharedPublications();
  #signal: AbortSignal = new AbortController().signal;

  constructor(deps: ChannelFunderDeps) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#log = deps.log;
    this.#guard = deps.guard;
  }

  /**
   * Negotiates and funds `channels` in one transaction. Resolves once the commit point is
   * written and its effects performed (the transaction published, the callers' steps after it),
   * or when every channel failed.
   */
  async fund(channels: readonly FundingChannel[], options: FundOptions): Promise<FundingResult> {
    const failed = new Map<string, string>();
    const refused = new Set<string>();
    let remaining = channels;
    let notReady = 0;
    for (let attempt = 0; remaining.length > 0 && attempt <= channels.length; attempt++) {
      const r = await this.#attempt(remaining, options);
      for (const [owner, reason] of r.failed) failed.set(owner, reason);
      for (const owner of r.refused) refused.add(owner);
      if (r.committed) {
        // A channel asked again after its node's internal error has no failure left.
        for (const c of r.committed.channels) failed.delete(c.owner);
        return { committed: r.committed, failed, refused };
      }
      remaining = r.retry;
      if (r.nodeNotReady && notReady++ < NOT_READY_RETRIES) {
        // Not the peers' doing: this attempt does not count against theirs.
        attempt--;
        await pause(NOT_READY_PAUSE_MS, options.signal ?? this.#signal);
      } else if (r.clientFault && remaining.length > 0) {
        this.#log.info(
          { channels: remaining.length },
          'a client node failed the channel on an internal error; asking again',
        );
        await pause(CLIENT_FAULT_PAUSE_MS, options.signal ?? this.#signal);
      }
    }
    for (const c of remaining)
      if (!failed.has(c.owner)) failed.set(c.owner, 'the funding transaction could not be completed');
    return { failed, refused };
  }

  /**
   * Signs and publishes a committed funding transaction (again, after a crash: publishing
   * twice is harmless), retrying until it is out. Concurrent callers share one publication.
   */
  published(fundingId: string, signal: AbortSignal = this.#signal): Promise<void> {
    const wallet = { database: this.#database, lightning: this.#lightning, log: this.#log };
    return this.#publications.join(
      fundingId,
      () => publishOnce(wallet, fundingId, (f) => this.#move(this.#database.db, f, { type: 'published' })),
      { signal: AbortSignal.any([signal, this.#signal]), log: this.#log },
    );
  }

  /**
   * Publishes a withheld funding (its owner was paid for the channel): moves it to
   * `publishing` and publishes it, retrying until it is out. Releasing one already released
   * (a retry, another replica) joins its publication; one withdrawn is an error.
   */
  async release(fundingId: string, signal: AbortSignal = this.#signal): Promise<void> {
    const f = await this.get(fundingId);
    if (!f) throw new Error(`no funding ${fundingId}`);
    if (f.state === 'withheld' && !(await this.#move(this.#database.db, f, { type: 'released' })))
      return this.release(fundingId, signal);
    if (f.state === 'withdrawn' || f.state === 'cancelled' || f.state === 'negotiating')
      throw new Error(`funding ${fundingId} is ${f.state}: it cannot be released`);
    if (f.state !== 'published') await this.published(fundingId, signal);
  }

  /**
   * Gives up a withheld funding (its owner never paid for the channel): its channels are
   * abandoned and its inputs go back to the wallet; nothing reaches the chain. True when it is
   * withdrawn (now or before); false when it was released meanwhile (it is funded: keep it).
   */
  async withdraw(fundingId: string, reason: string): Promise<boolean> {
    const f = await this.get(fundingId);
    if (!f) throw new Error(`no funding ${fundingId}`);
    if (f.state === 'withdrawn') return true;
    if (f.state !== 'withheld') return false;
    if (await this.#move(this.#database.db, f, { type: 'withdrawn', reason })) return true;
    return this.withdraw(fundingId, reason);
  }

  /**
   * Applies a funding's event and performs its effects: `sign_and_publish` publishes (after
   * the commit point's transaction, through `afterCommit`), `unwind` abandons what peers
   * signed and releases the inputs.
   */
  #move(
    db: Kysely<Schema>,
    funding: Pick<ChannelFunding, 'id' | 'state' | 'txid' | 'lockId'>,
    event: FundingEvent,
    afterCommit?: AfterCommit,
  ): Promise<boolean> {
    return moveFunding(db, funding, event, {
      log: this.#log,
      ...(afterCommit ? { afterCommit } : {}),
      effects: {
        sign_and_publish: () => this.published(funding.id),
        unwind: () =>
          unwindFunding(
            this.#unwinding(),
            funding,
            event.type === 'cancelled' || event.type === 'withdrawn' ? event.reason : event.type,
          ),
      },
    });
  }

  /** The funding as stored. */
  get(fundingId: string): Promise<ChannelFunding | undefined> {
    return new ChannelFundingsRepository(this.#database.db).get(fundingId);
  }

  /**
   * Finishes what a crash left: cancels every attempt left negotiating (none of them was
   * signed, so none can reach the chain) and publishes every one left publishing. Withheld
   * ones are their owners' to release or withdraw (their own recovery decides).
   */
  async recover(): Promise<void> {
    const repo = new ChannelFundingsRepository(this.#database.db);
    for (const f of await repo.inStates(['negotiating'])) {
      if (this.#live.has(f.id)) continue;
      await this.#cancel(f, 'interrupted before the commit point');
    }
    for (const f of await repo.inStates(['publishing'])) void this.published(f.id).catch(() => {});
  }

  /**
   * Runs recovery, then keeps abandoning channels of cancelled attempts that a peer signed
   * late, until `signal` aborts.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    await retryUntilDone(() => this.recover(), { what: 'funding recovery', signal, log: this.#log });
    while (!signal.aborted) {
      await this.sweep().catch((err: unknown) => this.#log.warn({ err }, 'funding sweep failed'));
      await pause(SWEEP_INTERVAL_MS, signal); // the sweep's schedule
    }
  }

  /** Abandons channels LND holds for cancelled funding transactions (never published). */
  sweep(): Promise<number> {
    return sweepCancelled(this.#unwinding());
  }

  async #attempt(channels: readonly FundingChannel[], options: FundOptions): Promise<AttemptResult> {
    const id = randomUUID();
    /** When each step ended, for the commit's log line (ms since the attempt started). */
    const started = Date.now();
    const stepsMs: Record<string, number> = {};
    const stepDone = (step: string) => {
      stepsMs[step] = Date.now() - started;
    };
    const lockId = random32();
    const records = channels.map(
      (c): FundingChannelRecord => ({
        owner: c.owner,
        pendingChanId: random32(),
        remotePubkey: c.open.remotePubkey,
        amountSat: c.open.localAmount.toString(),
      }),
    );
    const repo = new ChannelFundingsRepository(this.#database.db);
    await repo.insert({ id, feeRate: options.feeRate, lockId, channels: records });
    this.#live.add(id);
    const members: Member[] = channels.map((channel, i) => {
      const pendingChanId = (records[i] as FundingChannelRecord).pendingChanId;
      return {
        channel,
        pendingChanId,
        negotiation: this.#lightning.negotiateChannel({ ...channel.open, pendingChanId }),
      };
    });
    const failed = new Map<string, string>();
    const refused = new Set<string>();
    const cancelled = async (
      reason: string,
      retry: readonly FundingChannel[] = [],
    ): Promise<AttemptResult> => {
      const funding = await repo.get(id);
      if (funding) await this.#cancel(funding, reason);
      return { failed, refused, retry };
    };
    const wait = () =>
      AbortSignal.any([options.signal ?? this.#signal, AbortSignal.timeout(options.deadlineMs)]);
    const seconds = Math.round(options.deadlineMs / 1000);
    const peerFailed = (owner: string, err: unknown, step: string) => {
      const f = peerFailure(err, step, seconds);
      failed.set(owner, f.reason);
      if (f.refused) refused.add(owner);
      return f;
    };
    try {
      // 1. Every peer accepts, or is dropped (its negotiation cancelled; nothing is funded yet).
      const accepted = await settleBy(
        members.map((m) => m.negotiation.accepted),
        wait(),
      );
      const live: { member: Member; address: string; amount: Sat }[] = [];
      const notReady: Member[] = [];
      const clientFaults: Member[] = [];
      for (const [i, r] of accepted.entries()) {
        const m = members[i] as Member;
        if (r.ok) live.push({ member: m, ...r.value });
        else {
          if (isLspError(r.error, ErrorCode.LightningUnavailable)) notReady.push(m);
          else if (peerFailed(m.channel.owner, r.error, 'accept the channel').internal) clientFaults.push(m);
          await this.#lightning
            .cancelPsbtFunding(m.pendingChanId, AbortSignal.timeout(CALL_TIMEOUT_MS))
            .catch((err: unknown) => this.#log.warn({ err, funding: id }, 'cancelling a negotiation failed'));
        }
      }
      if (notReady.length > 0) {
        // The LSP's node refused to negotiate (e.g. it was catching up with a block): nothing is
        // funded yet, so every channel still wanted is negotiated again in a fresh attempt.
        this.#log.info(
          { funding: id, channels: members.length },
          "the LSP's node was not ready to open; trying again",
        );
        return {
          ...(await cancelled(
            "the LSP's node was not ready",
            members.filter((m) => !failed.has(m.channel.owner)).map((m) => m.channel),
          )),
          nodeNotReady: true,
        };
      }
      if (live.length === 0) {
        if (clientFaults.length === 0) return await cancelled('no peer accepted');
        // Their nodes' trouble, not a decision: those are worth asking again.
        return {
          ...(await cancelled(
            'no peer accepted',
            clientFaults.map((m) => m.channel),
          )),
          clientFault: true,
        };
      }
      if (live.length < members.length) {
        await repo.keepChannels(
          id,
          records.filter((r) => live.some((l) => l.member.pendingChanId === r.pendingChanId)),
        );
      }

      stepDone('accepted');
      // 2. One transaction for every accepted channel, its inputs leased under the attempt's id.
      let funded: FundedPsbt;
      try {
        // Nothing of the wallet is leased for a job whose lease this replica lost meanwhile
        // (`lease_lost`): the replica holding it now has cancelled this attempt.
        assertLeaseHeld('funding a transaction');
        await this.#guard?.beforeFunding(AbortSignal.timeout(CALL_TIMEOUT_MS));
        funded = await this.#lightning.fundPsbt(
          {
            outputs: live.map((l) => ({ address: l.address, amount: l.amount })),
            satPerVbyte: options.feeRate,
            lockId,
            lockSeconds: LOCK_SECONDS,
          },
          AbortSignal.timeout(CALL_TIMEOUT_MS),
        );
      } catch (err) {
        const reason = `the LSP could not fund the channel: ${reasonOf(err)}`;
        for (const l of live) failed.set(l.member.channel.owner, reason);
        return await cancelled(reason);
      }
      await repo.recordFunded(id, funded);
      options.onInputsLeased?.();

      stepDone('funded');
      // 3. Each peer gets the unsigned transaction and signs its commitment.
      // All at once: LND verifies each channel's PSBT on its own (its funding_created goes then).
      const verified = await Promise.allSettled(
        live.map((l) =>
          this.#lightning.verifyPsbtFunding(
            l.member.pendingChanId,
            funded.psbt,
            AbortSignal.timeout(CALL_TIMEOUT_MS),
          ),
        ),
      );
      const refusedVerify: Member[] = [];
      for (const [i, r] of verified.entries()) {
        if (r.status === 'fulfilled') continue;
        const l = live[i] as (typeof live)[number];
        failed.set(l.member.channel.owner, `LND refused the funding: ${reasonOf(r.reason)}`);
        refusedVerify.push(l.member);
      }
      const others = live.map((l) => l.member).filter((m) => !refusedVerify.includes(m));
      if (refusedVerify.length > 0) {
        return await cancelled(
          'a channel of the transaction was refused',
          others.map((m) => m.channel),
        );
      }
      stepDone('verified');
      const signed = await settleBy(
        others.map((m) => m.negotiation.signed),
        wait(),
      );
      const signers = others.filter((_, i) => signed[i]?.ok);
      if (signers.length < others.length) {
        for (const [i, r] of signed.entries()) {
          if (!r.ok) peerFailed((others[i] as Member).channel.owner, r.error, 'sign');
        }
        return await cancelled(
          'a peer did not sign its commitment',
          signers.map((m) => m.channel),
        );
      }

      stepDone('signed');
      // 4. The commit point, together with the callers' machines.
      const committedChannels = others.map((m, i) => {
        const r = signed[i];
        const point = r?.ok ? r.value : undefined;
        if (!point || point.txid !== funded.txid)
          throw new Error(`peer signed a different funding transaction (${point?.txid})`);
        return { owner: m.channel.owner, outputIndex: point.outputIndex };
      });
      const commit: FundingCommit = {
        fundingId: id,
        txid: funded.txid,
        fee: funded.fee,
        vsize: funded.vsize,
        channels: committedChannels,
      };
      const after = new AfterCommit(this.#database.db);
      const passed = await this.#database.db.transaction().execute(async (trx) => {
        const committed = { type: options.withhold ? 'withheld' : 'committed' } as const;
        const negotiating = { id, state: 'negotiating', txid: funded.txid, lockId } as const;
        if (!(await this.#move(trx, negotiating, committed, after))) return false;
        await options.commit(trx, commit, after);
        return true;
      });
      if (!passed) {
        for (const m of others) failed.set(m.channel.owner, 'the funding was cancelled');
        return await cancelled('cancelled before the commit point');
      }
      this.#log.info(
        {
          funding: id,
          txid: funded.txid,
          channels: committedChannels.length,
          fee: Number(funded.fee),
          withheld: options.withhold === true,
          stepsMs,
        },
        options.withhold
          ? 'funding transaction committed and withheld until released'
          : 'funding transaction committed',
      );
      // Committed: publishing and the callers' steps after it are performed now; one that
      // fails is resumed from the stored states (recovery, the callers' runners).
      await after
        .perform()
        .catch((err: unknown) =>
          this.#log.warn(
            { err, funding: id },
            'an effect after the commit point failed; resumed from the state',
          ),
        );
      return { committed: commit, failed, refused, retry: [] };
    } catch (err) {
      // Anything unexpected before the commit point: cancel, and let no channel count as funded.
      // When the database is what failed, it is asked until it answers: an attempt left
      // negotiating would keep its inputs leased and its negotiations open (only a restart's
      // recovery would cancel it), and its callers refund only once it is cancelled.
      const reason = `the open failed: ${reasonOf(err)}`;
      for (const m of members) if (!failed.has(m.channel.owner)) failed.set(m.channel.owner, reason);
      const funding = await retryUntilDone(
        async () => {
          const f = await repo.get(id);
          if (f?.state === 'negotiating') await this.#cancel(f, reason);
          return f;
        },
        { what: 'cancelling an interrupted funding', signal: this.#signal, log: this.#log, subject: { id } },
      ).catch(() => undefined);
      if (funding && funding.state !== 'negotiating' && funding.state !== 'cancelled') throw err;
      return { failed, refused, retry: [] };
    } finally {
      this.#live.delete(id);
      for (const m of members) m.negotiation.close();
    }
  }

  /**
   * Cancels an attempt that never passed the commit point: cancels its negotiations, abandons
   * what a peer already signed, releases the leased inputs, and records it cancelled.
   */
  async #cancel(funding: ChannelFunding, reason: string): Promise<void> {
    const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
    for (const c of funding.channels) {
      await this.#lightning.cancelPsbtFunding(c.pendingChanId, signal).catch(() => {});
    }
    // Recorded first: from here the sweep abandons whatever a late signature still creates.
    await this.#move(this.#database.db, funding, { type: 'cancelled', reason });
  }

  /** What unwinding a cancelled funding needs. */
  #unwinding(): FundingUnwinding {
    return { database: this.#database, lightning: this.#lightning, log: this.#log };
  }
}
