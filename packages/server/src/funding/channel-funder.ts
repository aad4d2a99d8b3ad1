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
 * Each attempt's steps are `funding-attempt.ts`; this class makes the attempts, publishes,
 * releases and withdraws, and recovers what a crash left.
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
import type { FundingEvent } from '@blgv/core';
import {
  type ChannelFunding,
  ChannelFundingsRepository,
  type Database,
  type Kysely,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import { retryUntilDone } from '../jobs/retry.ts';
import type { AfterCommit } from '../machines/apply-step.ts';
import { pause } from '../poll.ts';
import type { AttemptFunder } from './attempt-funder.ts';
import { type CoinStats, CoinSupply } from './coin-supply.ts';
import { attemptFunding } from './funding-attempt.ts';
import {
  CALL_TIMEOUT_MS,
  LOCK_SECONDS,
  moveFunding,
  publishOnce,
  renewLeases,
  SharedPublications,
} from './funding-publication.ts';
import type {
  ChannelFunderDeps,
  ChannelFunderLightning,
  FundingChannel,
  FundingGuard,
  FundingResult,
  FundOptions,
} from './funding-request.ts';
import { type FundingUnwinding, sweepCancelled, unwindFunding } from './funding-unwind.ts';

export { LOCK_SECONDS } from './funding-publication.ts';
export type {
  CommittedChannel,
  FundingChannel,
  FundingCommit,
  FundingGuard,
  FundingResult,
  FundOptions,
} from './funding-request.ts';

/** How often abandoned negotiations are looked for (late signatures of cancelled attempts). */
const SWEEP_INTERVAL_MS = 60_000;
/**
 * How often, and how far apart, an attempt is made again when the LSP's own node refused to
 * negotiate because it was catching up with a new block (it takes a moment per block).
 */
const NOT_READY_RETRIES = 10;
const NOT_READY_PAUSE_MS = 1_000;
/**
 * A channel whose client node failed on its own internal error is asked again this many times,
 * after a pause that doubles from {@link CLIENT_FAULT_PAUSE_MS} (1, 2, 4 s): a node busy
 * closing a channel or catching up fails an open for a few seconds, not for good.
 */
const CLIENT_FAULT_RETRIES = 3;
const CLIENT_FAULT_PAUSE_MS = 1_000;

/** Funds channels through the PSBT flow with one commit point per transaction. */
export class ChannelFunder {
  readonly #database: Database;
  readonly #lightning: ChannelFunderLightning;
  readonly #log: Logger;
  readonly #guard: FundingGuard | undefined;
  /** Attempts this process is running (recovery leaves them alone). */
  readonly #live = new Set<string>();
  readonly #publications = new SharedPublications();
  /** When this process last renewed each withheld funding's leases (ms). */
  readonly #leasesRenewedAt = new Map<string, number>();
  /** Our own unconfirmed fundings; attempts waiting for coins to come back. */
  readonly #coins = new CoinSupply();
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
    let clientFaults = 0;
    for (let attempt = 0; remaining.length > 0 && attempt <= channels.length; attempt++) {
      const r = await attemptFunding(this.#attemptFunder(), remaining, options);
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
      } else if (r.clientFault && remaining.length > 0 && clientFaults < CLIENT_FAULT_RETRIES) {
        // Not a decision of the peers: the first retry takes the attempt a channel has anyway,
        // the others do not count against anyone's.
        if (clientFaults > 0) attempt--;
        const wait = CLIENT_FAULT_PAUSE_MS * 2 ** clientFaults++;
        this.#log.info(
          { channels: remaining.length, inMs: wait },
          'a client node failed the channel on an internal error; asking again',
        );
        await pause(wait, options.signal ?? this.#signal);
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
      async () => {
        await publishOnce(wallet, fundingId, (f) => this.#move(this.#database.db, f, { type: 'published' }));
        this.#coins.changed(); // its change is in the wallet now
      },
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
          ).finally(() => this.#coins.changed()), // its inputs are back
      },
    });
  }

  /** What this process's fundings met of the wallet's coins (for `/metrics`). */
  coinStats(): CoinStats {
    return this.#coins.stats();
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
      await this.renewWithheld().catch((err: unknown) =>
        this.#log.warn({ err }, "renewing withheld fundings' leases failed"),
      );
      await pause(SWEEP_INTERVAL_MS, signal); // the sweep's schedule
    }
  }

  /**
   * Leases the inputs of every withheld funding again for {@link LOCK_SECONDS} once a quarter of
   * that has passed since this process last did (at once after a start): a funding may stay
   * withheld as long as its client holds the HTLC (a wrapped invoice's wallet, up to days), and
   * a lease that lapsed would let the wallet spend its inputs elsewhere, leaving a channel the
   * client was paid over that could never be published.
   */
  async renewWithheld(now = Date.now()): Promise<number> {
    const wallet = { database: this.#database, lightning: this.#lightning, log: this.#log };
    let renewed = 0;
    for (const f of await new ChannelFundingsRepository(this.#database.db).inStates(['withheld'])) {
      if (now - (this.#leasesRenewedAt.get(f.id) ?? 0) < (LOCK_SECONDS * 1000) / 4) continue;
      await renewLeases(wallet, f, AbortSignal.timeout(CALL_TIMEOUT_MS));
      this.#leasesRenewedAt.set(f.id, now);
      renewed++;
    }
    for (const id of this.#leasesRenewedAt.keys())
      if (now - (this.#leasesRenewedAt.get(id) ?? 0) > LOCK_SECONDS * 1000) this.#leasesRenewedAt.delete(id);
    return renewed;
  }

  /**
   * Abandons channels LND holds for cancelled funding transactions (never published), and
   * releases coins still leased for them.
   */
  sweep(): Promise<number> {
    // Coins it released may be what a funding waits for.
    return sweepCancelled(this.#unwinding()).finally(() => this.#coins.changed());
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

  /** What an attempt needs of this funder. */
  #attemptFunder(): AttemptFunder {
    return {
      database: this.#database,
      lightning: this.#lightning,
      log: this.#log,
      guard: this.#guard,
      signal: () => this.#signal,
      live: this.#live,
      coins: this.#coins,
      othersHoldCoins: async (attempt) => {
        if (this.#coins.othersPicking(attempt)) return true;
        const held = await new ChannelFundingsRepository(this.#database.db).inStates([
          'negotiating',
          'publishing',
          'withheld',
        ]);
        return held.some((f) => f.id !== attempt && f.txid !== null);
      },
      move: (db, funding, event, afterCommit) => this.#move(db, funding, event, afterCommit),
      cancel: (funding, reason) => this.#cancel(funding, reason),
    };
  }

  /** What unwinding a cancelled funding needs. */
  #unwinding(): FundingUnwinding {
    return { database: this.#database, lightning: this.#lightning, log: this.#log };
  }
}
