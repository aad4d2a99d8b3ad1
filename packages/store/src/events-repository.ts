/**
 * The event log: one row per state transition of every machine, appended by triggers in the
 * transaction that made the transition (migration 0009). Readers page by `position`, which
 * {@link EventsRepository.sequence} gives to rows in an order no later commit can precede.
 */
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** One event, as readers see it. */
export interface LspEvent {
  /** Where the event sits in the log; read on from here with `after`. */
  readonly position: bigint;
  readonly at: Date;
  /** What kind of thing changed: `channel_request`, `lsps1_order`, `jit_channel`, `payment`, ... */
  readonly subjectKind: string;
  readonly subjectId: string;
  /** The tenant the subject belongs to (none for peers' and the LSP's own subjects). */
  readonly tenantId: string | undefined;
  /** The subject's state after the transition (a ledger entry's kind). */
  readonly state: string;
  /** The facts recorded with it: amounts (decimal strings), txid, scid, failure, ... */
  readonly facts: Record<string, unknown>;
}

/** What to read. */
export interface EventQuery {
  /** Events after this position (default: from the start). */
  readonly after?: bigint;
  /** Only this tenant's events (default: everyone's). */
  readonly tenantId?: string;
  readonly subjectKind?: string;
  readonly subjectId?: string;
  readonly limit: number;
}

/** Lock key of the sequencer, so replicas give out positions one at a time. */
const SEQUENCER_LOCK_ID = 0x6576656e7473n; // "events"
/** Rows given positions per pass. */
const SEQUENCE_BATCH = 5000;

/** Reads the event log and gives its new rows their positions. */
export class EventsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Gives positions to the rows whose transactions have committed, in the order this pass sees
   * them (by `id` among them), after every position given before. Returns how many rows got one.
   *
   * A row whose transaction commits later gets a later position, so a reader that has seen
   * position N never later finds an event below N, and nothing waits on transactions still
   * running. (A row used to wait, too, for every older transaction of the whole Postgres server
   * to end, to keep positions in insert order: one long transaction in any database held back
   * every tenant's events, webhooks and LSPS5 notifications.) Events of one subject keep their
   * order: each transition commits before the next can start.
   */
  async sequence(): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK_ID})`.execute(trx);
      const r = await sql`
        with pending as (
          select id from events where position is null order by id limit ${SEQUENCE_BATCH}
        ), numbered as (
          select p.id,
                 (select coalesce(max(position), 0) from events) + row_number() over (order by p.id) as position
          from pending p
        )
        update events e set position = n.position from numbered n where e.id = n.id`.execute(trx);
      return Number(r.numAffectedRows ?? 0n);
    });
  }

  /**
   * Removes up to `limit` of the oldest positioned events written before `before`, and answers
   * how many went. The newest event always stays, whatever its age: positions go on from it, so
   * a reader's cursor never sees a position given twice. Only the `limit` oldest positions are
   * looked at (by the position index), so a look where nothing is old enough costs one short
   * read however long the log is; an event whose transaction committed late (older than one
   * positioned before it) goes once those before it have gone.
   */
  async pruneBefore(before: Date, limit: number): Promise<number> {
    const r = await sql<{ id: string }>`
      delete from events where id in (
        select id from (
          select id, at, position from events
          where position is not null
          order by position
          limit ${limit}
        ) oldest
        where oldest.at < ${before}
          and oldest.position < (select max(position) from events)
      )
      returning id`.execute(this.#db);
    return r.rows.length;
  }

  /** The highest position given so far (0 when none): readers from "now on" start here. */
  async latestPosition(): Promise<bigint> {
    const r = await this.#db
      .selectFrom('events')
      .select(sql<string>`coalesce(max(position), 0)::text`.as('p'))
      .executeTakeFirstOrThrow();
    return BigInt(r.p);
  }

  /** Positioned events in order, after `query.after`. */
  async list(query: EventQuery): Promise<LspEvent[]> {
    let q = this.#db
      .selectFrom('events')
      .select(['position', 'at', 'subject_kind', 'subject_id', 'tenant_id', 'state', 'facts'])
      .where('position', 'is not', null)
      .where('position', '>', query.after ?? 0n);
    if (query.tenantId !== undefined) q = q.where('tenant_id', '=', query.tenantId);
    if (query.subjectKind !== undefined) q = q.where('subject_kind', '=', query.subjectKind);
    if (query.subjectId !== undefined) q = q.where('subject_id', '=', query.subjectId);
    const rows = await q.orderBy('position').limit(query.limit).execute();
    return rows.map((r) => ({
      position: r.position as bigint,
      at: r.at,
      subjectKind: r.subject_kind,
      subjectId: r.subject_id,
      tenantId: r.tenant_id ?? undefined,
      state: r.state,
      facts: r.facts,
    }));
  }
}
