/**
 * The operator's business figures over a window, summed from the window's rows of the ledger,
 * the records of each service, the event log and what the node monitor stored (each read through
 * an index on its time, 0025): revenue by source per day, channels sold, JIT channels opened and
 * how long their first payment waited, and orders still open by state. The same figures since
 * the start are running totals (`BusinessTotalsRepository`); summed from the start here they are
 * what the audit checks those against.
 */
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { LedgerKind } from './tables/ledger.ts';

/** Where the LSP's revenue comes from. */
export const REVENUE_SOURCES = [
  'channel_sales',
  'push_margin',
  'jit_opening_fees',
  'reservations',
  'utilization',
  'routing',
  'hosting',
  'wrapped_fees',
] as const;

/** One source of revenue. */
export type RevenueSource = (typeof REVENUE_SOURCES)[number];

/**
 * The ledger's entries that are revenue, and their source: charges (negative entries) net of
 * their refunds, so revenue is the entries' negated sum.
 */
export const LEDGER_REVENUE = {
  reservation_fee: 'reservations',
  reservation_purchase_fee: 'reservations',
  reservation_refund: 'reservations',
  utilization_fee: 'utilization',
  utilization_fee_refund: 'utilization',
  hosting_monthly_fee: 'hosting',
  hosting_transaction_fee: 'hosting',
  hosting_fee_refund: 'hosting',
} as const satisfies Partial<Record<LedgerKind, RevenueSource>>;

/** The kinds of {@link LEDGER_REVENUE} as SQL literals (a partial index matches them). */
export function ledgerRevenueKinds() {
  return sql.join(Object.keys(LEDGER_REVENUE).map((k) => sql.lit(k)));
}

/** Every source at zero msat. */
export function noRevenue(): Record<RevenueSource, bigint> {
  return Object.fromEntries(REVENUE_SOURCES.map((s) => [s, 0n])) as Record<RevenueSource, bigint>;
}

/** Revenue rows summed by source (msat). */
export function sumBySource(
  rows: readonly { readonly source: RevenueSource; readonly amountMsat: bigint }[],
) {
  const sums = noRevenue();
  for (const r of rows) sums[r.source] += r.amountMsat;
  return sums;
}

/** Revenue of one source on one UTC day, in msat. */
export interface RevenueDay {
  /** `YYYY-MM-DD`. */
  readonly day: string;
  readonly source: RevenueSource;
  readonly amountMsat: bigint;
}

/** How long JIT channels' first payments waited, intercept to forward. */
export interface JitLatency {
  readonly count: number;
  readonly medianMs: number | undefined;
  readonly p95Ms: number | undefined;
  readonly maxMs: number | undefined;
}

/** Records still in progress, by kind and state. */
export interface OpenOrders {
  readonly kind: 'channel_request' | 'lsps1_order' | 'jit_channel' | 'reservation';
  readonly state: string;
  readonly count: number;
}

/** Reads the business figures. */
export class BusinessFiguresRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Revenue per source per UTC day since `from`. Channel sales count opening fees of channels
   * that were funded (REST and LSPS1); the push margin is what was charged for pushes less what
   * was pushed (zero while pushes are sold at cost); JIT fees count completed JIT channels; the
   * ledger's reservation, utilization and hosting charges count net of their refunds; routing
   * is what the LSP's own node earned forwarding (`routingNodeId`'s stored forwards) less the
   * JIT opening fees, which LND logs as the fees of the JIT forwards. JIT fees count on the day
   * the channel completed (its forward).
   */
  async revenuePerDay(from: Date, routingNodeId: string): Promise<RevenueDay[]> {
    const day = (column: string) =>
      sql.raw(`to_char(date_trunc('day', ${column} at time zone 'UTC'), 'YYYY-MM-DD')`);
    const r = await sql<{ day: string; source: RevenueSource; amount: string }>`
      with rows as (
        select ${day('created_at')} as day, 'channel_sales' as source, fee_sat * 1000 as msat
          from channel_requests where state in ('pending', 'open', 'closed') and created_at >= ${from}
        union all
        -- An LSPS1 order's fee_total includes the network fee, which goes to the miners.
        select ${day('created_at')}, 'channel_sales', (fee_total_sat - network_fee_sat) * 1000
          from lsps1_orders where funded_at is not null and created_at >= ${from}
        union all
        select ${day('r.created_at')}, 'push_margin',
               (coalesce((select -sum(e.amount_sat) from ledger_entries e
                          where e.kind = 'channel_push' and e.reference = r.id::text), 0) - r.push_sat) * 1000
          from channel_requests r where r.state in ('pending', 'open', 'closed') and r.created_at >= ${from}
        union all
        select ${day('updated_at')}, 'jit_opening_fees', fee_msat
          from lsps2_jit_channels where state = 'completed' and fee_msat is not null and updated_at >= ${from}
        union all
        select ${day('updated_at')}, 'wrapped_fees', fee_msat
          from wrapped_invoices where state = 'completed' and updated_at >= ${from}
        union all
        -- LND logs a JIT forward (out on the new channel) with the opening fee as its fee: counted
        -- above, so taken out of routing, as far as the monitor has stored that forward yet.
        select ${day('j.updated_at')}, 'routing',
               -least(j.fee_msat, coalesce((select sum(f.fee_msat) from node_forwards f
                                            where f.node_id = ${routingNodeId} and f.chan_out = j.channel_scid), 0))
          from lsps2_jit_channels j
          where j.state = 'completed' and j.fee_msat is not null and j.updated_at >= ${from}
        union all
        select ${day('created_at')},
               case ${sql.join(
                 Object.entries(LEDGER_REVENUE).map(
                   ([k, v]) => sql`when kind = ${sql.lit(k)} then ${sql.lit(v)}`,
                 ),
                 sql` `,
               )} end,
               -amount_sat * 1000
          from ledger_entries
          where kind in (${ledgerRevenueKinds()}) and created_at >= ${from}
        union all
        select ${day('at')}, 'routing', fee_msat
          from node_forwards where node_id = ${routingNodeId} and at >= ${from}
      )
      select day, source, sum(msat)::text as amount from rows group by day, source order by day, source`.execute(
      this.#db,
    );
    return r.rows.map((row) => ({ day: row.day, source: row.source, amountMsat: BigInt(row.amount) }));
  }

  /** Channels sold (REST and LSPS1, funded) and JIT channels opened since `from`. */
  async channelCounts(from: Date): Promise<{ sold: number; jitOpened: number }> {
    const r = await sql<{ sold: string; jit: string }>`select
      ((select count(*) from channel_requests where state in ('pending', 'open', 'closed') and created_at >= ${from})
       + (select count(*) from lsps1_orders where funded_at is not null and created_at >= ${from}))::text as sold,
      (select count(*) from lsps2_jit_channels
        where state in ('forwarding', 'releasing', 'completed') and created_at >= ${from})::text as jit`.execute(
      this.#db,
    );
    const row = r.rows[0];
    return { sold: Number(row?.sold ?? 0), jitOpened: Number(row?.jit ?? 0) };
  }

  /**
   * JIT first-payment latency of channels completed since `from`: from the event that saw the
   * payment arrive (`opening`) to the one that saw it forwarded (`completed`).
   */
  async jitLatency(from: Date): Promise<JitLatency> {
    // From the last `opening` before it (an open that failed goes back to waiting, then opens
    // again: the earlier attempt is not the first payment's wait).
    const r = await sql<{ ms: string }>`
      select (extract(epoch from (done.at - (
                select max(arrived.at) from events arrived
                where arrived.subject_kind = 'jit_channel' and arrived.subject_id = done.subject_id
                  and arrived.state = 'opening' and arrived.at <= done.at))) * 1000)::bigint::text as ms
      from events done
      where done.subject_kind = 'jit_channel' and done.state = 'completed' and done.at >= ${from}`.execute(
      this.#db,
    );
    const ms = r.rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
    const at = (q: number) =>
      ms.length === 0 ? undefined : ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)];
    return { count: ms.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: ms.at(-1) };
  }

  /** Orders, channels and reservations not yet in a final state, counted by state. */
  async openOrders(): Promise<OpenOrders[]> {
    const r = await sql<{ kind: OpenOrders['kind']; state: string; count: string }>`
      select 'channel_request' as kind, state, count(*)::text as count from channel_requests
        where state in ('queued', 'opening', 'publishing', 'pending') group by state
      union all
      select 'lsps1_order', state, count(*)::text from lsps1_orders
        where state not in ('completed', 'failed', 'expired') group by state
      union all
      select 'jit_channel', state, count(*)::text from lsps2_jit_channels
        where state not in ('completed', 'failed', 'expired') group by state
      union all
      select 'reservation', state, count(*)::text from liquidity_reservations
        where state = 'active' and expires_at > now() group by state
      order by 1, 2`.execute(this.#db);
    return r.rows.map((row) => ({ kind: row.kind, state: row.state, count: Number(row.count) }));
  }
}
