/**
 * Follows REST channel requests for the channel-opening job: resumes those a restart (or a
 * takeover from another replica) interrupted, hands queued ones to the runner (found by a scan,
 * or at once when this replica's API queued them), and moves requests on as LND reports their
 * channels open or closed, checking LND again now and then for events missed meanwhile.
 */
import { type ChannelEvent, type ChannelsPort, formatChannelPoint } from '@blgv/core';
import { ChannelRequestsRepository, type Database } from '@blgv/store';
import type { Logger } from 'pino';
import { pause, type Wakeup } from '../poll.ts';
import type { ChannelRunner } from './channel-runner.ts';

/** How often pending and open requests are checked against LND (events can be missed). */
const RECHECK_INTERVAL_MS = 15_000;
/** How often the channel job looks for requests queued through another replica. */
const QUEUED_SCAN_MIN_MS = 250;

/** The Lightning calls the channel tracker makes: following channels as they open and close. */
export type ChannelTrackerLightning = Pick<
  ChannelsPort,
  'channelEvents' | 'closedChannels' | 'listChannels' | 'pendingChannels'
>;

/** The tracking half of the channel service. */
export class ChannelTracker {
  readonly #database: Database;
  readonly #lightning: ChannelTrackerLightning;
  readonly #runner: ChannelRunner;
  readonly #queued: Wakeup;
  readonly #batchWindowMs: number;
  readonly #log: Logger;

  constructor(deps: {
    database: Database;
    lightning: ChannelTrackerLightning;
    runner: ChannelRunner;
    /** Woken by the API when it queued a request. */
    queued: Wakeup;
    batchWindowMs: number;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#runner = deps.runner;
    this.#queued = deps.queued;
    this.#batchWindowMs = deps.batchWindowMs;
    this.#log = deps.log;
  }

  /**
   * The channel-opening job's part: resumes interrupted requests, opens queued ones (this
   * replica's and every other's), and follows LND's channel events into the requests' states,
   * until `signal` aborts.
   */
  async track(signal: AbortSignal): Promise<void> {
    this.#runner.start(signal);
    const events = this.#lightning.channelEvents({ signal });
    await this.reconcile();
    await Promise.all([this.#openQueued(signal), this.#follow(events, signal), this.#recheck(signal)]);
  }

  /**
   * Now and then, moves pending and open requests on from what LND shows: a channel event
   * missed while no replica followed the stream (a crash, a takeover) is caught up with here.
   */
  async #recheck(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await pause(RECHECK_INTERVAL_MS, signal);
      if (signal.aborted) return;
      await this.#catchUp().catch((err: unknown) =>
        this.#log.warn({ err }, 'checking channels against LND failed'),
      );
    }
  }

  /** Hands every queued request to the runner, found by a scan or woken by this replica's API. */
  async #openQueued(signal: AbortSignal): Promise<void> {
    const repo = new ChannelRequestsRepository(this.#database.db);
    const interval = Math.max(QUEUED_SCAN_MIN_MS, this.#batchWindowMs);
    while (!signal.aborted) {
      try {
        for (const r of await repo.inStates(['queued'])) this.#runner.enqueue(r);
      } catch (err) {
        if (!signal.aborted) this.#log.warn({ err }, 'scanning queued channel requests failed');
      }
      await this.#queued.wait(interval, signal);
    }
  }

  /** Moves requests on as LND reports their channels open or closed; fails when the stream does. */
  async #follow(events: AsyncIterable<ChannelEvent>, signal: AbortSignal): Promise<void> {
    const repo = new ChannelRequestsRepository(this.#database.db);
    for await (const e of events) {
      const point =
        e.type === 'open' ? e.channel.channelPoint : e.type === 'closed' ? e.channelPoint : undefined;
      if (!point) continue;
      const r = await repo.byOutpoint(point.txid, point.outputIndex);
      if (!r) continue;
      await this.#runner.apply(r, { type: e.type === 'open' ? 'confirmed' : 'closed' });
      this.#log.info(
        { id: r.id, event: e.type, channelPoint: formatChannelPoint(point) },
        'channel state changed',
      );
    }
    if (!signal.aborted) throw new Error('the channel event stream ended');
  }

  /**
   * Brings stored states in line with LND after a restart: interrupted requests are resumed
   * (see {@link ChannelRunner.resume}); pending channels that opened or closed meanwhile move on.
   */
  async reconcile(): Promise<void> {
    const repo = new ChannelRequestsRepository(this.#database.db);
    await this.#runner.resume(await repo.inStates(['queued', 'opening', 'publishing']));
    await this.#catchUp();
  }

  /** Moves pending requests whose channel opened, and open ones whose channel closed, on. */
  async #catchUp(): Promise<void> {
    const signal = AbortSignal.timeout(30_000);
    const repo = new ChannelRequestsRepository(this.#database.db);
    const [open, pending, closed] = await Promise.all([
      this.#lightning.listChannels(signal),
      this.#lightning.pendingChannels(signal),
      this.#lightning.closedChannels(signal),
    ]);
    const openPoints = new Set(open.map((c) => formatChannelPoint(c.channelPoint)));
    const pendingPoints = new Set(pending.map((c) => formatChannelPoint(c.channelPoint)));
    const closedPoints = new Set(closed.map((c) => formatChannelPoint(c.channelPoint)));
    for (const r of await repo.inStates(['pending', 'open'])) {
      const point = `${r.fundingTxid}:${r.fundingOutputIndex}`;
      if (r.state === 'pending' && openPoints.has(point)) await this.#runner.apply(r, { type: 'confirmed' });
      else if (closedPoints.has(point) && !pendingPoints.has(point))
        await this.#runner.apply(r, { type: 'closed' });
    }
  }
}
