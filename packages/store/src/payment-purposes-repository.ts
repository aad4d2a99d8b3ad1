/**
 * What the LSP knows of the payment hashes its node sends (0021): the payments it makes itself
 * (probes, checks, rebalancing), recorded before they are sent, and its tenants' payments (the
 * `payments` table). The node monitor classifies the LSP node's payments with it.
 */
import type { KnownPaymentHashes, OwnPaymentPurpose } from '@blgv/core';
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** Records the LSP's own payments and looks hashes up. */
export class PaymentPurposesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Records that the LSP itself is about to send a payment with this hash, and what for; call it
   * before sending (recording the same hash again keeps the first purpose).
   */
  async recordOwn(paymentHash: string, purpose: OwnPaymentPurpose): Promise<void> {
    await this.#db
      .insertInto('lsp_own_payments')
      .values({ payment_hash: paymentHash, purpose })
      .onConflict((oc) => oc.column('payment_hash').doNothing())
      .execute();
  }

  /**
   * Records payments the LSP sent for itself whose hashes it learnt only once they were sent (the
   * probes LND's `EstimateRouteFee` makes with hashes of its own), and classifies again the ones
   * the node monitor of `nodeId` has already stored (none of them is a tenant's payment).
   */
  async recordSent(
    nodeId: string,
    paymentHashes: readonly string[],
    purpose: OwnPaymentPurpose,
  ): Promise<void> {
    if (paymentHashes.length === 0) return;
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('lsp_own_payments')
        .values(paymentHashes.map((h) => ({ payment_hash: h, purpose })))
        .onConflict((oc) => oc.column('payment_hash').doNothing())
        .execute();
      await tx
        .updateTable('node_payments')
        .set({ purpose })
        .where('node_id', '=', nodeId)
        .where('payment_hash', 'in', [...paymentHashes])
        .execute();
    });
  }

  /**
   * Classifies again the payments of `nodeId` stored with another purpose than the one the LSP
   * recorded for their hash in the last `minutes`: a hash recorded while the monitor was storing
   * the payment (it classified before the record, {@link recordSent} updated before its row
   * existed) is set right on the monitor's next read. Returns how many it changed.
   */
  async reclassifyRecent(nodeId: string, minutes: number): Promise<number> {
    const r = await sql`
      update node_payments np set purpose = own.purpose
      from lsp_own_payments own
      where np.node_id = ${nodeId} and np.payment_hash = own.payment_hash
        and own.created_at > now() - make_interval(mins => ${minutes})
        and np.purpose <> own.purpose`.execute(this.#db);
    return Number(r.numAffectedRows ?? 0n);
  }

  /** Which of `hashes` are tenants' payments and which the LSP's own. */
  async known(hashes: readonly string[]): Promise<KnownPaymentHashes> {
    if (hashes.length === 0) return { tenant: new Set(), own: new Map() };
    const unique = [...new Set(hashes)];
    const [tenant, own] = await Promise.all([
      this.#db.selectFrom('payments').select('payment_hash').where('payment_hash', 'in', unique).execute(),
      this.#db
        .selectFrom('lsp_own_payments')
        .select(['payment_hash', 'purpose'])
        .where('payment_hash', 'in', unique)
        .execute(),
    ]);
    return {
      tenant: new Set(tenant.map((r) => r.payment_hash)),
      own: new Map(own.map((r) => [r.payment_hash, r.purpose])),
    };
  }
}
