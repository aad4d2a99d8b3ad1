/**
 * Channels a client (LSPS2) or wallet (wrapped invoices) was opened and never settled count
 * against it for a while, not forever: those that ended before the window are forgotten.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import type { Database } from './database.ts';
import { Lsps2JitChannelsRepository } from './lsps2-jit-channels-repository.ts';
import { openMigratedMemoryDatabase } from './memory-template.ts';
import { WrappedInvoicesRepository } from './wrapped-invoices-repository.ts';

let database: Database;

before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

/** A JIT channel of `client` in `state` that last moved `daysAgo` days ago. */
async function jit(client: string, state: string, daysAgo: number): Promise<void> {
  await sql`insert into lsps2_jit_channels (id, owner_kind, owner, client_pubkey, jit_scid, min_fee_msat,
      proportional, valid_until, min_lifetime, max_client_to_self_delay, min_payment_size_msat,
      max_payment_size_msat, state, updated_at)
    values (${randomUUID()}, 'node', ${client}, ${client}, ${randomUUID()}, 0, 0, now(), 0, 0, 0, 0, ${state},
      now() - make_interval(days => ${daysAgo}))`.execute(database.db);
}

/** A wrapped invoice of `wallet` failed after its commit point `daysAgo` days ago. */
async function unsettledWrapped(wallet: string, daysAgo: number): Promise<void> {
  const fee = randomUUID();
  await sql`insert into wrapped_fee_quotes (id, wallet_pubkey, amount_msat, fee_msat, fee_rate_sat_per_vbyte, expires_at)
    values (${fee}, ${wallet}, 1000, 1, 1, now())`.execute(database.db);
  await sql`insert into wrapped_invoices (id, fee_id, wallet_pubkey, payment_hash, wallet_invoice, wallet_amount_msat,
      wallet_cltv, fee_msat, wrapped_invoice, wrapped_cltv, expires_at, state, channel_capacity_sat, funding_id,
      updated_at)
    values (${randomUUID()}, ${fee}, ${wallet}, ${randomUUID()}, 'lnbcrt1w', 1000, 40, 1, 'lnbcrt1x', 120, now(),
      'failed', 100000, 'funding', now() - make_interval(days => ${daysAgo}))`.execute(database.db);
}

test("a client's channels never settled count for `withinDays` days after they ended", async () => {
  const repo = new Lsps2JitChannelsRepository(database.db);
  await jit('carol', 'withdrawn', 1);
  await jit('carol', 'withdrawn', 29);
  await jit('carol', 'withdrawn', 31);
  await jit('carol', 'completed', 1);
  await jit('dave', 'withdrawn', 1);
  assert.equal(await repo.countWithdrawn('carol', 30), 2);
  assert.equal(await repo.countWithdrawn('carol', 60), 3);
});

test("a wallet's wrapped channels never settled count the same way", async () => {
  const repo = new WrappedInvoicesRepository(database.db);
  await unsettledWrapped('erin', 2);
  await unsettledWrapped('erin', 45);
  assert.equal(await repo.countUnsettledChannels('erin', 30), 1);
  assert.equal(await repo.countUnsettledChannels('erin', 60), 2);
});
