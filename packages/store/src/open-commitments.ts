/**
 * On-chain funds promised to channel opens that are not published yet, read from the openers'
 * own states (REST channel requests, LSPS1 orders, JIT channels, wrapped invoices' withheld
 * fundings), so every replica sees the same figure and two replicas never sell the same coins
 * twice. A wrapped invoice's channel counts from its commit point (its capacity is recorded
 * there), not while it is negotiated.
 */
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** Lock key serialising "check the wallet, then promise funds" across replicas. */
const OPEN_COMMITMENTS_LOCK_ID = 0x6f70656e73n; // "opens"

/**
 * Holds, until the surrounding transaction ends, the lock under which a new open checks the
 * wallet against {@link committedToOpens} and records itself.
 */
export async function lockOpenCommitments(trx: Kysely<Schema>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${OPEN_COMMITMENTS_LOCK_ID})`.execute(trx);
}

/** Sats of channels that will be (or are being) funded but whose transaction is not published. */
export async function committedToOpens(db: Kysely<Schema>): Promise<bigint> {
  const r = await sql<{ total: bigint | null }>`
    select
      coalesce((select sum(capacity_sat) from channel_requests
                where state in ('queued', 'opening', 'publishing')), 0)
      + coalesce((select sum(lsp_balance_sat + client_balance_sat) from lsps1_orders
                  where state in ('payment_held', 'opening', 'publishing')), 0)
      + coalesce((select sum(channel_capacity_sat) from lsps2_jit_channels
                  where state in ('opening', 'publishing', 'withheld', 'awaiting_preimage',
                                  'releasing')), 0)
      + coalesce((select sum(channel_capacity_sat) from wrapped_invoices
                  where state in ('paying', 'settling') and funding_id is not null), 0) as total`.execute(db);
  return BigInt(r.rows[0]?.total ?? 0n);
}
