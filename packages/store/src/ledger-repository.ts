/**
 * The account ledger (append-only) and top-up invoices. Each entry moves the tenant's running
 * balance in the same statement, so reading a balance costs the same whatever the history; the
 * ledger stays the truth and the audit checks the two agree. A credit pays the tenant's open
 * debts (`tenant_debts`) first, in the credit's transaction: no credit path can forget them.
 */
import { type Sat, sat } from '@blgv/core';
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import { type Page, type PageRequest, readPage } from './keyset-page.ts';
import type { Schema } from './schema.ts';
import type { LedgerEntriesTable, LedgerKind, TopupState, TopupsTable } from './tables/ledger.ts';
import { type TenantDebt, TenantDebtsRepository } from './tenant-debts-repository.ts';
import { isUuid } from './uuid.ts';

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

/**
 * What tenant `t` (a `tenants` row so aliased) can spend: its running balance less its open
 * debts (see {@link LedgerRepository.balance}).
 */
export const SPENDABLE_OF_T = sql<bigint>`(t.balance_sat - coalesce((select sum(d.amount_sat)
  from tenant_debts d where d.tenant_id = t.id and d.paid_at is null), 0))`;

/** A list of uuid parameters for `in (...)`, each id once. */
export function uuidList(ids: readonly string[]): RawBuilder<unknown> {
  return sql.join([...new Set(ids)].map((id) => sql`${id}::uuid`));
}

/**
 * The common table expressions `entry` (the entries appended; one whose kind and reference
 * exist already is skipped) and `moved` (each tenant's running balance moved by the sum of its
 * entries), for a statement that appends `entries` (at least one) and may do more: `with
 * ${ledgerAppendCtes(entries)} select ... from entry`. Entries only: a credit's debts are paid
 * by {@link LedgerRepository.append}.
 */
export function ledgerAppendCtes(
  entries: readonly Omit<LedgerEntry, 'id' | 'createdAt'>[],
): RawBuilder<unknown> {
  const values = sql.join(
    entries.map(
      (e) => sql`(${e.tenantId}::uuid, ${e.kind}, ${e.amount}::int8, ${e.reference}, ${e.description})`,
    ),
  );
  return sql`entry as (
      insert into ledger_entries (tenant_id, kind, amount_sat, reference, description)
      values ${values}
      on conflict (kind, reference) do nothing
      returning tenant_id, kind, reference, amount_sat
    ), moved as (
      update tenants set balance_sat = tenants.balance_sat + m.amount
      from (select tenant_id, sum(amount_sat)::int8 as amount from entry group by tenant_id) m
      where tenants.id = m.tenant_id
      returning tenants.id
    )`;
}

/** A tenant's account: its running balance, what it owes (open debts), and since when. */
export interface TenantAccount {
  readonly balance: Sat;
  readonly debt: Sat;
  readonly debtSince: Date | null;
}

/** The account of a tenant that does not exist: nothing held, nothing owed. */
export const NO_ACCOUNT: TenantAccount = { balance: sat(0), debt: sat(0), debtSince: null };

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
    await this.lockTenants([tenantId]);
  }

  /** {@link lockTenant} for several tenants in one statement (in id order: no deadlock). */
  async lockTenants(tenantIds: readonly string[]): Promise<void> {
    if (tenantIds.length === 0) return;
    await sql`select id from tenants where id in (${uuidList(tenantIds)}) order by id for update`.execute(
      this.#db,
    );
  }

  /**
   * What the tenant can spend: its running balance less what it owes (open debts), negative while
   * a debt is larger than the balance (0 for an unknown tenant). Every charge checks this, so
   * none passes while a debt is open (a credit pays debts first: an open debt is always larger
   * than the balance).
   */
  async balance(tenantId: string): Promise<Sat> {
    return (await this.balances([tenantId])).get(tenantId) ?? sat(0);
  }

  /** {@link balance} of several tenants in one statement (an unknown tenant is left out). */
  async balances(tenantIds: readonly string[]): Promise<Map<string, Sat>> {
    if (tenantIds.length === 0) return new Map();
    const r = await sql<{ id: string; spendable: string }>`
      select t.id, ${SPENDABLE_OF_T}::text as spendable
      from tenants t where t.id in (${uuidList(tenantIds)})`.execute(this.#db);
    return new Map(r.rows.map((row) => [row.id, sat(row.spendable)]));
  }

  /** The running balance (the ledger's sum, never negative) and what the tenant owes. */
  async account(tenantId: string): Promise<TenantAccount> {
    return (await this.accounts([tenantId])).get(tenantId) ?? NO_ACCOUNT;
  }

  /**
   * {@link account} of several tenants in one statement, by tenant (an unknown tenant is left
   * out; a tenant with no open debt owes 0 since null).
   */
  async accounts(tenantIds: readonly string[]): Promise<Map<string, TenantAccount>> {
    const valid = tenantIds.filter((id) => isUuid(id));
    if (valid.length === 0) return new Map();
    // The running balances beside the open debts.
    const r = await sql<{ id: string; balance: string; debt: string; since: Date | null }>`
      select t.id, t.balance_sat::text as balance, coalesce(sum(d.amount_sat), 0)::text as debt,
        min(d.created_at) as since
      from tenants t left join tenant_debts d on d.tenant_id = t.id and d.paid_at is null
      where t.id in (${uuidList(valid)})
      group by t.id`.execute(this.#db);
    return new Map(
      r.rows.map((row) => [row.id, { balance: sat(row.balance), debt: sat(row.debt), debtSince: row.since }]),
    );
  }

  /** The sum of a tenant's entries (what the running balance must equal). */
  async ledgerSum(tenantId: string): Promise<Sat> {
    const r = await this.#db
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<bigint>('amount_sat'), sql<bigint>`0::int8`).as('sum'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    // sum(int8) is numeric in Postgres: it arrives as a decimal string.
    return sat(String(r.sum));
  }

  /**
   * Appends an entry and moves the running balance by its amount, in one statement; false when
   * an entry with the same kind and reference exists (nothing changes then). A charge that
   * would take the balance below zero fails. A credit then pays the tenant's open debts, oldest
   * first, as far as the balance covers each whole (in a transaction of its own when the
   * repository is not given one).
   */
  async append(entry: Omit<LedgerEntry, 'id' | 'createdAt'>): Promise<boolean> {
    if (entry.amount <= 0n) return this.#insert(entry);
    if (!this.#db.isTransaction)
      return this.#db.transaction().execute((tx) => new LedgerRepository(tx).append(entry));
    const appended = await this.#insert(entry);
    if (appended) await this.#payDebts(entry.tenantId);
    return appended;
  }

  async #insert(entry: Omit<LedgerEntry, 'id' | 'createdAt'>): Promise<boolean> {
    return (await this.#insertMany([entry])).size > 0;
  }

  /** Inserts entries and moves the running balances by them, in one statement. */
  async #insertMany(entries: readonly Omit<LedgerEntry, 'id' | 'createdAt'>[]): Promise<Set<string>> {
    if (entries.length === 0) return new Set();
    const r = await sql<{ kind: string; reference: string }>`
      with ${ledgerAppendCtes(entries)} select kind, reference from entry`.execute(this.#db);
    return new Set(r.rows.map((row) => `${row.kind} ${row.reference}`));
  }

  /**
   * Pays the tenant's open debts in order while the running balance covers the next one whole:
   * each becomes its ledger entry (its kind and reference) and is marked paid. Returns the
   * debts paid.
   */
  async #payDebts(tenantId: string): Promise<TenantDebt[]> {
    const debts = new TenantDebtsRepository(this.#db);
    const open = await debts.openForUpdate(tenantId);
    if (open.length === 0) return [];
    const paid: TenantDebt[] = [];
    let balance = (await this.account(tenantId)).balance as bigint;
    for (const debt of open) {
      if (balance < debt.amount) break;
      await this.#insert({
        tenantId,
        kind: debt.kind,
        amount: -debt.amount,
        reference: debt.reference,
        description: `${debt.description} (owed since ${debt.createdAt.toISOString()})`,
      });
      await debts.markPaid(debt.id);
      balance -= debt.amount;
      paid.push(debt);
    }
    return paid;
  }

  /** The entry of this kind and reference, if there is one. */
  async entry(kind: LedgerKind, reference: string): Promise<LedgerEntry | undefined> {
    const r = await this.#db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('kind', '=', kind)
      .where('reference', '=', reference)
      .executeTakeFirst();
    return r && toEntry(r);
  }

  /** A page of a tenant's entries, newest first (keyed by `id`). */
  async entries(tenantId: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    const q = this.#db.selectFrom('ledger_entries').selectAll().where('tenant_id', '=', tenantId);
    return readPage(q, 'id', page, toEntry);
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

  /** Every top-up, oldest first (for the audit). */
  async allTopups(): Promise<Topup[]> {
    const rows = await this.#db.selectFrom('topups').selectAll().orderBy('created_at').execute();
    return rows.map(toTopup);
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

function toEntry(r: Selectable<LedgerEntriesTable>): LedgerEntry {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    kind: r.kind,
    amount: r.amount_sat,
    reference: r.reference,
    description: r.description,
    createdAt: r.created_at,
  };
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
