/**
 * The one job runner of a server: every background job runs here, under a lease in the
 * database, so that with several replicas on one database exactly one runs each job.
 *
 * Every `leaseMs / 3` the runner renews the leases of its jobs that it holds and takes those
 * that are free or expired. A job starts when its lease is taken and is stopped when the lease
 * is lost. Each taking carries a new fencing token; the job runs under a fence with that token
 * (`run-fence.ts`), so its writes are refused once the token is stale and its actions once the
 * lease can no longer be held here (`@blgv/store`'s `lease-fence.ts`).
 *
 * A replica that cannot renew stops before its lease can expire, whatever hangs: each renewal
 * in time moves a deadline on this process's monotonic clock (the moment the renewal was sent,
 * plus the lease, less a safety margin, `leaseMs / 6` by default), and a watchdog timer of its own, not
 * the renewal loop, aborts every job whose deadline passes and revokes its fence, even while the
 * renewal query itself hangs. A replica that dies leaves leases that run out after `leaseMs`; one
 * that stops gives them back at once.
 *
 * A job that fails or returns is logged and started again with exponential backoff (and
 * jitter) for as long as its lease is held: no job is fire-and-forget.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Database, type JobLease, JobLeasesRepository, withLeaseFence } from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { pause } from '../poll.ts';
import { RunFence } from './run-fence.ts';

/** A background job. */
export interface Job {
  /** Unique; names the lease (`lsps1-orders`, `jit-interceptor`, ...). */
  readonly name: string;
  /** Runs until `signal` aborts. Returning or throwing before that restarts it after a backoff. */
  run(signal: AbortSignal): Promise<void>;
}

/** How the runner holds leases and restarts jobs. */
export interface JobRunnerOptions {
  readonly database: Database;
  /** How long a lease lasts without renewal: the longest takeover after a replica dies. */
  readonly leaseMs: number;
  /** First restart delay of a failed job (default 1 s); doubles up to `maxRestartDelayMs`. */
  readonly minRestartDelayMs?: number;
  /** Longest restart delay (default 60 s). */
  readonly maxRestartDelayMs?: number;
  /** This replica's name in the lease table (default: a random id). */
  readonly holder?: string;
  /**
   * How long before its lease could run out a job is stopped when renewals fail (default
   * `leaseMs / 6`): room for the watchdog's own lateness and the job's stopping.
   */
  readonly stopMarginMs?: number;
  readonly log: Logger;
}

/** What the runner reports about one job. */
export interface JobStatus {
  readonly name: string;
  /** True while this replica holds the lease and runs the job. */
  readonly running: boolean;
  /** Times the job failed (or returned) and was started again in this replica. */
  readonly restarts: number;
  readonly lastError: string | undefined;
  /** Writes and actions of the job refused here because its lease was no longer held. */
  readonly refusedWrites: number;
  /** Times the job was stopped here because its lease was lost or could not be renewed in time. */
  readonly leaseLosses: number;
}

/** A job with a run in progress. */
interface Running {
  readonly stop: AbortController;
  readonly done: Promise<void>;
  readonly fence: RunFence;
}

/** Counters of one job. */
interface Tally {
  restarts: number;
  lastError: string | undefined;
  refusedWrites: number;
  leaseLosses: number;
}

/** A run that lasted this long resets the restart delay: the job was healthy. */
const HEALTHY_RUN_MS = 60_000;
/** A job still running this long after it was told to stop is logged. */
const STOP_WARN_MS = 10_000;

/** Runs jobs under leases. */
export class JobRunner {
  /** This replica's name in the lease table. */
  readonly holder: string;
  readonly #leases: JobLeasesRepository;
  readonly #options: JobRunnerOptions;
  readonly #log: Logger;
  readonly #jobs = new Map<string, Job>();
  readonly #running = new Map<string, Running>();
  readonly #tallies = new Map<string, Tally>();
  /** How long before its lease can run out a job is stopped when renewals fail. */
  readonly #marginMs: number;
  #watchdog: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  /** Resolved once a pass over the leases has answered (what it took is running). */
  readonly #firstPass = Promise.withResolvers<void>();

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    this.#leases = new JobLeasesRepository(options.database.db);
    this.holder = options.holder ?? `replica-${randomUUID()}`;
    this.#log = options.log;
    this.#marginMs = options.stopMarginMs ?? Math.floor(options.leaseMs / 6);
  }

  /** Adds a job (before {@link start}). */
  add(job: Job): void {
    if (this.#jobs.has(job.name)) throw new Error(`job ${job.name} is added twice`);
    this.#jobs.set(job.name, job);
    this.#tallies.set(job.name, { restarts: 0, lastError: undefined, refusedWrites: 0, leaseLosses: 0 });
  }

  /** Takes leases and runs their jobs until `signal` aborts; then stops them and gives the leases back. */
  start(signal: AbortSignal): void {
    if (this.#loop) throw new Error('the job runner is started once');
    this.#loop = this.#hold(signal);
  }

  /** Resolves once every job has stopped and the leases are given back (after the start signal aborted). */
  async stopped(): Promise<void> {
    await this.#loop;
  }

  /**
   * Resolves once a pass over the leases has answered and the jobs whose leases it took are
   * started: {@link status} then tells which jobs this replica runs.
   */
  firstPass(): Promise<void> {
    return this.#firstPass.promise;
  }

  /** Every lease in the database (every replica's), by job name. */
  leases(): Promise<JobLease[]> {
    return this.#leases.list();
  }

  /** Each job's state in this replica. */
  status(): JobStatus[] {
    return [...this.#jobs.keys()].map((name) => {
      const tally = this.#tallies.get(name);
      const run = this.#running.get(name);
      return {
        name,
        running: run !== undefined && !run.stop.signal.aborted,
        restarts: tally?.restarts ?? 0,
        lastError: tally?.lastError,
        refusedWrites: tally?.refusedWrites ?? 0,
        leaseLosses: tally?.leaseLosses ?? 0,
      };
    });
  }

  async #hold(signal: AbortSignal): Promise<void> {
    const names = [...this.#jobs.keys()];
    const { leaseMs } = this.#options;
    const tick = Math.max(100, Math.floor(leaseMs / 3));
    let failingSince: number | undefined;
    while (!signal.aborted) {
      const sentAt = performance.now();
      try {
        const held = await this.#renew(names, tick, leaseMs - this.#marginMs);
        failingSince = undefined;
        // The lease is ours until (at least) the renewal's sending plus the lease, in
        // the database's time; here it is held until a margin before that.
        const deadline = sentAt + leaseMs - this.#marginMs;
        if (deadline > performance.now()) {
          for (const name of names) this.#apply(name, held.get(name), deadline);
          this.#firstPass.resolve();
        } else
          this.#log.warn(
            { tookMs: Math.round(performance.now() - sentAt) },
            'job lease renewal came too late',
          );
      } catch (err) {
        failingSince ??= sentAt;
        this.#log.warn(
          { err: errorMessage(err), failingForMs: Math.round(performance.now() - failingSince) },
          'job lease renewal failed',
        );
      }
      this.#arm();
      await pause(Math.max(0, tick - (performance.now() - sentAt)), signal);
    }
    clearTimeout(this.#watchdog);
    await Promise.all([...this.#running.keys()].map((name) => this.#end(name)));
    await this.#leases
      .release(this.holder)
      .catch((err: unknown) => this.#log.warn({ err: errorMessage(err) }, 'giving back job leases failed'));
  }

  /**
   * One renewal (and taking) of the leases; rejects when it fails, or when it has not answered
   * by `giveUpMs` (it is then left to settle on its own: its answer would come too late).
   */
  async #renew(names: readonly string[], tick: number, giveUpMs: number): Promise<Map<string, bigint>> {
    const attempt = this.#leases.acquire(this.holder, names, this.#options.leaseMs, {
      lockTimeoutMs: Math.min(1_000, tick),
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${giveUpMs} ms`)), giveUpMs);
    });
    try {
      return await Promise.race([attempt, late]);
    } finally {
      clearTimeout(timer);
      attempt.catch(() => {});
    }
  }

  /** What one renewal means for one job: start it, keep it, or stop it. */
  #apply(name: string, token: bigint | undefined, deadline: number): void {
    const run = this.#running.get(name);
    if (run?.stop.signal.aborted) return; // still stopping: started again once it has
    if (token === undefined) {
      if (!run) return;
      this.#log.warn(
        { job: name, token: run.fence.token },
        'job lease lost to another replica; stopping the job',
      );
      this.#lose(name, run);
      return;
    }
    if (run && run.fence.token !== token) {
      // Held again under a new token (it had run out meanwhile): the old run may not act.
      this.#log.warn({ job: name, was: run.fence.token, token }, 'job lease taken anew; restarting the job');
      this.#lose(name, run);
      return;
    }
    if (run) run.fence.extend(deadline);
    else this.#begin(name, token, deadline);
  }

  /** Arms the watchdog for the earliest deadline of the running jobs. */
  #arm(): void {
    clearTimeout(this.#watchdog);
    let earliest = Number.POSITIVE_INFINITY;
    for (const run of this.#running.values()) {
      if (!run.fence.revoked && !run.stop.signal.aborted) earliest = Math.min(earliest, run.fence.deadline);
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.#watchdog = setTimeout(() => this.#expire(), Math.max(0, earliest - performance.now()));
    this.#watchdog.unref();
  }

  /** Stops every job whose lease could not be renewed in time (by the monotonic clock). */
  #expire(): void {
    const now = performance.now();
    for (const [name, run] of this.#running) {
      if (run.fence.revoked || run.stop.signal.aborted || run.fence.deadline > now) continue;
      this.#log.error(
        { job: name, token: run.fence.token, lateByMs: Math.round(now - run.fence.deadline) },
        'job lease could not be renewed in time; stopping the job',
      );
      this.#lose(name, run);
    }
    this.#arm();
  }

  /** Revokes a run's fence and stops it: its lease is not (surely) ours any more. */
  #lose(name: string, run: Running): void {
    run.fence.revoke();
    const tally = this.#tallies.get(name);
    if (tally) tally.leaseLosses += 1;
    void this.#end(name, run);
  }

  #begin(name: string, token: bigint, deadline: number): void {
    const job = this.#jobs.get(name);
    if (!job) return;
    const stop = new AbortController();
    const fence = new RunFence(name, token, deadline, (f, where, by) => this.#refused(f, where, by));
    this.#log.info({ job: name, holder: this.holder, token }, 'job lease taken; starting the job');
    const done = withLeaseFence(fence, () => this.#supervise(job, stop.signal));
    this.#running.set(name, { stop, done, fence });
  }

  /** A write or action of a job was refused: counted, logged, and the run stopped. */
  #refused(fence: RunFence, where: string, by: 'clock' | 'database'): void {
    const tally = this.#tallies.get(fence.lease);
    if (tally) tally.refusedWrites += 1;
    this.#log.warn(
      { job: fence.lease, token: fence.token, refused: where, by },
      by === 'clock'
        ? 'job write refused: its lease can no longer be held here'
        : 'job write refused: its lease token is stale',
    );
    // Stopped at once, not at the watchdog's or the next renewal's turn (right after a stall,
    // the job's own callbacks may come first).
    const run = this.#running.get(fence.lease);
    if (run?.fence === fence && !fence.revoked) queueMicrotask(() => this.#lose(fence.lease, run));
  }

  async #end(name: string, which?: Running): Promise<void> {
    const running = this.#running.get(name);
    if (!running || (which && running !== which)) return;
    running.stop.abort();
    const late = setTimeout(
      () => this.#log.warn({ job: name, afterMs: STOP_WARN_MS }, 'job is slow to stop'),
      STOP_WARN_MS,
    );
    await running.done;
    clearTimeout(late);
    if (this.#running.get(name) === running) this.#running.delete(name);
    this.#log.info({ job: name }, 'job stopped');
  }

  /** Runs a job, starting it again after a backoff whenever it fails or returns early. */
  async #supervise(job: Job, signal: AbortSignal): Promise<void> {
    const min = this.#options.minRestartDelayMs ?? 1_000;
    const max = this.#options.maxRestartDelayMs ?? 60_000;
    const tally = this.#tallies.get(job.name) ?? {
      restarts: 0,
      lastError: undefined,
      refusedWrites: 0,
      leaseLosses: 0,
    };
    let delay = min;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        await job.run(signal);
        if (signal.aborted) return;
        tally.lastError = 'returned before it was stopped';
        this.#log.warn({ job: job.name, retryInMs: delay }, 'job returned before it was stopped; restarting');
      } catch (err) {
        if (signal.aborted) return;
        tally.lastError = errorMessage(err);
        this.#log.error({ job: job.name, err, retryInMs: delay }, 'job failed; restarting');
      }
      tally.restarts += 1;
      if (Date.now() - started >= HEALTHY_RUN_MS) delay = min;
      await pause(delay + Math.floor(Math.random() * (delay / 4)), signal);
      delay = Math.min(delay * 2, max);
    }
  }
}

/** A part of a job: runs until its signal aborts. */
export type JobPart = (signal: AbortSignal) => Promise<unknown>;

/**
 * One job made of parts that must run in the same replica. They run side by side; when one
 * fails or returns early, the others are stopped and the job fails (so the runner starts it
 * again, whole).
 */
export function together(name: string, parts: readonly JobPart[]): Job {
  return {
    name,
    async run(signal) {
      const group = new AbortController();
      const stop = AbortSignal.any([signal, group.signal]);
      const runs = parts.map(async (part, i) => {
        await part(stop);
        if (!stop.aborted) throw new Error(`part ${i + 1} of ${name} returned before it was stopped`);
      });
      try {
        await Promise.all(runs);
      } catch (err) {
        group.abort();
        await Promise.allSettled(runs);
        throw err;
      }
    },
  };
}

/** Runs `step` every `intervalMs` until `signal` aborts; a failed step fails the job. */
export async function every(
  intervalMs: number,
  step: () => Promise<unknown>,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    await step();
    await pause(intervalMs, signal);
  }
}
