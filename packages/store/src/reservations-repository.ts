/**
 * Liquidity reservations and the lock that serializes their allocation: across every server
 * replica, one transaction at a time checks what is committed and inserts new reservations.
 */
import { type ReservationState, type Sat, sat } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { type LedgerEntry, ledgerAppendCtes, SPENDABLE_OF_T, uuidList } from './ledger-repository.ts';
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

/** A tenant's position for reservations: unused amounts of its live reservations, its balance. */
export interface TenantPosition {
  readonly reserved: Sat;
  /** What it can spend (running balance less open debts). */
  readonly balance: Sat;
}

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
   * replica (and payments that use unreserved liquidity) run one at a time. With `lockTenants`,
   * the same statement then locks those tenants' rows (in id order, as
   * `LedgerRepository.lockTenants`), the allocation lock always first: a batch's locks in one
   * round trip, and every statement after it sees what committed while it waited.
   */
  async lockAllocation(lockTenants: readonly string[] = []): Promise<void> {
    if (lockTenants.length === 0) {
      await sql`select pg_advisory_xact_lock(${ALLOCATION_LOCK_ID})`.execute(this.#db);
      return;
    }
    // No tenant row reaches the row lock before the join has the allocation's one row.
    await sql`with allocation as materialized (select pg_advisory_xact_lock(${ALLOCATION_LOCK_ID}) as held)
      select count(*) as locked from (
        select t.id from tenants t, allocation where t.id in (${uuidList(lockTenants)})
        order by t.id for update of t) as locked`.execute(this.#db);
  }

  /**
   * What is committed now, read in one statement (one snapshot): what active reservations hold
   * comes from their running totals (0030), less what those past their time still hold until
   * the expiry job marks them, so its cost does not grow with their number. With `positionsOf`, the same
   * statement reads those tenants' positions too (what their live reservations still hold and
   * what they can spend: the ledger's rule, balance less open debts; an unknown tenant is left
   * out). Under the allocation lock, lock the tenants first ({@link lockAllocation}): a row's
   * balance is read as of this statement's start.
   */
  async committed(
    positionsOf: readonly string[] = [],
  ): Promise<CommittedLiquidity & { readonly positions: Map<string, TenantPosition> }> {
    const tenantsJoin = positionsOf.length === 0 ? sql`false` : sql`t.id in (${uuidList(positionsOf)})`;
    const r = await sql<{
      reserved: bigint;
      pending: bigint;
      epoch: bigint;
      id: string | null;
      spendable: string | null;
      tenant_reserved: bigint | null;
    }>`with c as (select
        (select coalesce(sum(reserved_sat), 0) from reservation_totals)
          - (select coalesce(sum(amount_sat - used_sat), 0) from liquidity_reservations
             where state = 'active' and expires_at <= now()) as reserved,
        (select coalesce(sum(liquidity_sat), 0)::int8 from payments where status = 'pending') as pending,
        (select last_value from liquidity_epoch) as epoch)
      select c.reserved::int8 as reserved, c.pending, c.epoch, t.id, ${SPENDABLE_OF_T}::text as spendable,
        (coalesce((select rt.reserved_sat from reservation_totals rt where rt.tenant_id = t.id), 0)
          - (select coalesce(sum(r.amount_sat - r.used_sat), 0) from liquidity_reservations r
             where r.tenant_id = t.id and r.state = 'active' and r.expires_at <= now()))::int8 as tenant_reserved
      from c left join tenants t on ${tenantsJoin}`.execute(this.#db);
    const row = r.rows[0];
    if (!row) throw new Error('committed liquidity: no row');
    const positions = new Map<string, TenantPosition>();
    for (const p of r.rows)
      if (p.id !== null)
        positions.set(p.id, { reserved: sat(p.tenant_reserved ?? 0n), balance: sat(p.spendable ?? '0') });
    return {
      reservedRemaining: sat(row.reserved),
      pendingPayments: sat(row.pending),
      epoch: BigInt(row.epoch),
      positions,
    };
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
    return this.insertWithCharges(rs, []);
  }

  /**
   * Inserts active reservations and appends ledger charges for them (each tenant's running
   * balance moved by its charges), in one statement; returns the reservations as stored, in
   * the same order. Throws when a charge was not appended (its kind and reference exist).
   */
  async insertWithCharges(
    rs: readonly NewReservation[],
    charges: readonly Omit<LedgerEntry, 'id' | 'createdAt'>[],
  ): Promise<Reservation[]> {
    if (rs.length === 0) {
      if (charges.length > 0) throw new Error('insertWithCharges: charges without reservations');
      return [];
    }
    if (charges.some((c) => c.amount >= 0n)) throw new Error('insertWithCharges: a credit is not a charge');
    const values = sql.join(
      rs.map(
        (
          r,
        ) => sql`(${r.id}::uuid, ${r.tenantId}::uuid, ${r.amount}::int8, 'active', ${r.reservationFee}::int8,
          ${r.utilizationFeePpm}::int8, ${r.feeRatePpm}::int8, ${r.maxFeeRatePpm}::int8, ${r.durationMs}::int8,
          ${r.expiresAt}::timestamptz, ${r.externalReference}::text, ${r.externalFee}::int8)`,
      ),
    );
    const inserted = sql`inserted as (
      insert into liquidity_reservations (id, tenant_id, amount_sat, state, reservation_fee_sat,
        utilization_fee_ppm, fee_rate_ppm, max_fee_rate_ppm, duration_ms, expires_at,
        external_reference, external_fee_sat)
      values ${values}
      returning *
    )`;
    const r =
      charges.length === 0
        ? await sql<Selectable<LiquidityReservationsTable> & { charged: bigint }>`
            with ${inserted} select *, 0::int8 as charged from inserted`.execute(this.#db)
        : await sql<Selectable<LiquidityReservationsTable> & { charged: bigint }>`
            with ${inserted}, ${ledgerAppendCtes(charges)}
            select *, (select count(*) from entry)::int8 as charged from inserted`.execute(this.#db);
    const charged = r.rows[0]?.charged ?? 0n;
    if (charged !== BigInt(charges.length)) {
      throw new Error(`reservation charges: ${charged} of ${charges.length} appended (a reference reused)`);
    }
    const byId = new Map(r.rows.map((row) => [row.id, toReservation(row)]));
    return rs.map((x) => {
      const stored = byId.get(x.id);
      if (!stored) throw new Error(`reservation ${x.id}: insert returned no row`);
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
