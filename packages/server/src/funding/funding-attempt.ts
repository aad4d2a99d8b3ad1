/**
 * One attempt at a funding transaction, its four steps in order (the module comment of
 * `channel-funder.ts` says why each is where it is):
 *
 * 1. {@link FundingAttempt.accept}: every peer accepts, or is dropped before anything is funded;
 * 2. {@link FundingAttempt.fundTransaction}: one transaction for the accepted channels, its
 *    inputs leased under the attempt's id;
 * 3. {@link FundingAttempt.collectSignatures}: each peer verifies it and signs its commitment;
 * 4. {@link FundingAttempt.commit}: the commit point, with the callers' machines, then its effects.
 *
 * A step that cannot go on ends the attempt with its result (`{ ended }`): the attempt is
 * cancelled (negotiations cancelled, what a peer signed abandoned, the inputs released) and the
 * channels that did nothing wrong are handed back to be tried again. Anything unexpected before
 * the commit point cancels it too, and no channel counts as funded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type ChannelNegotiation,
  ErrorCode,
  type FundedPsbt,
  type Hex32,
  isLspError,
  parseHex32,
  type Sat,
} from '@blgv/core';
import { ChannelFundingsRepository, type FundingChannelRecord } from '@blgv/store';
import { errorMessage } from '../error-message.ts';
import { retryUntilDone, settleBy } from '../jobs/retry.ts';
import { AfterCommit } from '../machines/apply-step.ts';
import type { AttemptFunder } from './attempt-funder.ts';
import { fundFromWallet } from './coin-supply.ts';
import { CALL_TIMEOUT_MS, LOCK_SECONDS } from './funding-publication.ts';
import type { AttemptResult, FundingChannel, FundingCommit, FundOptions } from './funding-request.ts';
import { peerFailure } from './funding-unwind.ts';

interface Member {
  readonly channel: FundingChannel;
  readonly pendingChanId: Hex32;
  readonly negotiation: ChannelNegotiation;
}

/** A member whose peer accepted: where its channel's output goes, and how much. */
interface Accepted {
  readonly member: Member;
  readonly address: string;
  readonly amount: Sat;
}

/** A step that ended the attempt, with the attempt's result. */
interface Ended {
  readonly ended: AttemptResult;
}

const random32 = (): Hex32 => parseHex32(randomBytes(32).toString('hex'));
const hasEnded = (step: object): step is Ended => 'ended' in step;

/** Makes one attempt at funding `channels` in one transaction. */
export function attemptFunding(
  funder: AttemptFunder,
  channels: readonly FundingChannel[],
  options: FundOptions,
): Promise<AttemptResult> {
  return new FundingAttempt(funder, channels, options).run();
}

class FundingAttempt {
  readonly #funder: AttemptFunder;
  readonly #options: FundOptions;
  readonly #channels: readonly FundingChannel[];
  readonly #id = randomUUID();
  readonly #lockId = random32();
  readonly #records: readonly FundingChannelRecord[];
  readonly #repo: ChannelFundingsRepository;
  /** When each step ended, for the commit's log line (ms since the attempt started). */
  readonly #stepsMs: Record<string, number> = {};
  readonly #started = Date.now();
  readonly #failed = new Map<string, string>();
  readonly #refused = new Set<string>();
  #members: readonly Member[] = [];

  constructor(funder: AttemptFunder, channels: readonly FundingChannel[], options: FundOptions) {
    this.#funder = funder;
    this.#options = options;
    this.#channels = channels;
    this.#records = channels.map(
      (c): FundingChannelRecord => ({
        owner: c.owner,
        pendingChanId: random32(),
        remotePubkey: c.open.remotePubkey,
        amountSat: c.open.localAmount.toString(),
      }),
    );
    this.#repo = new ChannelFundingsRepository(funder.database.db);
  }

  async run(): Promise<AttemptResult> {
    const id = this.#id;
    await this.#repo.insert({
      id,
      feeRate: this.#options.feeRate,
      lockId: this.#lockId,
      channels: this.#records,
    });
    this.#funder.live.add(id);
    this.#members = this.#channels.map((channel, i) => {
      const pendingChanId = (this.#records[i] as FundingChannelRecord).pendingChanId;
      return {
        channel,
        pendingChanId,
        negotiation: this.#funder.lightning.negotiateChannel({ ...channel.open, pendingChanId }),
      };
    });
    try {
      const accepted = await this.accept();
      if (hasEnded(accepted)) return accepted.ended;
      const funded = await this.fundTransaction(accepted.live);
      if (hasEnded(funded)) return funded.ended;
      const signed = await this.collectSignatures(accepted.live, funded.psbt);
      if (hasEnded(signed)) return signed.ended;
      return await this.commit(signed.signers, funded.psbt);
    } catch (err) {
      return await this.#interrupted(err);
    } finally {
      this.#funder.live.delete(id);
      for (const m of this.#members) m.negotiation.close();
    }
  }

  /** 1. Every peer accepts, or is dropped (its negotiation cancelled; nothing is funded yet). */
  async accept(): Promise<{ live: Accepted[] } | Ended> {
    const members = this.#members;
    const accepted = await settleBy(
      members.map((m) => m.negotiation.accepted),
      this.#wait(),
    );
    const live: Accepted[] = [];
    const notReady: Member[] = [];
    const clientFaults: Member[] = [];
    for (const [i, r] of accepted.entries()) {
      const m = members[i] as Member;
      if (r.ok) live.push({ member: m, ...r.value });
      else {
        if (isLspError(r.error, ErrorCode.LightningUnavailable)) notReady.push(m);
        else if (this.#peerFailed(m.channel.owner, r.error, 'accept the channel').internal)
          clientFaults.push(m);
        await this.#funder.lightning
          .cancelPsbtFunding(m.pendingChanId, AbortSignal.timeout(CALL_TIMEOUT_MS))
          .catch((err: unknown) =>
            this.#funder.log.warn({ err, funding: this.#id }, 'cancelling a negotiation failed'),
          );
      }
    }
    if (notReady.length > 0) {
      // The LSP's node refused to negotiate (e.g. it was catching up with a block): nothing is
      // funded yet, so every channel still wanted is negotiated again in a fresh attempt.
      this.#funder.log.info(
        { funding: this.#id, channels: members.length },
        "the LSP's node was not ready to open; trying again",
      );
      const wanted = members.filter((m) => !this.#failed.has(m.channel.owner)).map((m) => m.channel);
      return {
        ended: { ...(await this.#cancelled("the LSP's node was not ready", wanted)), nodeNotReady: true },
      };
    }
    if (live.length === 0) {
      if (clientFaults.length === 0) return { ended: await this.#cancelled('no peer accepted') };
      // Their nodes' trouble, not a decision: those are worth asking again.
      const again = clientFaults.map((m) => m.channel);
      return { ended: { ...(await this.#cancelled('no peer accepted', again)), clientFault: true } };
    }
    if (live.length < members.length) {
      await this.#repo.keepChannels(
        this.#id,
        this.#records.filter((r) => live.some((l) => l.member.pendingChanId === r.pendingChanId)),
      );
    }
    this.#stepDone('accepted');
    return { live };
  }

  /** 2. One transaction for every accepted channel, its inputs leased under the attempt's id. */
  async fundTransaction(live: readonly Accepted[]): Promise<{ psbt: FundedPsbt } | Ended> {
    let funded: FundedPsbt;
    try {
      // From the wallet's coins, waiting for some if others hold them (`coin-supply.ts`).
      const funder = this.#funder;
      funded = await fundFromWallet(
        { ...funder, othersHoldCoins: () => funder.othersHoldCoins(this.#id) },
        this.#id,
        {
          outputs: live.map((l) => ({ address: l.address, amount: l.amount })),
          satPerVbyte: this.#options.feeRate,
          lockId: this.#lockId,
          lockSeconds: LOCK_SECONDS,
        },
        this.#wait(),
      );
    } catch (err) {
      const reason = `the LSP could not fund the channel: ${errorMessage(err)}`;
      for (const l of live) this.#failed.set(l.member.channel.owner, reason);
      return { ended: await this.#cancelled(reason) };
    }
    try {
      await this.#repo.recordFunded(this.#id, funded);
    } finally {
      this.#funder.coins.picked(this.#id); // its coins are on record (or it is interrupted)
    }
    this.#options.onInputsLeased?.();
    this.#stepDone('funded');
    return { psbt: funded };
  }

  /**
   * 3. Each peer gets the unsigned transaction and signs its commitment. All at once: LND
   * verifies each channel's PSBT on its own (its funding_created goes then).
   */
  async collectSignatures(
    live: readonly Accepted[],
    funded: FundedPsbt,
  ): Promise<{ signers: { member: Member; outputIndex: number }[] } | Ended> {
    const verified = await Promise.allSettled(
      live.map((l) =>
        this.#funder.lightning.verifyPsbtFunding(
          l.member.pendingChanId,
          funded.psbt,
          AbortSignal.timeout(CALL_TIMEOUT_MS),
        ),
      ),
    );
    const refusedVerify: Member[] = [];
    for (const [i, r] of verified.entries()) {
      if (r.status === 'fulfilled') continue;
      const l = live[i] as Accepted;
      this.#failed.set(l.member.channel.owner, `LND refused the funding: ${errorMessage(r.reason)}`);
      refusedVerify.push(l.member);
    }
    const others = live.map((l) => l.member).filter((m) => !refusedVerify.includes(m));
    if (refusedVerify.length > 0) {
      const again = others.map((m) => m.channel);
      return { ended: await this.#cancelled('a channel of the transaction was refused', again) };
    }
    this.#stepDone('verified');
    const signed = await settleBy(
      others.map((m) => m.negotiation.signed),
      this.#wait(),
    );
    const points: { member: Member; txid: Hex32; outputIndex: number }[] = [];
    for (const [i, r] of signed.entries()) {
      const member = others[i] as Member;
      if (r.ok) points.push({ member, ...r.value });
      else this.#peerFailed(member.channel.owner, r.error, 'sign');
    }
    if (points.length < others.length) {
      const again = points.map((p) => p.member.channel);
      return { ended: await this.#cancelled('a peer did not sign its commitment', again) };
    }
    for (const p of points)
      if (p.txid !== funded.txid) throw new Error(`peer signed a different funding transaction (${p.txid})`);
    this.#stepDone('signed');
    return { signers: points };
  }

  /** 4. The commit point, together with the callers' machines; then its effects. */
  async commit(
    signers: readonly { member: Member; outputIndex: number }[],
    funded: FundedPsbt,
  ): Promise<AttemptResult> {
    const id = this.#id;
    const options = this.#options;
    const commit: FundingCommit = {
      fundingId: id,
      txid: funded.txid,
      fee: funded.fee,
      vsize: funded.vsize,
      channels: signers.map((s) => ({ owner: s.member.channel.owner, outputIndex: s.outputIndex })),
    };
    const after = new AfterCommit(this.#funder.database.db);
    const passed = await this.#funder.database.db.transaction().execute(async (trx) => {
      const committed = { type: options.withhold ? 'withheld' : 'committed' } as const;
      const negotiating = { id, state: 'negotiating', txid: funded.txid, lockId: this.#lockId } as const;
      if (!(await this.#funder.move(trx, negotiating, committed, after))) return false;
      await options.commit(trx, commit, after);
      return true;
    });
    if (!passed) {
      for (const s of signers) this.#failed.set(s.member.channel.owner, 'the funding was cancelled');
      return await this.#cancelled('cancelled before the commit point');
    }
    this.#funder.log.info(
      {
        funding: id,
        txid: funded.txid,
        channels: commit.channels.length,
        fee: Number(funded.fee),
        withheld: options.withhold === true,
        stepsMs: this.#stepsMs,
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
        this.#funder.log.warn(
          { err, funding: id },
          'an effect after the commit point failed; resumed from the state',
        ),
      );
    return { committed: commit, failed: this.#failed, refused: this.#refused, retry: [] };
  }

  /**
   * Anything unexpected before the commit point: cancel, and let no channel count as funded.
   * When the database is what failed, it is asked until it answers: an attempt left
   * negotiating would keep its inputs leased and its negotiations open (only a restart's
   * recovery would cancel it), and its callers refund only once it is cancelled.
   */
  async #interrupted(err: unknown): Promise<AttemptResult> {
    const reason = `the open failed: ${errorMessage(err)}`;
    for (const m of this.#members)
      if (!this.#failed.has(m.channel.owner)) this.#failed.set(m.channel.owner, reason);
    const funding = await retryUntilDone(
      async () => {
        const f = await this.#repo.get(this.#id);
        if (f?.state === 'negotiating') await this.#funder.cancel(f, reason);
        return f;
      },
      {
        what: 'cancelling an interrupted funding',
        signal: this.#funder.signal(),
        log: this.#funder.log,
        subject: { id: this.#id },
      },
    ).catch(() => undefined);
    if (funding && funding.state !== 'negotiating' && funding.state !== 'cancelled') throw err;
    return { failed: this.#failed, refused: this.#refused, retry: [] };
  }

  /** Cancels the attempt; `retry` are the channels that did nothing wrong. */
  async #cancelled(reason: string, retry: readonly FundingChannel[] = []): Promise<AttemptResult> {
    const funding = await this.#repo.get(this.#id);
    if (funding) await this.#funder.cancel(funding, reason);
    return { failed: this.#failed, refused: this.#refused, retry };
  }

  /** Records why a peer failed at `step` (and whether it refused). */
  #peerFailed(owner: string, err: unknown, step: string) {
    const f = peerFailure(err, step, Math.round(this.#options.deadlineMs / 1000));
    this.#failed.set(owner, f.reason);
    if (f.refused) this.#refused.add(owner);
    return f;
  }

  /** How long a step waits for the peers: the caller's signal and the deadline. */
  #wait(): AbortSignal {
    return AbortSignal.any([
      this.#options.signal ?? this.#funder.signal(),
      AbortSignal.timeout(this.#options.deadlineMs),
    ]);
  }

  #stepDone(step: string): void {
    this.#stepsMs[step] = Date.now() - this.#started;
  }
}
