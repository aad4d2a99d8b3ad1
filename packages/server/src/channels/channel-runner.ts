/**
 * Drives channel requests (the machine in `core/channels/channel-request-machine.ts`): queued
 * requests arriving within the batch window at the same fee rate are funded together through
 * the {@link ChannelFunder}, each transition is persisted with its event, and every effect
 * (publishing, refunding) is retried until done. A peer that refuses, or does not answer in
 * time, fails its own request (refunded) and costs the others nothing.
 */
import {
  type ChannelRequestEvent,
  channelRequestMachine,
  type FundingCommitment,
  type OpenChannelRequest,
  parsePubkey,
  sat,
} from '@blgv/core';
import {
  type ChannelRequest,
  ChannelRequestsRepository,
  type Database,
  type Kysely,
  LedgerRepository,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { ChannelFunder, FundingCommit } from '../funding/channel-funder.ts';
import { retryUntilDone } from '../jobs/retry.ts';
import { type AfterCommit, applyStep } from '../machines/apply-step.ts';
import type { ForwardingFees } from './forwarding-policy.ts';

/** How the runner opens channels (from config). */
export interface ChannelRunnerLimits {
  readonly batchWindowMs: number;
  readonly maxBatchSize: number;
  /** How long a client node has to accept, and then to sign, before its open is cancelled. */
  readonly openTimeoutSeconds: number;
}

/** The funding owner string of a channel request. */
export const channelOwner = (id: string) => `channel_request:${id}`;

/** The memo tagging a channel with the request it was opened for. */
export function channelMemo(requestId: string): string {
  return `channel:${requestId}`;
}

/** A queued request, and what to call once the runner is done opening it. */
interface Waiting {
  readonly request: ChannelRequest;
  readonly done: () => void;
}

/** Batches, funds and follows channel requests. */
export class ChannelRunner {
  readonly #database: Database;
  readonly #funder: ChannelFunder;
  readonly #limits: ChannelRunnerLimits;
  readonly #policy: ForwardingFees;
  readonly #log: Logger;
  #queue: Waiting[] = [];
  /** Ids of requests queued or being opened here. */
  readonly #taken = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** Aborted until {@link start}: only the replica that runs the channel job opens channels. */
  #signal: AbortSignal = AbortSignal.abort();
  readonly #onTransition: (id: string) => void;

  constructor(deps: {
    database: Database;
    funder: ChannelFunder;
    limits: ChannelRunnerLimits;
    policy: ForwardingFees;
    log: Logger;
    /** Told of every transition this runner persists (to wake callers waiting on a request). */
    onTransition?: (id: string) => void;
  }) {
    this.#onTransition = deps.onTransition ?? (() => {});
    this.#database = deps.database;
    this.#funder = deps.funder;
    this.#limits = deps.limits;
    this.#policy = deps.policy;
    this.#log = deps.log;
  }

  /** Runs until `signal` aborts: requests queued then stay queued for the next runner. */
  start(signal: AbortSignal): void {
    this.#signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        for (const w of this.#queue.splice(0)) w.done();
      },
      { once: true },
    );
  }

  /**
   * Queues a queued request once (a request already on its way is left alone); it is opened
   * with the others of its batch window.
   */
  enqueue(request: ChannelRequest): void {
    if (this.#signal.aborted || this.#taken.has(request.id)) return;
    this.#taken.add(request.id);
    this.#queue.push({ request, done: () => this.#taken.delete(request.id) });
    if (this.#queue.length >= this.#limits.maxBatchSize) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#limits.batchWindowMs);
  }

  /**
   * Resumes requests a restart interrupted: queued ones are opened, those caught before the
   * commit point are refunded (their transaction was never signed), committed ones published.
   */
  async resume(requests: readonly ChannelRequest[]): Promise<void> {
    for (const r of requests) {
      if (r.state === 'queued') this.enqueue(r);
      else if (r.state === 'opening')
        await this.apply(r, { type: 'open_failed', reason: 'interrupted before the channel was funded' });
      else if (r.state === 'publishing' && r.fundingId) void this.#publish(r, r.fundingId);
    }
  }

  /**
   * Applies an event through the one driver: writes the transition (only from the state read)
   * and, in the same database transaction, a refund when the step calls for one. The `publish`
   * of a step written in the funder's commit transaction waits on `afterCommit` for it to be
   * written (the funder performs it before `fund` resolves); a restart resumes it from the
   * state (`#publish`, the same handler). Returns the updated request, or `undefined` when the
   * event did not apply.
   */
  async apply(
    request: ChannelRequest,
    event: ChannelRequestEvent,
    db: Kysely<Schema> = this.#database.db,
    afterCommit?: AfterCommit,
  ): Promise<ChannelRequest | undefined> {
    const recordedBy = (step: { funding?: FundingCommitment; failure?: string }) => ({
      ...(step.funding
        ? {
            fundingId: step.funding.fundingId,
            fundingTxid: step.funding.txid,
            fundingOutputIndex: step.funding.outputIndex,
          }
        : {}),
      ...(step.failure !== undefined ? { failure: step.failure } : {}),
    });
    const step = await applyStep(channelRequestMachine, request, event, undefined, {
      db,
      atomic: ['refund'],
      ...(afterCommit ? { afterCommit } : {}),
      log: this.#log,
      persist: (step, trx) =>
        new ChannelRequestsRepository(trx).transition(request.id, [request.state], {
          state: step.state,
          ...recordedBy(step),
        }),
      effects: {
        refund: (_, { db }) => refund(db, request),
        // After the commit point's transaction (the funder performs it before `fund` resolves).
        publish: ({ fundingId }) => this.#publish(request, fundingId),
      },
    });
    if (!step) return undefined;
    this.#onTransition(request.id);
    return { ...request, state: step.state, ...recordedBy(step) };
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const taken = this.#queue.splice(0, this.#limits.maxBatchSize);
    if (this.#queue.length > 0) this.#timer = setTimeout(() => this.#flush(), this.#limits.batchWindowMs);
    const byFeeRate = new Map<string, Waiting[]>();
    for (const w of taken) {
      const k = String(w.request.feeRateSatPerVbyte);
      byFeeRate.set(k, [...(byFeeRate.get(k) ?? []), w]);
    }
    for (const group of byFeeRate.values()) {
      void this.#open(group)
        .catch((err: unknown) => this.#log.error({ err }, 'opening a batch failed'))
        .finally(() => {
          for (const w of group) w.done();
        });
    }
  }

  async #open(group: readonly Waiting[]): Promise<void> {
    const opening: ChannelRequest[] = [];
    for (const w of group) {
      const r = await retryUntilDone(() => this.apply(w.request, { type: 'open_started' }), {
        what: 'recording an open',
        signal: this.#signal,
        log: this.#log,
      });
      if (r) opening.push(r);
    }
    if (opening.length === 0) return;
    const byOwner = new Map(opening.map((r) => [channelOwner(r.id), r]));
    const result = await this.#funder.fund(
      opening.map((r) => ({ owner: channelOwner(r.id), open: this.#toOpen(r) })),
      {
        feeRate: opening[0]?.feeRateSatPerVbyte ?? 1n,
        deadlineMs: this.#limits.openTimeoutSeconds * 1000,
        signal: this.#signal,
        commit: (trx, commit, after) => this.#commit(trx, commit, byOwner, after),
      },
    );
    for (const [owner, reason] of result.failed) {
      const r = byOwner.get(owner);
      if (r)
        await retryUntilDone(() => this.apply(r, { type: 'open_failed', reason }), {
          what: 'refunding a channel that could not be opened',
          signal: this.#signal,
          log: this.#log,
          subject: { id: r.id },
        });
    }
    const committed = result.committed;
    if (!committed) return;
    this.#log.info(
      { channels: committed.channels.length, txid: committed.txid, fee: Number(committed.fee) },
      'channel requests committed to one funding transaction',
    );
  }

  /** Moves each committed request to `publishing`, inside the funder's commit transaction. */
  async #commit(
    trx: Kysely<Schema>,
    commit: FundingCommit,
    byOwner: ReadonlyMap<string, ChannelRequest>,
    after: AfterCommit,
  ): Promise<void> {
    for (const c of commit.channels) {
      const r = byOwner.get(c.owner);
      if (!r) continue;
      const moved = await this.apply(
        { ...r, state: 'opening' },
        { type: 'committed', fundingId: commit.fundingId, txid: commit.txid, outputIndex: c.outputIndex },
        trx,
        after,
      );
      if (!moved) throw new Error(`channel request ${r.id} left opening before its commit`);
    }
  }

  /** Publishes a committed request's transaction (after a restart), then records it. */
  async #publish(r: ChannelRequest, fundingId: string): Promise<void> {
    await this.#funder.published(fundingId, this.#signal).catch(() => {});
    await this.#published(r.id);
  }

  async #published(id: string): Promise<void> {
    await retryUntilDone(
      async () => {
        const current = await new ChannelRequestsRepository(this.#database.db).getAny(id);
        if (current?.state === 'publishing') await this.apply(current, { type: 'published' });
      },
      { what: 'recording a published funding', signal: this.#signal, log: this.#log, subject: { id } },
    ).catch(() => {});
  }

  #toOpen(r: ChannelRequest): Omit<OpenChannelRequest, 'satPerVbyte' | 'targetConf'> {
    return {
      ...this.#policy,
      remotePubkey: parsePubkey(r.clientPubkey),
      localAmount: r.capacity,
      pushAmount: sat(r.push),
      private: r.private,
      memo: channelMemo(r.id),
    };
  }
}

/** Gives back everything charged for a channel that was never funded. */
async function refund(trx: Kysely<Schema>, r: ChannelRequest): Promise<void> {
  const total = r.fee + r.push + r.networkFee;
  if (total === 0n) return;
  await new LedgerRepository(trx).append({
    tenantId: r.tenantId,
    kind: 'channel_refund',
    amount: total,
    reference: r.id,
    description: `refund: the channel could not be opened (opening fee ${r.fee}, push ${r.push}, network fee ${r.networkFee} sat)`,
  });
}
