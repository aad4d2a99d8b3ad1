/**
 * Leases of background jobs (0010, fencing tokens 0028). A lease is taken when free or expired,
 * renewed by its holder, and deleted when the holder stops. Times are the database's own
 * clock, so replicas with skewed clocks still agree on who holds what.
 *
 * Every taking draws a new fencing token (a sequence: a later holding always has a greater
 * one); a renewal keeps it. A job's writes carry its token and are refused once it is stale
 * (`lease-fence.ts`, `fenced-dialect.ts`).
 *
 * A renewal keeps only a lease that has not run out by the clock when it runs (not when it was
 * sent: one held up past the expiry does not bring the lease back under the old token).
 *
 * Neither a renewal nor a taking can hang the runner on a lock: a renewal skips a row another
 * replica is taking (and never waits for the holder's own fenced transactions, which hold key
 * share locks only); a taking waits at most `lockTimeoutMs` for the old holder's fenced
 * transactions to end (it changes the token, a key column, so it must), and is tried again at
 * the next renewal when they have not.
 */
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** A lease as the operator sees it. */
export interface JobLease {
  readonly name: string;
  readonly holder: string;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
  /** The fencing token of this holding. */
  readonly token: bigint;
}

/** Postgres' code for a lock not had within `lock_timeout`. */
const LOCK_NOT_AVAILABLE = '55P03';

/** Takes, renews and gives back job leases. */
export class JobLeasesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Renews `holder`'s named leases that have not run out and takes those that are free or
   * expired (`holder`'s own expired ones included: they get a new token), for `ttlMs` from
   * now. Returns the leases `holder` holds afterwards with their tokens.
   */
  async acquire(
    holder: string,
    names: readonly string[],
    ttlMs: number,
    options: { lockTimeoutMs?: number } = {},
  ): Promise<Map<string, bigint>> {
    const held = new Map<string, bigint>();
    if (names.length === 0) return held;
    const renewed = await sql<{ name: string; token: bigint }>`
      update job_leases set expires_at = now() + ${ttlMs} * interval '1 millisecond'
      where name in (
        select name from job_leases
        where holder = ${holder} and name = any(${sql.val([...names])}::text[])
          and expires_at > clock_timestamp()
        for no key update skip locked)
      returning name, token`.execute(this.#db);
    for (const r of renewed.rows) held.set(r.name, r.token);
    const rest = names.filter((n) => !held.has(n));
    if (rest.length === 0) return held;
    // Only leases that look free are tried: one held by another replica is not even locked.
    const taken = await sql<{ name: string }>`
      select name from job_leases where name = any(${sql.val(rest)}::text[]) and expires_at > now()`.execute(
      this.#db,
    );
    const busy = new Set(taken.rows.map((r) => r.name));
    for (const name of rest.filter((n) => !busy.has(n))) {
      const token = await this.#take(holder, name, ttlMs, options.lockTimeoutMs ?? 1_000);
      if (token !== undefined) held.set(name, token);
    }
    return held;
  }

  /** Takes one free or expired lease with a new token; undefined when it is not free (or still locked). */
  async #take(
    holder: string,
    name: string,
    ttlMs: number,
    lockTimeoutMs: number,
  ): Promise<bigint | undefined> {
    try {
      return await this.#db.transaction().execute(async (tx) => {
        await sql`select set_config('lock_timeout', ${`${Math.max(1, Math.round(lockTimeoutMs))}ms`}, true)`.execute(
          tx,
        );
        const rows = await sql<{ token: bigint }>`
          insert into job_leases (name, holder, expires_at, token)
          values (${name}, ${holder}, now() + ${ttlMs} * interval '1 millisecond', nextval('job_lease_tokens'))
          on conflict (name) do update
            set holder = excluded.holder,
                token = excluded.token,
                acquired_at = now(),
                expires_at = excluded.expires_at
            where job_leases.expires_at <= now()
          returning token`.execute(tx);
        return rows.rows[0]?.token;
      });
    } catch (err) {
      // The old holder's fenced transaction is still open (a frozen replica's, until the
      // database ends it): tried again at the next renewal.
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) return undefined;
      throw err;
    }
  }

  /** Gives back `holder`'s named leases (all of them without names). */
  async release(holder: string, names?: readonly string[]): Promise<void> {
    let q = this.#db.deleteFrom('job_leases').where('holder', '=', holder);
    if (names) q = q.where('name', 'in', names.length > 0 ? [...names] : ['']);
    await q.execute();
  }

  /** Every lease, by name. */
  async list(): Promise<JobLease[]> {
    const rows = await this.#db.selectFrom('job_leases').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      holder: r.holder,
      acquiredAt: r.acquired_at,
      expiresAt: r.expires_at,
      token: r.token,
    }));
  }
}
