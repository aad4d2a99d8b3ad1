/**
 * Liquidity reservations and the lock that serializes their allocation: across every server
 * replica, one transaction at a time checks what is committed and inserts new reservations.
 */
import { type ReservationState, type Sat, sat } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { moveState } from './move-state.ts';
import type { Schema } from './schema.ts';
import type { LiquidityReservationsTable } from './tables/liquidity.ts';
import { isUuid } from './uuid.ts';

/** A reservation as stored. */
export interface Reservation {
  readonly id: string;
  readonly tenantId: string;
  readonly amount: Sat;
  readonly used: Sat;
  readonly state: ReservationState;
  readonly reservationFee: Sat;
  readonly utilizationFeePpm: bigint;
  readonly feeRatePpm: bigint;
  readonly maxFeeRatePpm: bigint;
  readonly durationMs: bigint;
  readonly expiresAt: Date;
  readonly externalReference: string | null;
  readonly externalFee: Sat | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A reservation to insert (it starts active, nothing used). */
export type NewReservation = Omit<Reservation, 'used' | 'state' | 'createdAt' | 'updatedAt'>;

/** What is promised already: unused remainders of live reservations, payments in flight. */
export interface CommittedLiquidity {
  readonly reservedRemaining: Sat;
  readonly pendingPayments: Sat;
  /** The value of the `liquidity_epoch` sequence (moves when a payment succeeds). */
  readonly epoch: bigint;
}

/** Arbitrary constant naming the allocation lock (`pg_advisory_xact_lock`). */
const ALLOCATION_LOCK_ID = 7_242_004;

/** Reads and writes reservations. Pass a transaction to combine writes. */
export class ReservationsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Takes the allocation lock until the surrounding transaction ends: allocations on every
   * replica (and payments that use unreserved liquidity) run one at a time.
   */
  async lockAllocation(): Promise<void> {
    await sql`select pg_advisory_xact_lock(${ALLOCATION_LOCK_ID})`.execute(this.#db);
  }

  /** What is committed now, read in one statement (one snapshot). */
  async committed(): Promise<CommittedLiquidity> {
    const r = await sql<{ reserved: bigint; pending: bigint; epoch: bigint }>`select
      (select coalesce(sum(amount_sat - used_sat), 0)::int8 from liquidity_reservations
        where state = 'active' and expires_at > now()) as reserved,
      (select coalesce(sum(liquidity_sat), 0)::int8 from payments where status = 'pending') as pending,
      (select last_value from liquidity_epoch) as epoch`.execute(this.#db);
    const row = r.rows[0];
    if (!row) throw new Error('committed liquidity: no row');
    return {
      reservedRemaining: sat(row.reserved),
      pendingPayments: sat(row.pending),
      epoch: BigInt(row.epoch),
    };
  }

  /** What a tenant's live reservations still hold (their unused amounts). */
  async reservedBy(tenantId: string): Promise<Sat> {
    return (await this.reservedByTenants([tenantId])).get(tenantId) ?? sat(0);
  }

  /** {@link reservedBy} of several tenants in one statement (0 for a tenant holding none). */
  async reservedByTenants(tenantIds: readonly string[]): Promise<Map<string, Sat>> {
    const held = new Map<string, Sat>(tenantIds.map((id) => [id, sat(0)]));
    if (tenantIds.length === 0) return held;
    const ids = sql.join([...held.keys()].map((id) => sql`${id}::uuid`));
    const r = await sql<{ tenant_id: string; reserved: bigint }>`
      select tenant_id, sum(amount_sat - used_sat)::int8 as reserved from liquidity_reservations
      where tenant_id in (${ids}) and state = 'active' and expires_at > now()
      group by tenant_id`.execute(this.#db);
    for (const row of r.rows) held.set(row.tenant_id, sat(row.reserved));
    return held;
  }

  /** The current liquidity epoch. */
  async epoch(): Promise<bigint> {
    const r = await sql<{ epoch: bigint }>`select last_value as epoch from liquidity_epoch`.execute(this.#db);
    return BigInt(r.rows[0]?.epoch ?? 0n);
  }

  /** Moves the liquidity epoch on (a payment's money left the node). */
  async bumpEpoch(): Promise<void> {
    await sql`select nextval('liquidity_epoch')`.execute(this.#db);
  }

  async insert(r: NewReservation): Promise<Reservation> {
    const [inserted] = await this.insertMany([r]);
    if (!inserted) throw new Error('reservation insert returned no row');
    return inserted;
  }

  /** Inserts active reservations in one statement; returns them as stored, in the same order. */
  async insertMany(rs: readonly NewReservation[]): Promise<Reservation[]> {
    if (rs.length === 0) return [];
    const rows = await this.#db
      .insertInto('liquidity_reservations')
      .values(
        rs.map((r) => ({
          id: r.id,
          tenant_id: r.tenantId,
          amount_sat: r.amount,
          state: 'active' as const,
          reservation_fee_sat: r.reservationFee,
          utilization_fee_ppm: r.utilizationFeePpm,
          fee_rate_ppm: r.feeRatePpm,
          max_fee_rate_ppm: r.maxFeeRatePpm,
          duration_ms: r.durationMs,
          expires_at: r.expiresAt,
          external_reference: r.externalReference,
          external_fee_sat: r.externalFee,
        })),
      )
      .returningAll()
      .execute();
    const byId = new Map(rows.map((row) => [row.id, toReservation(row)]));
    return rs.map((r) => {
      const stored = byId.get(r.id);
      if (!stored) throw new Error(`reservation ${r.id}: insert returned no row`);
      return stored;
    });
  }

  /** A reservation by id (undefined for an unknown or malformed id); `lock` locks its row. */
  async get(id: string, options: { lock?: boolean } = {}): Promise<Reservation | undefined> {
    if (!isUuid(id)) return undefined;
    let q = this.#db.selectFrom('liquidity_reservations').selectAll().where('id', '=', id);
    if (options.lock) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && toReservation(row);
  }

  /** Writes a transition of the state machine; false when the row was no longer in `from`. */
  transition(
    id: string,
    from: ReservationState,
    next: { readonly state: ReservationState; readonly used: Sat },
  ): Promise<boolean> {
    // The database's clock: an expired reservation is marked at a time past its expiry.
    const update = { ...next, updatedAt: sql<Date>`now()` };
    return moveState(
      this.#db,
      { table: 'liquidity_reservations', rename: { used: 'used_sat' } },
      id,
      from,
      update,
    );
  }

  /** Every live reservation whose time is up (by the database's clock), to expire. */
  async due(): Promise<Reservation[]> {
    const rows = await this.#db
      .selectFrom('liquidity_reservations')
      .selectAll()
      .where('state', 'in', ['active', 'exhausted'])
      .where('expires_at', '<=', sql<Date>`now()`)
      .execute();
    return rows.map(toReservation);
  }

  /** When the next live reservation expires, if any does. */
  async nextExpiry(): Promise<Date | undefined> {
    const r = await this.#db
      .selectFrom('liquidity_reservations')
      .select((eb) => eb.fn.min('expires_at').as('next'))
      .where('state', 'in', ['active', 'exhausted'])
      .executeTakeFirst();
    return r?.next ? new Date(r.next) : undefined;
  }
}

function toReservation(r: Selectable<LiquidityReservationsTable>): Reservation {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    amount: sat(r.amount_sat),
    used: sat(r.used_sat),
    state: r.state,
    reservationFee: sat(r.reservation_fee_sat),
    utilizationFeePpm: r.utilization_fee_ppm,
    feeRatePpm: r.fee_rate_ppm,
    maxFeeRatePpm: r.max_fee_rate_ppm,
    durationMs: r.duration_ms,
    expiresAt: r.expires_at,
    externalReference: r.external_reference,
    externalFee: r.external_fee_sat === null ? null : sat(r.external_fee_sat),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
