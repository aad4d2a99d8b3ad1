/**
 * The one driver of every state machine: `applyStep` asks the machine for the step an event
 * makes, writes it (compare-and-set from the state read, with what the step records; the event
 * log's trigger appends the event in the same statement), then performs the step's effects
 * through a handler map that names every effect the machine has. Flows differ only in what
 * they write and how they perform an effect, never in how a step is applied.
 *
 * Run for a background job, the write is fenced by the job's lease (the database refuses it
 * with a stale token: `@blgv/store`'s `fenced-dialect.ts`) and each effect is performed only
 * while the lease can still be held here.
 */
import type { EffectHandlers, Machine, Moved, Typed } from '@blgv/core';
import { assertLeaseHeld, type Kysely, type Schema } from '@blgv/store';
import type { Logger } from 'pino';

/** What an effect handler is given besides the effect. */
export interface EffectScope<S, E> {
  /** Where the step was written: a transaction when the write was one. */
  readonly db: Kysely<Schema>;
  /** The state the subject left and the event that moved it. */
  readonly from: S;
  readonly to: S;
  readonly event: E;
}

/** How one flow writes its machine's steps and performs their effects. */
export interface StepIo<S extends string, E extends Typed, F extends Typed, R extends object> {
  /** Where to write (default: the caller's pool; pass a transaction to join it). */
  readonly db: Kysely<Schema>;
  /**
   * Write the effects (`true`), or those named, in the same transaction as the step (a refund
   * written with the state that calls for it); the others are performed after it. The step is
   * wrapped in a transaction when `db` is not one already.
   */
  readonly atomic?: boolean | readonly F['type'][];
  /** Writes the step from `from` (compare-and-set); false when the subject had moved on. */
  readonly persist: (step: Moved<S, F, R>, db: Kysely<Schema>) => Promise<boolean>;
  /** Performs each effect, once the step is written. */
  readonly effects: EffectHandlers<F, EffectScope<S, E>>;
  readonly log: Logger;
  /** Called when the machine refuses the event (it may throw, e.g. a 409 naming the reason). */
  readonly refused?: (reason: string) => void;
  /** Log transitions at debug rather than info (many small ones, e.g. webhook deliveries). */
  readonly quiet?: boolean;
  /** Extra fields for the transition's log line. */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /**
   * Where the effects go when `db` is a transaction the caller commits later (a funder's
   * commit point) and the step is not atomic: they must not start before that commit, so they
   * are queued here and performed once it is written ({@link AfterCommit.perform}).
   */
  readonly afterCommit?: AfterCommit;
}

/**
 * Effects of steps written inside a transaction that is still open, performed once it has
 * committed: the caller that owns the transaction calls {@link perform} after it.
 */
export class AfterCommit {
  readonly #queued: (() => Promise<void>)[] = [];

  /** Where the queued effects run: the pool, since the transaction is over by then. */
  readonly db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.db = db;
  }

  /** Queues effects (applyStep does). */
  add(perform: () => Promise<void>): void {
    this.#queued.push(perform);
  }

  /** Performs the queued effects in order (once: they are taken off the queue). */
  async perform(): Promise<void> {
    for (let next = this.#queued.shift(); next; next = this.#queued.shift()) await next();
  }
}

/** The step taken (written and its effects performed), or undefined when it did not apply. */
export async function applyStep<S extends string, E extends Typed, F extends Typed, R extends object, C>(
  machine: Machine<S, E, F, R, C>,
  subject: { readonly id: string; readonly state: S },
  event: E,
  context: C,
  io: StepIo<S, E, F, R>,
): Promise<Moved<S, F, R> | undefined> {
  const from = subject.state;
  const step = machine.next(from, event, context);
  const fields = { [machine.name]: subject.id, from, event: event.type, ...io.logFields };
  if (!step.ok) {
    io.log.info({ ...fields, reason: step.reason }, `${machine.name} event refused`);
    io.refused?.(step.reason);
    return undefined;
  }
  const inStep = (f: F): boolean =>
    io.atomic === true || (Array.isArray(io.atomic) && io.atomic.includes(f.type));
  const perform = async (effects: readonly F[], db: Kysely<Schema>): Promise<void> => {
    const scope: EffectScope<S, E> = { db, from, to: step.state, event };
    for (const effect of effects) {
      // Run for a job whose lease this replica can no longer hold: refused (`lease_lost`),
      // the replica holding it now performs the effect from the written state.
      assertLeaseHeld(`${machine.name} effect ${effect.type}`);
      const handler = io.effects[effect.type as F['type']] as (
        f: F,
        x: EffectScope<S, E>,
      ) => Promise<void> | void;
      await handler(effect, scope);
    }
  };
  const withStep = step.effects.filter(inStep);
  const after = step.effects.filter((f) => !inStep(f));
  const write = async (db: Kysely<Schema>): Promise<boolean> => {
    if (!(await io.persist(step, db))) return false;
    await perform(withStep, db);
    return true;
  };
  const written =
    io.atomic && !io.db.isTransaction ? await io.db.transaction().execute(write) : await write(io.db);
  if (!written) return undefined;
  const failure = (step as { readonly failure?: unknown }).failure;
  const line = { ...fields, to: step.state, ...(failure ? { failure } : {}) };
  if (io.quiet) io.log.debug(line, `${machine.name} transition`);
  else io.log.info(line, `${machine.name} transition`);
  if (after.length === 0) return step;
  if (!io.db.isTransaction) await perform(after, io.db);
  else if (io.afterCommit) {
    const { afterCommit } = io;
    afterCommit.add(() => perform(after, afterCommit.db));
  } else throw new Error(`${machine.name} step has effects inside an open transaction and no afterCommit`);
  return step;
}
