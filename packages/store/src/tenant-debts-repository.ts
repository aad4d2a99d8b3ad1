/**
 * Debts (0018): charges a tenant's balance could not cover when they were due (today only a
 * hosted node's payment fee). A debt is owed, not yet in the ledger; the ledger's next credit
 * pays the open ones first (`LedgerRepository.append`), each then becoming its ledger entry.
 */
import { type Sat, sat } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { DebtKind, TenantDebtsTable } from './tables/ledger.ts';

/**
 * A tenant's open debts as one row: their sum (`amount`, text: sum(int8) is numeric) and when
 * the oldest was incurred (`since`). Also a subquery of the ledger's account read.
 */
export function openDebtsOf(tenantId: string) {
  return sql<{ amount: string; since: Date | null }>`
    select coalesce(sum(amount_sat), 0)::text as amount, min(created_at) as since
    from tenant_debts where tenant_id = ${tenantId} and paid_at is null`;
}

/** One debt. */
export interface TenantDebt {
  readonly id: bigint;
  readonly tenantId: string;
  readonly kind: DebtKind;
  /** The ledger reference its entry gets when paid (e.g. `hosting:<node>:payment:<index>`). */
  readonly reference: string;
  readonly amount: Sat;
  readonly description: string;
  readonly createdAt: Date;
  readonly paidAt: Date | null;
}

/** A new debt. */
export type NewDebt = Pick<TenantDebt, 'tenantId' | 'kind' | 'reference' | 'amount' | 'description'>;

/** Reads and writes debts. Pass a transaction to combine writes. */
export class TenantDebtsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Records a debt; false when one of this kind and reference exists (nothing changes then). */
  async add(debt: NewDebt): Promise<boolean> {
    const r = await this.#db
      .insertInto('tenant_debts')
      .values({
        tenant_id: debt.tenantId,
        kind: debt.kind,
        reference: debt.reference,
        amount_sat: debt.amount,
        description: debt.description,
      })
      .onConflict((oc) => oc.columns(['kind', 'reference']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return r !== undefined;
  }

  /** What the tenant owes: the sum of its open debts and since when (the oldest's date). */
  async owed(tenantId: string): Promise<{ amount: Sat; since: Date | null }> {
    const r = await openDebtsOf(tenantId).execute(this.#db);
    return { amount: sat(r.rows[0]?.amount ?? '0'), since: r.rows[0]?.since ?? null };
  }

  /** The tenant's open debts, oldest first, locked until the transaction ends. */
  async openForUpdate(tenantId: string): Promise<TenantDebt[]> {
    const rows = await this.#db
      .selectFrom('tenant_debts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('paid_at', 'is', null)
      .orderBy('id')
      .forUpdate()
      .execute();
    return rows.map(toDebt);
  }

  /** Marks an open debt paid; false when it was not open. */
  async markPaid(id: bigint): Promise<boolean> {
    const r = await this.#db
      .updateTable('tenant_debts')
      .set({ paid_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('paid_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Tenants with a debt open since before `before`. */
  async overdueTenants(before: Date): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('tenant_debts')
      .select('tenant_id')
      .distinct()
      .where('paid_at', 'is', null)
      .where('created_at', '<', before)
      .execute();
    return rows.map((r) => r.tenant_id);
  }

  /** Every debt, open and paid (for the audit). */
  async all(): Promise<TenantDebt[]> {
    return (await this.#db.selectFrom('tenant_debts').selectAll().orderBy('id').execute()).map(toDebt);
  }
}

function toDebt(r: Selectable<TenantDebtsTable>): TenantDebt {
  return {
    id: BigInt(r.id),
    tenantId: r.tenant_id,
    kind: r.kind,
    reference: r.reference,
    amount: sat(r.amount_sat),
    description: r.description,
    createdAt: r.created_at,
    paidAt: r.paid_at,
  };
}
