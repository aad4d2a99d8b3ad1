/**
 * Wrapped invoices as members of a shared withheld funding, read from their records: a wallet
 * that never settled keeps the funding for another still paying, has its channel closed once
 * another settled, and is found again after a restart when its batch went out.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Channel, type CloseChannelRequest, parseHex32 } from '@blgv/core';
import {
  type Database,
  openMigratedMemoryDatabase,
  sql,
  UnpaidChannelsRepository,
  WrappedInvoicesRepository,
} from '@blgv/store';
import pino from 'pino';
import { WithheldBatch } from '../funding/withheld-batch.ts';
import { wrappedFundingOwner, wrappedMember, wrappedMembers } from './wrapped-funding.ts';

let database: Database;
before(async () => {
  database = await openMigratedMemoryDatabase();
});
/** The withheld batches' own work (closes waited on) ends with the tests. */
const stopped = new AbortController();
after(() => {
  stopped.abort();
  return database?.close();
});

let batches = 0;

/** A funding (in `funding` state) and a wrapped invoice per state given, output i each. */
async function batch(states: readonly string[], funding: string): Promise<{ ids: string[]; txid: string }> {
  const fundingId = randomUUID();
  const TXID = parseHex32((++batches).toString(16).padStart(64, '0'));
  const ids = states.map(() => randomUUID());
  const channels = ids.map((id) => ({ owner: wrappedFundingOwner(id), amountSat: '100000' }));
  await sql`insert into channel_fundings (id, state, fee_rate_sat_per_vbyte, lock_id, channels, txid, fee_sat)
    values (${fundingId}, ${funding}, 2, ${'ab'.repeat(32)}, ${JSON.stringify(channels)}, ${TXID}, 300)`.execute(
    database.db,
  );
  for (const [i, state] of states.entries()) {
    const fee = randomUUID();
    await sql`insert into wrapped_fee_quotes (id, wallet_pubkey, amount_msat, fee_msat, fee_rate_sat_per_vbyte, expires_at)
      values (${fee}, 'w', 1000, 1, 1, now())`.execute(database.db);
    await sql`insert into wrapped_invoices (id, fee_id, wallet_pubkey, payment_hash, wallet_invoice, wallet_amount_msat,
        wallet_cltv, fee_msat, wrapped_invoice, wrapped_cltv, expires_at, state, channel_capacity_sat, funding_id,
        funding_txid, funding_output_index)
      values (${ids[i]}, ${fee}, ${`02${'11'.repeat(32)}`}, ${randomUUID()}, 'lnbcrt1w', 1000, 40, 1, 'lnbcrt1x', 120, now(),
        ${state}, 100000, ${fundingId}, ${TXID}, ${i})`.execute(database.db);
  }
  return { ids, txid: TXID };
}

/** A funder that withdraws, and a node whose channels are those of batch `txid`. */
function fakes(TXID: string, closed: readonly number[] = []) {
  const calls: string[] = [];
  const open = new Set([0, 1, 2].filter((i) => !closed.includes(i)).map((i) => `${TXID}:${i}`));
  const withheld = new WithheldBatch({
    members: wrappedMembers(database),
    unpaid: new UnpaidChannelsRepository(database.db),
    funder: {
      async withdraw() {
        calls.push('withdraw');
        return true;
      },
      async published() {},
    },
    lightning: {
      async listOnchainTransactions() {
        return [];
      },
      async closedChannels() {
        return [];
      },
      async listChannels() {
        return [...open].map((p) => {
          const [txid, index] = p.split(':');
          return { channelPoint: { txid, outputIndex: Number(index) } } as unknown as Channel;
        });
      },
      async closeChannel(r: CloseChannelRequest) {
        calls.push(`close ${r.channelPoint.outputIndex}`);
        open.delete(`${r.channelPoint.txid}:${r.channelPoint.outputIndex}`);
        return { closingTxid: parseHex32('ef'.repeat(32)) };
      },
    },
    log: pino({ level: 'silent' }),
    signal: () => stopped.signal,
  });
  return { withheld, calls };
}

const member = async (id: string) => {
  const w = await new WrappedInvoicesRepository(database.db).get(id);
  assert.ok(w);
  return wrappedMember(w);
};

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a wallet that never settled keeps the funding for another still paying; once another settled, its channel is closed', async () => {
  const first = await batch(['failed', 'paying'], 'withheld');
  const kept = fakes(first.txid);
  await kept.withheld.withdraw(await member(first.ids[0] as string), 'never settled');
  assert.deepEqual(kept.calls, [], 'kept withheld for the wallet still paying');

  const second = await batch(['failed', 'settling'], 'publishing');
  const closed = fakes(second.txid);
  await closed.withheld.withdraw(await member(second.ids[0] as string), 'never settled');
  await until(() => closed.calls.length > 0, 'the close');
  assert.deepEqual(closed.calls, ['close 0']);
});

test('after a restart, a failed wallet whose batch went out is found and its channel closed', async () => {
  const gone = await batch(['completed', 'completed', 'failed'], 'published');
  const { withheld, calls } = fakes(gone.txid);
  const unpaid = new UnpaidChannelsRepository(database.db);
  const before = await unpaid.costs();
  await withheld.recover();
  await until(() => calls.length > 0, 'the close');
  assert.deepEqual(calls, ['close 2']);
  const deadline = Date.now() + 10_000;
  while ((await unpaid.costs()).count === before.count) {
    if (Date.now() > deadline) assert.fail('the unpaid channel was never recorded');
    await new Promise((r) => setTimeout(r, 5));
  }
  const after = await unpaid.costs();
  assert.deepEqual(
    { count: after.count - before.count, share: after.fundingShareSat - before.fundingShareSat },
    { count: 1, share: 100n },
    "the LSP's expense: its share of the funding, 300 sat over 3 channels",
  );
});

test('after a restart, a failed wallet whose channel is closed already but not on record is recorded, not closed again', async () => {
  const gone = await batch(['completed', 'failed'], 'published');
  const { withheld, calls } = fakes(gone.txid, [1]);
  const unpaid = new UnpaidChannelsRepository(database.db);
  const owner = wrappedFundingOwner(gone.ids[1] as string);
  assert.equal((await unpaid.recorded([owner])).size, 0);
  await withheld.recover();
  const deadline = Date.now() + 10_000;
  while ((await unpaid.recorded([owner])).size === 0) {
    if (Date.now() > deadline) assert.fail('the unpaid channel was never recorded');
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.deepEqual(calls, [], 'nothing to close');
  const record = (await unpaid.list()).find((c) => c.owner === owner);
  assert.deepEqual(
    [record?.closingTxid, record?.fundingShare],
    [null, 150n],
    'found no longer open; its share of the funding, 300 sat over 2 channels',
  );
});
