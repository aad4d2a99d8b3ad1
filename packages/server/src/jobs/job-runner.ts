/**
 * The one job runner of a server: every background job runs here, under a lease in the
 * database, so that with several replicas on one database exactly one runs each job.
 *
 * Every `leaseMs / 3` the runner takes or renews, in one statement, the leases of all its jobs
 * that are free, expired or its own. A job starts when its lease is taken and is stopped when
 * the lease is lost. When the database cannot be reached, the runner stops its jobs before its
 * leases can have run out (another replica may take them after that). A replica that dies
 * leaves leases that run out after `leaseMs`; one that stops gives them back at once.
 *
 * A job that fails or returns is logged and started again with exponential backoff (and
 * jitter) for as long as its lease is held: no job is fire-and-forget.
 */
import { randomUUID } from 'node:crypto';
import { type Database, type JobLease, JobLeasesRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { pause } from '../poll.ts';

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
}

/** A job with a run in progress. */
interface Running {
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/** Counters of one job. */
interface Tally {
  restarts: number;
  lastError: string | undefined;
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
  #loop: Promise<void> | undefined;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    this.#leases = new JobLeasesRepository(options.database.db);
    this.holder = options.holder ?? `replica-${randomUUID()}`;
    this.#log = options.log;
  }

  /** Adds a job (before {@link start}). */
  add(job: Job): void {
    if (this.#jobs.has(job.name)) throw new Error(`job ${job.name} is added twice`);
    this.#jobs.set(job.name, job);
    this.#tallies.set(job.name, { restarts: 0, lastError: undefined });
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

  /** Every lease in the database (every replica's), by job name. */
  leases(): Promise<JobLease[]> {
    return this.#leases.list();
  }

  /** Each job's state in this replica. */
  status(): JobStatus[] {
    return [...this.#jobs.keys()].map((name) => ({
      name,
      running: this.#running.has(name),
      restarts: this.#tallies.get(name)?.restarts ?? 0,
      lastError: this.#tallies.get(name)?.lastError,
    }));
  }

  async #hold(signal: AbortSignal): Promise<void> {
    const names = [...this.#jobs.keys()];
    const tick = Math.max(100, Math.floor(this.#options.leaseMs / 3));
    let renewedAt = Date.now();
    while (!signal.aborted) {
      try {
        const held = await this.#leases.acquire(this.holder, names, this.#options.leaseMs);
        renewedAt = Date.now();
        for (const name of names) {
          if (held.has(name) && !this.#running.has(name)) this.#begin(name);
          if (!held.has(name) && this.#running.has(name)) {
            this.#log.warn({ job: name }, 'job lease lost to another replica; stopping the job');
            await this.#end(name);
          }
        }
      } catch (err) {
        // Unsure whether our leases are still ours: stop every job before they can run out.
        const sinceRenewal = Date.now() - renewedAt;
        this.#log.warn({ err: errorText(err), sinceRenewalMs: sinceRenewal }, 'job lease renewal failed');
        if (sinceRenewal + tick >= this.#options.leaseMs && this.#running.size > 0) {
          this.#log.error('job leases could not be renewed in time; stopping every job');
          await Promise.all([...this.#running.keys()].map((name) => this.#end(name)));
        }
      }
      await pause(tick, signal);
    }
    await Promise.all([...this.#running.keys()].map((name) => this.#end(name)));
    await this.#leases
      .release(this.holder)
      .catch((err: unknown) => this.#log.warn({ err: errorText(err) }, 'giving back job leases failed'));
  }

  #begin(name: string): void {
    const job = this.#jobs.get(name);
    if (!job) return;
    const stop = new AbortController();
    this.#log.info({ job: name, holder: this.holder }, 'job lease taken; starting the job');
    this.#running.set(name, { stop, done: this.#supervise(job, stop.signal) });
  }

  async #end(name: string): Promise<void> {
    const running = this.#running.get(name);
    if (!running) return;
    running.stop.abort();
    const late = setTimeout(
      () => this.#log.warn({ job: name, afterMs: STOP_WARN_MS }, 'job is slow to stop'),
      STOP_WARN_MS,
    );
    await running.done;
    clearTimeout(late);
    this.#running.delete(name);
    this.#log.info({ job: name }, 'job stopped');
  }

  /** Runs a job, starting it again after a backoff whenever it fails or returns early. */
  async #supervise(job: Job, signal: AbortSignal): Promise<void> {
    const min = this.#options.minRestartDelayMs ?? 1_000;
    const max = this.#options.maxRestartDelayMs ?? 60_000;
    const tally = this.#tallies.get(job.name) ?? { restarts: 0, lastError: undefined };
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
        tally.lastError = errorText(err);
        this.#log.error({ job: job.name, err, retryInMs: delay }, 'job failed; restarting');
      }
      tally.restarts += 1;
      if (Date.now() - started >= HEALTHY_RUN_MS) delay = min;
      await pause(delay + Math.floor(Math.random() * (delay / 4)), signal);
      delay = Math.min(delay * 2, max);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
