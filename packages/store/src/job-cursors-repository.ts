/**
 * Where a job's stream resumes (e.g. LND's invoice settle index for top-ups), kept so a
 * restart neither misses nor repeats what happened while the server was down.
 */
import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';

/** Reads and moves job cursors. */
export class JobCursorsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** The cursor's value, or `undefined` when the job never stored one. */
  async get(name: string): Promise<bigint | undefined> {
    const r = await this.#db
      .selectFrom('job_cursors')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return r?.value;
  }

  /** Moves the cursor forward to `value` (never back). */
  async advance(name: string, value: bigint): Promise<void> {
    await this.#db
      .insertInto('job_cursors')
      .values({ name, value })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ value, updated_at: new Date() })
          .where('job_cursors.value', '<', value),
      )
      .execute();
  }
}
