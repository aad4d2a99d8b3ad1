/**
 * The LSP's own record of the payments hosted nodes sent (0018), fed by LND's payment stream and
 * catch-ups, and the hosting fee's billing queue. A final status is written once: the record
 * never forgets a succeeded payment, whatever the node's own database says later.
 */
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { RecordedPaymentStatus } from './tables/hosting.ts';

/** A payment as a node reported it (amounts in msat). */
export interface ReportedPayment {
  readonly paymentIndex: bigint;
  readonly paymentHash: string;
  readonly status: 'in_flight' | 'succeeded' | 'failed';
  readonly amount: bigint;
  readonly fee: bigint;
  readonly createdAt: Date;
}

/** A succeeded payment whose fee is not billed yet, with whom to bill. */
export interface UnbilledPayment {
  readonly nodeId: string;
  readonly tenantId: string;
  readonly alias: string;
  readonly paymentIndex: bigint;
  readonly paymentHash: string;
}

/** A recorded payment, for the audit. */
export interface RecordedPayment {
  readonly nodeId: string;
  readonly paymentIndex: bigint;
  readonly status: RecordedPaymentStatus;
  /** The fee billed for it (charged or owed), null while it is not billed. */
  readonly billedFee: bigint | null;
}

/** Reads and writes the record. Pass a transaction to combine writes. */
export class HostedNodePaymentsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Records what a node reported: new payments are added; one recorded `in_flight` takes the
   * reported end (one `vanished` whatever is reported); a final one (`succeeded`, `failed`)
   * never changes.
   */
  async record(nodeId: string, payments: readonly ReportedPayment[]): Promise<void> {
    if (payments.length === 0) return;
    await this.#db
      .insertInto('hosted_node_payments')
      .values(
        payments.map((p) => ({
          node_id: nodeId,
          payment_index: p.paymentIndex,
          payment_hash: p.paymentHash,
          status: p.status,
          amount_msat: p.amount,
          fee_msat: p.fee,
          created_at: p.createdAt,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['node_id', 'payment_index'])
          .doUpdateSet({
            payment_hash: (eb) => eb.ref('excluded.payment_hash'),
            status: (eb) => eb.ref('excluded.status'),
            amount_msat: (eb) => eb.ref('excluded.amount_msat'),
            fee_msat: (eb) => eb.ref('excluded.fee_msat'),
            updated_at: sql<Date>`now()`,
          })
          // A final status is kept; an in-flight row is rewritten only by an end (or when vanished).
          .where('hosted_node_payments.status', 'in', ['in_flight', 'vanished'])
          .where((eb) =>
            eb.or([
              eb('excluded.status', '<>', 'in_flight'),
              eb('hosted_node_payments.status', '=', 'vanished'),
            ]),
          ),
      )
      .execute();
  }

  /** The node's newest recorded payment index (0 when none is). */
  async newestIndex(nodeId: string): Promise<bigint> {
    const r = await this.#db
      .selectFrom('hosted_node_payments')
      .select((eb) => eb.fn.max('payment_index').as('newest'))
      .where('node_id', '=', nodeId)
      .executeTakeFirst();
    return r?.newest !== null && r?.newest !== undefined ? BigInt(r.newest) : 0n;
  }

  /**
   * Where a catch-up of the node's payments starts (exclusive): below its oldest payment still
   * in flight, else after its newest recorded one (0 when none is).
   */
  async resumeIndex(nodeId: string): Promise<bigint> {
    const r = await this.#db
      .selectFrom('hosted_node_payments')
      .select((eb) => [
        eb.fn.max('payment_index').as('newest'),
        eb.fn.min(sql<bigint>`case when status = 'in_flight' then payment_index end`).as('flying'),
      ])
      .where('node_id', '=', nodeId)
      .executeTakeFirst();
    if (r?.flying !== null && r?.flying !== undefined) return BigInt(r.flying) - 1n;
    return r?.newest !== null && r?.newest !== undefined ? BigInt(r.newest) : 0n;
  }

  /** The database's clock (to compare with the record's own timestamps). */
  async now(): Promise<Date> {
    const r = await sql<{ now: Date }>`select now() as now`.execute(this.#db);
    const now = r.rows[0]?.now;
    if (!now) throw new Error('the database did not tell the time');
    return new Date(now);
  }

  /**
   * Marks `vanished` the node's payments recorded in flight above `after`, and last written
   * before `listedFrom` (when a complete listing from `after` began), that the listing did not
   * contain (`seen`): each existed in LND before it was listed, and LND deletes only finished
   * payments, so each ended, and was deleted, while the LSP was not listening. (One recorded
   * since the listing began may simply be newer than it.) Returns their indexes.
   */
  async markVanished(
    nodeId: string,
    after: bigint,
    seen: ReadonlySet<bigint>,
    listedFrom: Date,
  ): Promise<bigint[]> {
    const flying = await this.#db
      .selectFrom('hosted_node_payments')
      .select('payment_index')
      .where('node_id', '=', nodeId)
      .where('status', '=', 'in_flight')
      .where('payment_index', '>', after)
      .where('updated_at', '<', listedFrom)
      .execute();
    const gone = flying.map((r) => BigInt(r.payment_index)).filter((i) => !seen.has(i));
    if (gone.length === 0) return [];
    await this.#db
      .updateTable('hosted_node_payments')
      .set({ status: 'vanished', updated_at: sql<Date>`now()` })
      .where('node_id', '=', nodeId)
      .where('payment_index', 'in', gone)
      .where('status', '=', 'in_flight')
      .where('updated_at', '<', listedFrom)
      .execute();
    return gone;
  }

  /** Succeeded payments not billed yet, each node's in payment-index order (at most `limit`). */
  async unbilled(limit: number): Promise<UnbilledPayment[]> {
    const rows = await this.#db
      .selectFrom('hosted_node_payments as p')
      .innerJoin('hosted_nodes as n', 'n.id', 'p.node_id')
      .select(['p.node_id', 'n.tenant_id', 'n.alias', 'p.payment_index', 'p.payment_hash'])
      .where('p.status', '=', 'succeeded')
      .where('p.billed_at', 'is', null)
      .orderBy('p.node_id')
      .orderBy('p.payment_index')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      tenantId: r.tenant_id,
      alias: r.alias,
      paymentIndex: BigInt(r.payment_index),
      paymentHash: r.payment_hash,
    }));
  }

  /** Marks a succeeded payment billed `fee`; false when it was already (or is not succeeded). */
  async markBilled(nodeId: string, paymentIndex: bigint, fee: bigint): Promise<boolean> {
    const r = await this.#db
      .updateTable('hosted_node_payments')
      .set({ billed_at: sql<Date>`now()`, billed_fee_sat: fee })
      .where('node_id', '=', nodeId)
      .where('payment_index', '=', paymentIndex)
      .where('status', '=', 'succeeded')
      .where('billed_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Every recorded payment (for the audit). */
  async all(): Promise<RecordedPayment[]> {
    const rows = await this.#db
      .selectFrom('hosted_node_payments')
      .select(['node_id', 'payment_index', 'status', 'billed_fee_sat'])
      .orderBy('node_id')
      .orderBy('payment_index')
      .execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      paymentIndex: BigInt(r.payment_index),
      status: r.status,
      billedFee: r.billed_fee_sat === null ? null : BigInt(r.billed_fee_sat),
    }));
  }
}
