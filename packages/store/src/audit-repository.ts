/**
 * The reads the ledger-vs-LND audit needs besides the records it checks (those come from their
 * own repositories): balances against their ledgers, what each subject was charged (net of
 * refunds), and what hosting billing reads of each hosted node.
 */
import type { HostedNodeState } from '@blgv/core';
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { LedgerKind } from './tables/ledger.ts';

/** A tenant whose running balance differs from the sum of its ledger. */
export interface BalanceMismatch {
  readonly tenantId: string;
  readonly balance: bigint;
  readonly ledgerSum: bigint;
}

/** What the hosting audit reads of a hosted node. */
export interface AuditedHostedNode {
  readonly id: string;
  readonly state: HostedNodeState;
  readonly createdAt: Date;
  readonly paidUntil: Date | null;
  /** How far billing from the node's own `ListPayments` reached before 0018. */
  readonly billedPaymentIndex: bigint;
}

/** Read-only queries for the audit (the records it checks come from their repositories). */
export class AuditRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Tenants whose running balance is not the sum of their entries. */
  async balanceMismatches(): Promise<BalanceMismatch[]> {
    const r = await sql<{ id: string; balance: string; ledger: string }>`
      select t.id, t.balance_sat::text as balance, coalesce(sum(e.amount_sat), 0)::text as ledger
      from tenants t left join ledger_entries e on e.tenant_id = t.id
      group by t.id, t.balance_sat
      having t.balance_sat <> coalesce(sum(e.amount_sat), 0)`.execute(this.#db);
    return r.rows.map((x) => ({ tenantId: x.id, balance: BigInt(x.balance), ledgerSum: BigInt(x.ledger) }));
  }

  /** The net ledger amount per reference, for entries of these kinds. */
  async netByReference(kinds: readonly LedgerKind[]): Promise<Map<string, bigint>> {
    const r = await sql<{ reference: string; net: string }>`
      select reference, sum(amount_sat)::text as net from ledger_entries
      where kind in (${sql.join(kinds)}) group by reference`.execute(this.#db);
    return new Map(r.rows.map((x) => [x.reference, BigInt(x.net)]));
  }

  /** Ledger totals by kind (credits positive, charges negative). */
  async totalsByKind(): Promise<Map<string, bigint>> {
    const r = await sql<{ kind: string; total: string }>`
      select kind, sum(amount_sat)::text as total from ledger_entries group by kind`.execute(this.#db);
    return new Map(r.rows.map((x) => [x.kind, BigInt(x.total)]));
  }

  /** Every hosted node, deleted ones included: what the hosting audit reads of each. */
  async hostedNodes(): Promise<AuditedHostedNode[]> {
    const rows = await this.#db
      .selectFrom('hosted_nodes')
      .select(['id', 'state', 'created_at', 'paid_until', 'billed_payment_index'])
      .execute();
    return rows.map((r) => ({
      id: r.id,
      state: r.state,
      createdAt: r.created_at,
      paidUntil: r.paid_until,
      billedPaymentIndex: BigInt(r.billed_payment_index),
    }));
  }
}
