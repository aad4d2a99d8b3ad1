/**
 * The business figures since the start, read from the running totals (0025) that triggers keep
 * in the transaction of every row they sum: a few small rows, whatever the history. The same
 * figures over a window are summed from the rows in it (`BusinessFiguresRepository`).
 */
import { sat } from '@blgv/core';
import { type Kysely, sql } from 'kysely';
import {
  LEDGER_REVENUE,
  ledgerRevenueKinds,
  noRevenue,
  type RevenueSource,
} from './business-figures-repository.ts';
import type { Schema } from './schema.ts';
import type { BusinessTotalName } from './tables/totals.ts';
import type { UnpaidChannelCosts } from './unpaid-channels-repository.ts';

/** The LSP's figures since the start. */
export interface BusinessTotals {
  /** Revenue by source, msat (net of refunds). */
  readonly revenue: Record<RevenueSource, bigint>;
  /** Channels sold and funded (REST and LSPS1), and LSPS2 JIT channels opened. */
  readonly channels: { readonly sold: number; readonly jitOpened: number };
  /** Rebalances that succeeded, and what they cost the LSP (msat). */
  readonly rebalancing: { readonly count: number; readonly feeMsat: bigint };
  /** Channels closed because their client never paid: their funding shares and closes (sat). */
  readonly unpaidChannels: UnpaidChannelCosts;
}

/** The `business_totals` rows that are a revenue source of their own. */
const SOURCE_TOTALS = [
  'channel_sales',
  'push_margin',
  'jit_opening_fees',
  'routing',
  'wrapped_fees',
] as const satisfies readonly (BusinessTotalName | RevenueSource)[];

/** Reads the running totals of the business figures. */
export class BusinessTotalsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Every figure since the start, in one statement (one snapshot). */
  async read(): Promise<BusinessTotals> {
    const r = await sql<{ name: string; count: string; msat: string }>`
      select name, count::text, amount_msat::text as msat from business_totals
      union all
      select kind, sum(entries)::text, (-sum(amount_sat) * 1000)::text
        from ledger_totals where kind in (${ledgerRevenueKinds()}) group by kind`.execute(this.#db);
    const revenue = noRevenue();
    const rows = new Map<string, { count: bigint; msat: bigint }>();
    for (const row of r.rows) {
      const value = { count: BigInt(row.count), msat: BigInt(row.msat) };
      const ledgerSource = (LEDGER_REVENUE as Record<string, RevenueSource>)[row.name];
      if (ledgerSource) revenue[ledgerSource] += value.msat;
      else rows.set(row.name, value);
    }
    const total = (name: BusinessTotalName) => rows.get(name) ?? { count: 0n, msat: 0n };
    for (const source of SOURCE_TOTALS) revenue[source] += total(source).msat;
    return {
      revenue,
      channels: { sold: Number(total('channel_sales').count), jitOpened: Number(total('jit_opened').count) },
      rebalancing: { count: Number(total('rebalances').count), feeMsat: total('rebalances').msat },
      unpaidChannels: {
        count: Number(total('unpaid_channels').count),
        fundingShareSat: sat(total('unpaid_channels').msat / 1000n),
        closeFeeSat: sat(total('unpaid_channel_closes').msat / 1000n),
      },
    };
  }
}
