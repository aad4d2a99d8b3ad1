/**
 * A wrapped invoice left `paying` (a restart, a failed effect) whose wallet was not paid yet: the
 * runner pays it only while the payer's HTLCs are held long enough to be settled after it;
 * otherwise nothing is sent and the payer's payment is given back (`pay_failed`). Against a real
 * store (PGlite) and a small fake of LND.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FeeSchedule } from '@blgv/core';
import { type Database, openMigratedMemoryDatabase, sql, WrappedInvoicesRepository } from '@blgv/store';
import pino from 'pino';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { WrappedRunner, type WrappedRunnerLightning } from './wrapped-runner.ts';

/** The wallet invoice's final CLTV delta. */
const WALLET_CLTV = 40;
const HEIGHT = 1_000;

let database: Database;
before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

/** A wrapped invoice `paying` (or in `state`) over a channel the wallet had; its payment hash. */
async function paying(state = 'paying'): Promise<{ id: string; hash: string }> {
  const id = randomUUID();
  const fee = randomUUID();
  const hash = randomBytes(32).toString('hex');
  await sql`insert into wrapped_fee_quotes (id, wallet_pubkey, amount_msat, fee_msat, fee_rate_sat_per_vbyte, expires_at)
    values (${fee}, 'w', 1000, 1, 1, now())`.execute(database.db);
  await sql`insert into wrapped_invoices (id, fee_id, wallet_pubkey, payment_hash, wallet_invoice, wallet_amount_msat,
      wallet_cltv, fee_msat, wrapped_invoice, wrapped_cltv, expires_at, state, channel_scid)
    values (${id}, ${fee}, ${`02${'11'.repeat(32)}`}, ${hash}, 'lnbcrt1w', 1000, ${WALLET_CLTV}, 1, 'lnbcrt1x',
      ${WALLET_CLTV + 80}, now() + interval '1 hour', ${state}, ${String(16_000_001n << 40n)})`.execute(
    database.db,
  );
  return { id, hash };
}

/**
 * Runs a runner over the stored invoices, the payer's HTLC for `hash` held and expiring
 * `expiresIn` blocks from now (every other invoice's hold is cancelled already).
 */
async function resumeWith(expiresIn: number, { id, hash }: { id: string; hash: string }) {
  const calls: string[] = [];
  const lightning = {
    trackPayment: async () => undefined,
    lookupInvoice: async (h: string) =>
      (h === hash
        ? { state: 'accepted', htlcs: [{ state: 'accepted', expiryHeight: HEIGHT + expiresIn }] }
        : { state: 'canceled', htlcs: [] }) as never,
    getInfo: async () => ({ blockHeight: HEIGHT }),
    cancelInvoice: async (h: string) => {
      if (h === hash) calls.push('cancel_hold'); // (the earlier stories' invoices are the runner's too)
    },
    payOverChannel: async () => {
      calls.push('pay_wallet');
      throw new Error('no wallet here');
    },
    listChannels: async () => [],
  } as unknown as WrappedRunnerLightning;
  const runner = new WrappedRunner({
    database,
    lightning,
    funder: {} as ChannelFunder,
    schedule: {} as FeeSchedule,
    limits: {
      batches: { windowMs: 0, maxChannels: 1, maxWaitMs: 0, withheld: false },
      minChannelSize: 20_000,
      maxChannelSize: 1_000_000,
      maxClientToSelfDelay: 2016,
      openTimeoutSeconds: 1,
      payTimeoutSeconds: 1,
      minFeeRate: 1,
      maxFeeRate: 100,
    } as never,
    log: pino({ level: 'silent' }),
  });
  const stop = new AbortController();
  const running = runner.run(stop.signal);
  const deadline = Date.now() + 10_000;
  while (calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await running;
  return { calls, state: (await new WrappedInvoicesRepository(database.db).get(id))?.state };
}

test("the payer's HTLCs expiring too soon to settle after the wallet: nothing is sent, the payment is given back", async () => {
  const stored = await paying();
  // 40 blocks for the wallet's HTLC, 21 kept: 61 are not enough.
  const { calls, state } = await resumeWith(WALLET_CLTV + 21, stored);
  assert.equal(state, 'failed');
  assert.deepEqual(calls, ['cancel_hold'], 'the wallet is not paid; the held payment is cancelled');
});

test('held long enough: the wallet is paid as before', async () => {
  const stored = await paying();
  const { calls } = await resumeWith(WALLET_CLTV + 80, stored);
  assert.equal(calls[0], 'pay_wallet');
});

test('a failed invoice whose payment a crash left held (its effects cut short) has its hold cancelled by the runner', async () => {
  const stored = await paying('failed');
  const { calls, state } = await resumeWith(WALLET_CLTV + 80, stored);
  assert.equal(state, 'failed');
  assert.deepEqual(calls, ['cancel_hold'], 'cancelled, and nothing paid');
});
