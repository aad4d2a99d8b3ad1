/**
 * Leases of background jobs (0010). A lease is taken when free or expired, renewed by its
 * holder, and deleted when the holder stops. Times are the database's own clock, so replicas
 * with skewed clocks still agree on who holds what.
 */
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** A lease as the operator sees it. */
export interface JobLease {
  readonly name: string;
  readonly holder: string;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

/** Takes, renews and gives back job leases. */
export class JobLeasesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Takes the named leases that are free, expired or already `holder`'s, for `ttlMs` from now;
   * returns the names `holder` holds afterwards.
   */
  async acquire(holder: string, names: readonly string[], ttlMs: number): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await sql<{ name: string }>`
      insert into job_leases (name, holder, expires_at)
      select n, ${holder}, now() + ${ttlMs} * interval '1 millisecond'
      from unnest(${sql.val([...names])}::text[]) as n
      on conflict (name) do update
        set holder = excluded.holder,
            expires_at = excluded.expires_at,
            acquired_at = case when job_leases.holder = excluded.holder then job_leases.acquired_at else now() end
        where job_leases.holder = excluded.holder or job_leases.expires_at < now()
      returning name`.execute(this.#db);
    return new Set(rows.rows.map((r) => r.name));
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
    }));
  }
}
