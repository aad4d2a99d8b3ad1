/**
 * The audit of rebalancing: the LSP's own expense, kept out of every tenant's ledger. Each
 * rebalance made is a payment LND says succeeded, delivering the amount moved at the fee
 * recorded (the figures and /metrics sum that fee) and within its fee limit; each one refused or
 * failed is a payment LND did not make (nothing spent); and every payment hash the LSP recorded
 * as a rebalance (before sending it) is a recorded rebalance.
 */
import { parseHex32 } from '@blgv/core';
import { type Database, RebalancesRepository } from '@blgv/store';
import type { AuditSink } from './custody-checks.ts';
import type { LndSnapshot } from './lnd-snapshot.ts';

const ALL = 100_000;

/** Checks every rebalance against LND; answers what the made ones cost (msat). */
export async function auditRebalances(
  database: Database,
  lnd: Pick<LndSnapshot, 'payment'>,
  sink: AuditSink,
): Promise<bigint> {
  const rebalances = await new RebalancesRepository(database.db).list(ALL);
  let cost = 0n;
  for (const r of rebalances) {
    const subject = `rebalance:${r.id}`;
    sink.checked('rebalances');
    if (r.state === 'sending') {
      sink.inFlight('rebalances');
      continue;
    }
    if (!r.paymentHash) continue; // Refused before an invoice was made.
    const outcome = await lnd.payment(parseHex32(r.paymentHash)).catch(() => 'unanswered' as const);
    if (outcome === 'unanswered') {
      sink.inFlight('rebalances');
      continue;
    }
    if (r.state !== 'succeeded') {
      if (outcome?.status === 'succeeded')
        sink.flag(
          'rebalance_spent',
          subject,
          `recorded ${r.state}, LND paid it (${outcome.fee} msat of fees)`,
        );
      continue;
    }
    cost += r.feeMsat ?? 0n;
    if (outcome?.status !== 'succeeded') {
      sink.flag('rebalance_not_made', subject, `recorded made, LND says ${outcome?.status ?? 'never sent'}`);
      continue;
    }
    if (outcome.fee !== r.feeMsat)
      sink.flag(
        'rebalance_cost',
        subject,
        `recorded a cost of ${r.feeMsat} msat, LND paid ${outcome.fee} msat`,
      );
    if (outcome.fee > r.maxFeeMsat)
      sink.flag(
        'rebalance_fee_limit',
        subject,
        `LND paid ${outcome.fee} msat, above its limit of ${r.maxFeeMsat} msat`,
      );
    if (outcome.amount !== r.amountSat * 1000n)
      sink.flag(
        'rebalance_amount',
        subject,
        `moved ${r.amountSat} sat, LND delivered ${outcome.amount} msat`,
      );
  }
  const recorded = new Set(rebalances.map((r) => r.paymentHash));
  const own = await database.db
    .selectFrom('lsp_own_payments')
    .select('payment_hash')
    .where('purpose', '=', 'rebalance')
    .execute();
  for (const o of own)
    if (!recorded.has(o.payment_hash))
      sink.flag(
        'rebalance_unrecorded',
        `payment:${o.payment_hash}`,
        'sent as a rebalance, no rebalance records it',
      );
  return cost;
}
