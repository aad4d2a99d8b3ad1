/**
 * The audit's check of the running totals (0025, 0030): every total against a full re-sum of the rows
 * it counts, read in one snapshot (a write committing meanwhile moves both or neither).
 */
import { type Kysely, sql } from 'kysely';
import { BusinessFiguresRepository, REVENUE_SOURCES } from './business-figures-repository.ts';
import { BusinessTotalsRepository } from './business-totals-repository.ts';
import { RebalancesRepository } from './rebalances-repository.ts';
import type { Schema } from './schema.ts';
import { UnpaidChannelsRepository } from './unpaid-channels-repository.ts';

/** A running total that differs from what the history it counts sums to. */
export interface TotalMismatch {
  /**
   * Which total: `ledger:<tenant>/<kind>`, `forwards:<node>/<in>/<out>`, `reserved:<tenant>`,
   * `revenue:<source>`, …
   */
  readonly total: string;
  readonly kept: string;
  readonly summed: string;
}

/** Every running total that is not the sum of its rows (none, unless something bypassed them). */
export async function runningTotalsMismatches(db: Kysely<Schema>): Promise<TotalMismatch[]> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => [...(await keyedMismatches(trx)), ...(await businessMismatches(trx))]);
}

/** The totals kept per key (ledger, forwards, payments, reservations), joined with their re-sums. */
async function keyedMismatches(db: Kysely<Schema>): Promise<TotalMismatch[]> {
  const r = await sql<TotalMismatch>`
    select 'ledger:' || tenant_id || '/' || kind as total,
           coalesce(t.entries, 0) || ' entries, ' || coalesce(t.amount_sat, 0) || ' sat' as kept,
           coalesce(s.entries, 0) || ' entries, ' || coalesce(s.amount_sat, 0) || ' sat' as summed
    from ledger_totals t
    full join (select tenant_id, kind, count(*) as entries, sum(amount_sat) as amount_sat
               from ledger_entries group by 1, 2) s using (tenant_id, kind)
    where coalesce(t.entries, 0) <> coalesce(s.entries, 0) or coalesce(t.amount_sat, 0) <> coalesce(s.amount_sat, 0)
    union all
    select 'forwards:' || node_id || '/' || chan_in || '/' || chan_out,
           coalesce(t.forwards, 0) || ' forwards, ' || coalesce(t.amt_out_msat, 0) || ' msat out, '
             || coalesce(t.fee_msat, 0) || ' msat fees',
           coalesce(s.forwards, 0) || ' forwards, ' || coalesce(s.amt_out_msat, 0) || ' msat out, '
             || coalesce(s.fee_msat, 0) || ' msat fees'
    from forward_totals t
    full join (select node_id, chan_in, chan_out, count(*) as forwards, sum(amt_out_msat) as amt_out_msat,
                      sum(fee_msat) as fee_msat
               from node_forwards group by 1, 2, 3) s using (node_id, chan_in, chan_out)
    where coalesce(t.forwards, 0) <> coalesce(s.forwards, 0)
       or coalesce(t.amt_out_msat, 0) <> coalesce(s.amt_out_msat, 0)
       or coalesce(t.fee_msat, 0) <> coalesce(s.fee_msat, 0)
    union all
    select 'payments:' || node_id || '/' || purpose || '/' || status,
           coalesce(t.payments, 0)::text, coalesce(s.payments, 0)::text
    from payment_totals t
    full join (select node_id, purpose, status, count(*) as payments from node_payments
               where status in ('succeeded', 'failed') group by 1, 2, 3) s using (node_id, purpose, status)
    where coalesce(t.payments, 0) <> coalesce(s.payments, 0)
    union all
    select 'reserved:' || tenant_id, coalesce(t.reserved_sat, 0) || ' sat', coalesce(s.reserved_sat, 0) || ' sat'
    from reservation_totals t
    full join (select tenant_id, sum(amount_sat - used_sat) as reserved_sat from liquidity_reservations
               where state = 'active' group by 1) s using (tenant_id)
    where coalesce(t.reserved_sat, 0) <> coalesce(s.reserved_sat, 0)`.execute(db);
  return r.rows;
}

/** The LSP's figures since the start against the business figures summed from the start. */
async function businessMismatches(db: Kysely<Schema>): Promise<TotalMismatch[]> {
  const figures = new BusinessFiguresRepository(db);
  const [kept, revenue, channels, costs, unpaid] = await Promise.all([
    new BusinessTotalsRepository(db).read(),
    figures.revenuePerDay(new Date(0), 'lsp'),
    figures.channelCounts(new Date(0)),
    new RebalancesRepository(db).costs(),
    new UnpaidChannelsRepository(db).costs(),
  ]);
  const summed = new Map<string, bigint>(REVENUE_SOURCES.map((s) => [`revenue:${s}`, 0n]));
  for (const r of revenue)
    summed.set(`revenue:${r.source}`, (summed.get(`revenue:${r.source}`) ?? 0n) + r.amountMsat);
  summed.set('channels:sold', BigInt(channels.sold));
  summed.set('channels:jit_opened', BigInt(channels.jitOpened));
  summed.set('rebalances:count', BigInt(costs.count));
  summed.set('rebalances:fee_msat', costs.feeMsat);
  summed.set('unpaid_channels:count', BigInt(unpaid.count));
  summed.set('unpaid_channels:funding_share_sat', unpaid.fundingShareSat);
  summed.set('unpaid_channels:close_fee_sat', unpaid.closeFeeSat);
  const values = new Map<string, bigint>([
    ...REVENUE_SOURCES.map((s) => [`revenue:${s}`, kept.revenue[s]] as const),
    ['channels:sold', BigInt(kept.channels.sold)],
    ['channels:jit_opened', BigInt(kept.channels.jitOpened)],
    ['rebalances:count', BigInt(kept.rebalancing.count)],
    ['rebalances:fee_msat', kept.rebalancing.feeMsat],
    ['unpaid_channels:count', BigInt(kept.unpaidChannels.count)],
    ['unpaid_channels:funding_share_sat', kept.unpaidChannels.fundingShareSat],
    ['unpaid_channels:close_fee_sat', kept.unpaidChannels.closeFeeSat],
  ]);
  return [...values]
    .filter(([total, value]) => summed.get(total) !== value)
    .map(([total, value]) => ({ total, kept: value.toString(), summed: String(summed.get(total)) }));
}
