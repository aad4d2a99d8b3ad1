/**
 * Opens that arrive together share one funding transaction: each channel asked for within a
 * short window (`windowMs`) of the first is funded with the others through the funder's one
 * commit point, in one transaction. Each caller still gets its own answer and its own commit:
 * its steps are written in the batch's commit transaction, and its effects (after the commit)
 * run beside the other members' rather than after them, so no member waits on another's
 * activation or forward. A member its peer refuses (or that does not answer in time) is dropped
 * by the funder and the others are funded without it: it costs them nothing, and nothing is
 * spent for it.
 *
 * Withheld opens (bLIP-52 `client_trusts_lsp`) are gathered in batches of their own when
 * {@link FundingBatchLimits.withheld} says so: their shared funding is released by the first
 * member's preimage and withdrawn only once no member can settle any more, which its caller
 * decides (`withheld-batch.ts`). Otherwise each goes alone.
 */
import type { Schema, Transaction } from '@blgv/store';
import type { Logger } from 'pino';
import { AfterCommit } from '../machines/apply-step.ts';
import type { ChannelFunder } from './channel-funder.ts';
import type { FundingChannel, FundingCommit, FundingResult, FundOptions } from './funding-request.ts';

/** How opens are gathered. */
export interface FundingBatchLimits {
  /** How long after the first open of a batch others may join it (0: every open alone). */
  readonly windowMs: number;
  /** The most channels in one funding transaction; a full batch is funded at once. */
  readonly maxChannels: number;
  /**
   * How long a batch whose window is over waits for the batch before it to pass its commit
   * point before it goes anyway.
   */
  readonly maxWaitMs: number;
  /** Whether withheld opens are batched too (in batches of their own). */
  readonly withheld: boolean;
}

interface Member {
  readonly channel: FundingChannel;
  readonly options: FundOptions;
  /** Answered (once). */
  answered: boolean;
  resolve(result: FundingResult): void;
  reject(err: unknown): void;
}

/** Answers `m` once: with its result, or the error its funding ended with. */
function answer(m: Member, outcome: { result: FundingResult } | { err: unknown }): void {
  if (m.answered) return;
  m.answered = true;
  if ('result' in outcome) m.resolve(outcome.result);
  else m.reject(outcome.err);
}

/** Opens gathered for the next funding transaction. */
interface Gathering {
  /** Its funding is withheld at the commit point (its members' opens all are). */
  readonly withhold: boolean;
  readonly members: Member[];
  readonly timer: NodeJS.Timeout;
  /** Its window is over (or it is full): it goes as soon as no batch is on its way. */
  due: boolean;
  /** Goes even while a batch is on its way (that one took too long to pass its commit point). */
  overdue: boolean;
}

/** Gathers opens that arrive within a window into one funding transaction. */
export class FundingBatcher {
  readonly #funder: Pick<ChannelFunder, 'fund'>;
  readonly #limits: FundingBatchLimits;
  readonly #log: Logger;
  /** The gathering of each kind of open (published at the commit point, or withheld). */
  readonly #gathering = new Map<boolean, Gathering>();
  /** Batches being negotiated whose inputs are not yet leased. */
  #negotiating = 0;

  constructor(deps: { funder: Pick<ChannelFunder, 'fund'>; limits: FundingBatchLimits; log: Logger }) {
    this.#funder = deps.funder;
    this.#limits = deps.limits;
    this.#log = deps.log;
  }

  /**
   * Funds `channel` as {@link ChannelFunder.fund} would, with the others asked for within the
   * window when its funding is published at the commit point. `options.commit` gets the
   * batch's commit with only this channel in it; the result names only this channel.
   *
   * A batch goes when its window is over, or when it is full. While an earlier batch is still
   * being negotiated, a batch whose window is over keeps gathering until that one's inputs are
   * chosen and leased (group commit: a burst spread over more than one window still makes few
   * transactions, and two batches never pick the wallet's coins at the same time), but not for
   * longer than {@link FundingBatchLimits.maxWaitMs}: a client slow to answer in one batch does
   * not hold up the next. The next batch's negotiation then runs beside the earlier one's
   * verification and signatures (docs/performance.md, "JIT burst").
   */
  fund(channel: FundingChannel, options: FundOptions): Promise<FundingResult> {
    const withhold = options.withhold === true;
    if (this.#limits.windowMs <= 0 || this.#limits.maxChannels <= 1 || (withhold && !this.#limits.withheld))
      return this.#funder.fund([channel], options);
    return new Promise<FundingResult>((resolve, reject) => {
      const member: Member = { channel, options, answered: false, resolve, reject };
      const gathering = this.#gathering.get(withhold) ?? this.#gather(withhold);
      gathering.members.push(member);
      if (gathering.members.length >= this.#limits.maxChannels) {
        gathering.due = true;
        gathering.overdue = true;
        this.#launch(gathering);
      }
    });
  }

  /** A new gathering: due when its window is over, overdue `maxWaitMs` later. */
  #gather(withhold: boolean): Gathering {
    const { windowMs, maxWaitMs } = this.#limits;
    const gathering: Gathering = {
      withhold,
      members: [],
      due: false,
      overdue: false,
      timer: setTimeout(() => {
        gathering.due = true;
        this.#launch(gathering);
        const overdue = setTimeout(() => {
          gathering.overdue = true;
          this.#launch(gathering);
        }, maxWaitMs);
        overdue.unref();
      }, windowMs),
    };
    this.#gathering.set(withhold, gathering);
    return gathering;
  }

  /** Funds `gathering` if it is still the one gathering, due, and nothing holds it back. */
  #launch(gathering: Gathering): void {
    if (this.#gathering.get(gathering.withhold) !== gathering || !gathering.due) return;
    if (this.#negotiating > 0 && !gathering.overdue) return;
    clearTimeout(gathering.timer);
    this.#gathering.delete(gathering.withhold);
    this.#negotiating++;
    let passed = false;
    const pass = () => {
      if (passed) return;
      passed = true;
      this.#negotiating--;
      // The next batches go now if their windows are over (else when they are).
      for (const next of [...this.#gathering.values()]) this.#launch(next);
    };
    void this.#fundBatch(gathering, pass).finally(pass);
  }

  /** Funds `gathering` in one transaction; `passed` is called once its inputs are leased. */
  async #fundBatch({ members, withhold }: Gathering, passed: () => void): Promise<void> {
    if (members.length > 1)
      this.#log.info(
        { channels: members.length, withheld: withhold },
        'JIT opens that arrived together funded in one transaction',
      );
    const byOwner = new Map(members.map((m) => [m.channel.owner, m]));
    try {
      const result = await this.#funder.fund(
        members.map((m) => m.channel),
        {
          feeRate: max(members.map((m) => m.options.feeRate)),
          deadlineMs: Math.max(...members.map((m) => m.options.deadlineMs)),
          signal: AbortSignal.any(members.flatMap((m) => (m.options.signal ? [m.options.signal] : []))),
          withhold,
          onInputsLeased: passed,
          commit: (trx, commit, after) => {
            passed(); // already told at the lease; `passed` runs once
            return this.#commit(trx, commit, after, byOwner);
          },
        },
      );
      for (const m of members) answer(m, { result: only(m.channel.owner, result) });
    } catch (err) {
      for (const m of members) answer(m, { err });
    }
  }

  /**
   * The batch's commit: each member committed writes its own steps (in the one transaction);
   * once it commits, the members' effects run side by side, each member answered when its own
   * are done.
   */
  async #commit(
    trx: Transaction<Schema>,
    commit: FundingCommit,
    after: AfterCommit,
    byOwner: ReadonlyMap<string, Member>,
  ): Promise<void> {
    const committed: { member: Member; after: AfterCommit; commit: FundingCommit }[] = [];
    for (const channel of commit.channels) {
      const member = byOwner.get(channel.owner);
      if (!member) continue;
      const own = { ...commit, channels: [channel] };
      const mine = new AfterCommit(after.db);
      await member.options.commit(trx, own, mine);
      committed.push({ member, after: mine, commit: own });
    }
    after.add(async () => {
      await Promise.all(
        committed.map(async (c) => {
          // As the funder does: a member's effect that fails is resumed from its stored state
          // (its runner's recovery); the channel is funded all the same.
          await c.after
            .perform()
            .catch((err: unknown) =>
              this.#log.warn(
                { err, funding: commit.fundingId, owner: c.member.channel.owner },
                'an effect after the commit point failed; resumed from the state',
              ),
            );
          answer(c.member, { result: { committed: c.commit, failed: new Map(), refused: new Set() } });
        }),
      );
    });
  }
}

/** `result` as `owner` sees it: its channel only. */
function only(owner: string, result: FundingResult): FundingResult {
  const committed = result.committed?.channels.find((c) => c.owner === owner);
  const failure = result.failed.get(owner);
  return {
    ...(committed && result.committed ? { committed: { ...result.committed, channels: [committed] } } : {}),
    failed: new Map(failure === undefined ? [] : [[owner, failure]]),
    refused: new Set(result.refused.has(owner) ? [owner] : []),
  };
}

function max(values: readonly bigint[]): bigint {
  let most = 0n;
  for (const v of values) if (v > most) most = v;
  return most;
}
