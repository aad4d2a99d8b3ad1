/**
 * Payments tenants send through the LSP node: one row per payment hash, `pending` until the
 * node reports the outcome. A failed payment may be attempted again under a new attempt
 * number; `finish` moves only the attempt it names, so an outcome is never recorded twice.
 */
import { type HtlcAttempt, type Msat, msat, type Sat, sat } from '@blgv/core';
import type { Kysely, Selectable } from 'kysely';
import { type Page, type PageRequest, readPage } from './keyset-page.ts';
import { attemptsFromJson, attemptsToJson } from './payment-attempts-json.ts';
import type { Schema } from './schema.ts';
import type { PaymentStatus, PaymentsTable } from './tables/payments.ts';

/** A payment as stored. */
export interface Payment {
  readonly paymentHash: string;
  readonly tenantId: string;
  readonly attempt: number;
  /**
   * Which try of this attempt is being sent (one part first, then split): an outcome is
   * recorded only for the try it was read for.
   */
  readonly sendTry: number;
  readonly paymentRequest: string;
  readonly destination: string;
  readonly amountMsat: Msat;
  readonly reservationId: string | null;
  /** Liquidity this attempt took from its reservation. */
  readonly reserved: Sat;
  /** Outbound liquidity this attempt may take while in flight. */
  readonly liquidity: Sat;
  readonly feeLimitMsat: Msat;
  /** Charged: the amount (sat, rounded up), the routing fee and the utilization fee. */
  readonly amount: Sat;
  readonly routingFee: Sat;
  readonly utilizationFee: Sat;
  readonly status: PaymentStatus;
  readonly failure: string | null;
  /** What the node paid the network (once it succeeded). */
  readonly networkFeeMsat: Msat | null;
  readonly htlcCount: number | null;
  readonly preimage: string | null;
  /**
   * Every HTLC attempt the node made for this attempt of the payment, in the order tried:
   * the routes taken (hops, fees) and where the failed ones failed. Null until it ends.
   */
  readonly htlcAttempts: readonly HtlcAttempt[] | null;
  /** When the invoice expires. */
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The fields of a new attempt. */
export type PaymentAttempt = Omit<
  Payment,
  | 'attempt'
  | 'sendTry'
  | 'status'
  | 'failure'
  | 'networkFeeMsat'
  | 'htlcCount'
  | 'preimage'
  | 'htlcAttempts'
  | 'createdAt'
  | 'updatedAt'
>;

/** The final outcome of an attempt. */
export type PaymentOutcome =
  | {
      readonly status: 'succeeded';
      readonly networkFeeMsat: Msat;
      readonly htlcCount: number;
      readonly preimage: string;
      readonly htlcAttempts?: readonly HtlcAttempt[];
    }
  | {
      readonly status: 'failed';
      readonly failure: string;
      readonly htlcCount: number;
      readonly htlcAttempts?: readonly HtlcAttempt[];
    };

/** Reads and writes payments. Pass a transaction to combine writes. */
export class PaymentsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** A payment by hash; `lock` locks its row until the transaction ends. */
  async get(paymentHash: string, options: { lock?: boolean } = {}): Promise<Payment | undefined> {
    let q = this.#db.selectFrom('payments').selectAll().where('payment_hash', '=', paymentHash);
    if (options.lock) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && toPayment(row);
  }

  /** A page of one tenant's payments, newest (first attempted last) first. */
  /**
   * The utilization fees charged to the payments made with a reservation and not failed (a
   * failed one's was refunded with it).
   */
  async utilizationCharged(reservationId: string): Promise<Sat> {
    const row = await this.#db
      .selectFrom('payments')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('utilization_fee_sat'), eb.lit(0)).as('charged'))
      .where('reservation_id', '=', reservationId)
      .where('status', '!=', 'failed')
      .executeTakeFirstOrThrow();
    return sat(BigInt(row.charged));
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<Payment>> {
    const q = this.#db.selectFrom('payments').selectAll().where('tenant_id', '=', tenantId);
    return readPage(q, 'seq', page, toPayment);
  }

  /** Records the first attempt of a payment. */
  async insert(p: PaymentAttempt): Promise<Payment> {
    const row = await this.#db
      .insertInto('payments')
      .values({ ...columns(p), attempt: 1, status: 'pending' })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPayment(row);
  }

  /** Starts attempt `attempt` of a payment whose previous attempt failed. */
  async retry(p: PaymentAttempt, attempt: number): Promise<Payment> {
    const row = await this.#db
      .updateTable('payments')
      .set({
        ...columns(p),
        attempt,
        send_try: 1,
        status: 'pending',
        failure: null,
        network_fee_msat: null,
        htlc_count: null,
        preimage: null,
        htlc_attempts: null,
        updated_at: new Date(),
      })
      .where('payment_hash', '=', p.paymentHash)
      .where('status', '=', 'failed')
      .where('attempt', '=', attempt - 1)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPayment(row);
  }

  /**
   * Claims the next try of a pending attempt (`sendTry` + 1) before it is sent; false when the
   * attempt is no longer pending at that try (another replica recorded its outcome, or claimed
   * the try first): then it must not be sent.
   */
  async claimNextTry(paymentHash: string, attempt: number, sendTry: number): Promise<boolean> {
    const r = await this.#db
      .updateTable('payments')
      .set({ send_try: sendTry + 1, updated_at: new Date() })
      .where('payment_hash', '=', paymentHash)
      .where('attempt', '=', attempt)
      .where('send_try', '=', sendTry)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Records the outcome of a pending attempt, of the try `sendTry` when given; undefined when it
   * was not pending (at that try) any more.
   */
  async finish(
    paymentHash: string,
    attempt: number,
    outcome: PaymentOutcome,
    sendTry?: number,
  ): Promise<Payment | undefined> {
    const row = await this.#db
      .updateTable('payments')
      .set({
        status: outcome.status,
        htlc_count: outcome.htlcCount,
        ...(outcome.htlcAttempts ? { htlc_attempts: attemptsToJson(outcome.htlcAttempts) } : {}),
        updated_at: new Date(),
        ...(outcome.status === 'succeeded'
          ? { network_fee_msat: outcome.networkFeeMsat, preimage: outcome.preimage }
          : { failure: outcome.failure }),
      })
      .where('payment_hash', '=', paymentHash)
      .where('attempt', '=', attempt)
      .where('status', '=', 'pending')
      .$if(sendTry !== undefined, (q) => q.where('send_try', '=', sendTry ?? 1))
      .returningAll()
      .executeTakeFirst();
    return row && toPayment(row);
  }

  /** Every payment, oldest first (for the audit). */
  async all(): Promise<Payment[]> {
    const rows = await this.#db.selectFrom('payments').selectAll().orderBy('created_at').execute();
    return rows.map(toPayment);
  }

  /** Every payment still pending (to resolve after a restart). */
  async pending(): Promise<Payment[]> {
    return (await this.#db.selectFrom('payments').selectAll().where('status', '=', 'pending').execute()).map(
      toPayment,
    );
  }
}

function columns(p: PaymentAttempt) {
  return {
    payment_hash: p.paymentHash,
    tenant_id: p.tenantId,
    payment_request: p.paymentRequest,
    destination: p.destination,
    amount_msat: p.amountMsat,
    reservation_id: p.reservationId,
    reserved_sat: p.reserved,
    liquidity_sat: p.liquidity,
    fee_limit_msat: p.feeLimitMsat,
    amount_sat: p.amount,
    routing_fee_sat: p.routingFee,
    utilization_fee_sat: p.utilizationFee,
    expires_at: p.expiresAt,
  };
}

function toPayment(r: Selectable<PaymentsTable>): Payment {
  return {
    paymentHash: r.payment_hash,
    tenantId: r.tenant_id,
    attempt: r.attempt,
    sendTry: r.send_try ?? 1,
    paymentRequest: r.payment_request,
    destination: r.destination,
    amountMsat: msat(r.amount_msat),
    reservationId: r.reservation_id,
    reserved: sat(r.reserved_sat),
    liquidity: sat(r.liquidity_sat),
    feeLimitMsat: msat(r.fee_limit_msat),
    amount: sat(r.amount_sat),
    routingFee: sat(r.routing_fee_sat),
    utilizationFee: sat(r.utilization_fee_sat),
    status: r.status,
    failure: r.failure,
    networkFeeMsat: r.network_fee_msat === null ? null : msat(r.network_fee_msat),
    htlcCount: r.htlc_count,
    preimage: r.preimage,
    // Absent on a database before 0019 (a row read while migrating).
    htlcAttempts: r.htlc_attempts == null ? null : attemptsFromJson(r.htlc_attempts),
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
