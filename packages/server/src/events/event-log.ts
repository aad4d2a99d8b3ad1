/**
 * The event log as the API reads it: a tenant sees its own subjects' transitions, an admin
 * everyone's. Rows are written by the database in the transactions that change state; reading
 * first gives positions to the rows that have settled, so a cursor never skips one.
 */
import { type Database, EventsRepository, type LspEvent } from '@blgv/store';

/** What a reader asks for. */
export interface EventRead {
  /** Whose events: a tenant's own, or (for an admin) everyone's. */
  readonly tenantId: string | undefined;
  readonly after: bigint | undefined;
  readonly limit: number;
  readonly subjectKind?: string;
  readonly subjectId?: string;
}

/** Reads the event log. */
export class EventLog {
  readonly #events: EventsRepository;

  constructor(database: Database) {
    this.#events = new EventsRepository(database.db);
  }

  /** Events after `read.after`, oldest first. */
  async read(read: EventRead): Promise<LspEvent[]> {
    await this.#events.sequence();
    return this.#events.list({
      after: read.after,
      tenantId: read.tenantId,
      limit: read.limit,
      subjectKind: read.subjectKind,
      subjectId: read.subjectId,
    });
  }
}
