/**
 * The account ledger (append-only) and top-up invoices. A balance is always derived from the
 * entries; nothing stores it.
 */
import { type Sat, sat } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { LedgerKind, Schema, TopupState, TopupsTable } from './schema.ts';

/** One ledger entry; credits are positive, charges negative. */
export interface LedgerEntry {
  readonly id: bigint;
  readonly tenantId: string;
  readonly kind: LedgerKind;
  readonly amount: bigint;
  readonly reference: string;
  readonly description: string;
  readonly createdAt: Date;
}

/** A top-up invoice. */
export interface Topup {
  readonly paymentHash: string;
  readonly tenantId: string;
  readonly amount: Sat;
  readonly paymentRequest: string;
  readonly state: TopupState;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly settledAt: Date | null;
}

/** Reads and appends ledger entries and top-ups. Pass a transaction to combine writes. */
export class LedgerRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Locks the tenant's row until the surrounding transaction ends, so balance checks and
   * charges of one tenant happen one at a time.
   */
  async lockTenant(tenantId: string): Promise<void> {
    await sql`select id from tenants where id = ${tenantId} for update`.execute(this.#db);
  }

  async balance(tenantId: string): Promise<Sat> {
    const r = await this.#db
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<bigint>('amount_sat'), sql<bigint>`0::int8`).as('balance'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    // sum(int8) is numeric in Postgres: it arrives as a decimal string.
    return sat(String(r.balance));
  }

  /** Appends an entry; false when an entry with the same kind and reference exists. */
  async append(entry: Omit<LedgerEntry, 'id' | 'createdAt'>): Promise<boolean> {
    const r = await this.#db
      .insertInto('ledger_entries')
      .values({
        tenant_id: entry.tenantId,
        kind: entry.kind,
        amount_sat: entry.amount,
        reference: entry.reference,
        description: entry.description,
      })
      .onConflict((oc) => oc.columns(['kind', 'reference']).doNothing())
      .executeTakeFirst();
    return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  /** A tenant's entries, newest first. */
  async entries(tenantId: string, limit = 100): Promise<LedgerEntry[]> {
    const rows = await this.#db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      kind: r.kind,
      amount: r.amount_sat,
      reference: r.reference,
      description: r.description,
      createdAt: r.created_at,
    }));
  }

  async createTopup(t: Omit<Topup, 'state' | 'createdAt' | 'settledAt'>): Promise<Topup> {
    const r = await this.#db
      .insertInto('topups')
      .values({
        payment_hash: t.paymentHash,
        tenant_id: t.tenantId,
        amount_sat: t.amount,
        payment_request: t.paymentRequest,
        state: 'open',
        expires_at: t.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTopup(r);
  }

  async getTopup(paymentHash: string): Promise<Topup | undefined> {
    const r = await this.#db
      .selectFrom('topups')
      .selectAll()
      .where('payment_hash', '=', paymentHash)
      .executeTakeFirst();
    return r && toTopup(r);
  }

  async openTopups(): Promise<Topup[]> {
    return (await this.#db.selectFrom('topups').selectAll().where('state', '=', 'open').execute()).map(
      toTopup,
    );
  }

  /** Moves an open top-up to a final state; false if it was not open. */
  async finishTopup(paymentHash: string, state: 'settled' | 'canceled'): Promise<boolean> {
    const r = await this.#db
      .updateTable('topups')
      .set({ state, ...(state === 'settled' ? { settled_at: new Date() } : {}) })
      .where('payment_hash', '=', paymentHash)
      .where('state', '=', 'open')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}

function toTopup(r: Selectable<TopupsTable>): Topup {
  return {
    paymentHash: r.payment_hash,
    tenantId: r.tenant_id,
    amount: sat(r.amount_sat),
    paymentRequest: r.payment_request,
    state: r.state,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    settledAt: r.settled_at,
  };
}
