/**
 * What is promised to opens not yet published, on PGlite: a JIT channel being opened and a
 * wrapped invoice's withheld funding count; one still negotiated (no capacity recorded yet),
 * one over the wallet's own channel (no funding) and ended ones do not.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import type { Database } from './database.ts';
import { openMigratedMemoryDatabase } from './memory-template.ts';
import { committedToOpens } from './open-commitments.ts';

let database: Database;

before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

/** A wrapped invoice in `state`, of a channel of `capacity` (sat) funded by `fundingId`. */
async function wrapped(state: string, capacity: bigint | null, fundingId: string | null): Promise<void> {
  const fee = randomUUID();
  await sql`insert into wrapped_fee_quotes (id, wallet_pubkey, amount_msat, fee_msat, fee_rate_sat_per_vbyte, expires_at)
    values (${fee}, 'wallet', 1000, 1, 1, now() + interval '1 hour')`.execute(database.db);
  await sql`insert into wrapped_invoices (id, fee_id, wallet_pubkey, payment_hash, wallet_invoice, wallet_amount_msat,
      wallet_cltv, fee_msat, wrapped_invoice, wrapped_cltv, expires_at, state, channel_capacity_sat, funding_id)
    values (${randomUUID()}, ${fee}, 'wallet', ${randomUUID()}, 'lnbcrt1w', 1000, 40, 1, 'lnbcrt1x', 120,
      now() + interval '1 hour', ${state}, ${capacity}, ${fundingId})`.execute(database.db);
}

test("a wrapped invoice's withheld funding is promised from its commit point until it is published", async () => {
  assert.equal(await committedToOpens(database.db), 0n);
  await wrapped('paying', 300_000n, 'funding-1');
  await wrapped('settling', 200_000n, 'funding-2');
  await wrapped('opening', null, null);
  await wrapped('paying', null, null); // over the wallet's own channel: nothing to fund
  await wrapped('completed', 400_000n, 'funding-3');
  await wrapped('failed', 500_000n, 'funding-4');
  assert.equal(await committedToOpens(database.db), 500_000n);
});
