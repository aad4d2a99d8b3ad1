/**
 * A withheld funding shared by a batch of JIT channels, against a fake funder and node (the real flow is
 * `test/jit-burst-withheld.test.ts`): given up only when no member can settle any more, kept
 * withheld while one still can, and a member withdrawn while its batch's funding went out has
 * its channel closed, whichever of the two ends first.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Channel, type CloseChannelRequest, type ClosedChannel, parseHex32, sat } from '@blgv/core';
import {
  type Database,
  Lsps2JitChannelsRepository,
  openMigratedMemoryDatabase,
  sql,
  UnpaidChannelsRepository,
} from '@blgv/store';
import pino from 'pino';
import { WithheldBatch } from '../funding/withheld-batch.ts';
import { jitFundingOwner, jitMember, jitMembers } from './jit-batch-members.ts';

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

const TXID = parseHex32('cd'.repeat(32));
const CAPACITY = 100_000n;
/** The batch's funding fee: each of its channels' share is this divided by their number, rounded up. */
const FUNDING_FEE = 331n;

/** A withheld funding and its members, each JIT channel in the state given (output i). */
async function batch(
  states: readonly string[],
  funding = 'withheld',
): Promise<{ fundingId: string; members: string[] }> {
  const fundingId = randomUUID();
  const members = states.map(() => randomUUID());
  const channels = members.map((id) => ({ owner: jitFundingOwner(id), amountSat: String(CAPACITY) }));
  await sql`insert into channel_fundings (id, state, fee_rate_sat_per_vbyte, lock_id, channels, txid, fee_sat)
    values (${fundingId}, ${funding}, 2, ${'ab'.repeat(32)}, ${JSON.stringify(channels)}, ${TXID}, ${FUNDING_FEE})`.execute(
    database.db,
  );
  for (const [i, state] of states.entries()) {
    await sql`insert into lsps2_jit_channels (id, owner_kind, owner, client_pubkey, jit_scid, min_fee_msat,
        proportional, valid_until, min_lifetime, max_client_to_self_delay, min_payment_size_msat,
        max_payment_size_msat, state, funding_id, funding_txid, funding_output_index)
      values (${members[i]}, 'node', 'c', ${`02${String(i).repeat(64)}`.slice(0, 66)}, ${randomUUID()}, 0, 0, now(), 0, 0, 0, 0,
        ${state}, ${fundingId}, ${TXID}, ${i})`.execute(database.db);
  }
  return { fundingId, members };
}

/** A funder whose fundings are withheld until released or withdrawn, and a node's channels. */
function fakes(options: { coopFails?: boolean } = {}) {
  const fundings = new Map<string, 'withheld' | 'withdrawn' | 'published'>();
  const calls: string[] = [];
  const open = new Set([0, 1, 2].map((i) => `${TXID}:${i}`));
  const funder = {
    async withdraw(id: string) {
      calls.push('withdraw');
      const state = fundings.get(id) ?? 'withheld';
      if (state === 'published') return false;
      fundings.set(id, 'withdrawn');
      return true;
    },
    async published(id: string) {
      fundings.set(id, 'published');
    },
  };
  const looked = { times: 0 };
  /** Closes resolved, by channel point: what each settled back to the LSP. */
  const resolved = new Map<string, bigint>();
  const lightning = {
    async listOnchainTransactions() {
      return [];
    },
    async closedChannels() {
      return [...resolved].map(([p, settled]) => {
        const [txid, index] = p.split(':');
        return {
          channelPoint: { txid, outputIndex: Number(index) },
          capacity: sat(CAPACITY),
          closeType: 'COOPERATIVE_CLOSE',
          settledBalance: sat(settled),
        } as unknown as ClosedChannel;
      });
    },
    async listChannels() {
      looked.times++;
      return [...open].map((p) => {
        const [txid, index] = p.split(':');
        return { channelPoint: { txid, outputIndex: Number(index) } } as unknown as Channel;
      });
    },
    async closeChannel(r: CloseChannelRequest) {
      const point = `${r.channelPoint.txid}:${r.channelPoint.outputIndex}`;
      if (!r.force && options.coopFails) throw new Error('peer is offline');
      calls.push(`${r.force ? 'force-close' : 'close'} ${r.channelPoint.outputIndex}`);
      open.delete(point);
      return { closingTxid: parseHex32('ef'.repeat(32)) };
    },
  };
  const signal = stopped.signal;
  const withheld = new WithheldBatch({
    members: jitMembers(database),
    unpaid: new UnpaidChannelsRepository(database.db),
    funder,
    lightning,
    log: pino({ level: 'silent' }),
    signal: () => signal,
  });
  return { withheld, fundings, calls, looked, resolved, open };
}

/** {@link until} for a condition read from the database. */
async function untilAsync(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits (against a deadline) until `done` holds: closes run beside their callers. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The unpaid channel recorded for member `id`, waited for (the record follows the close). */
async function recorded(
  id: string,
): Promise<{ state: string; share: string; capacity: string; txid: string | null }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await sql<{ state: string; share: string; capacity: string; txid: string | null }>`
      select state, funding_share_sat::text as share, capacity_sat::text as capacity, closing_txid as txid
      from unpaid_channels where id = ${jitFundingOwner(id)}`.execute(database.db);
    if (r.rows[0]) return r.rows[0];
    if (Date.now() > deadline) assert.fail(`no unpaid channel recorded for ${id}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const repo = () => new Lsps2JitChannelsRepository(database.db);
const member = async (id: string) => {
  const r = await repo().get(id);
  assert.ok(r);
  return jitMember(r);
};
const move = (id: string, from: 'awaiting_preimage' | 'withdrawn', to: 'withdrawn' | 'releasing') =>
  repo().transition(id, from, { state: to });

test('a member withdrawn while another may still settle keeps the funding; the last one withdrawn gives it up', async () => {
  const { fundingId, members } = await batch(['withdrawn', 'awaiting_preimage']);
  const [first, second] = members as [string, string];
  const { withheld, fundings, calls } = fakes();
  await withheld.withdraw(await member(first), 'never settled');
  assert.deepEqual(calls, [], 'kept withheld for the other member');
  await move(second, 'awaiting_preimage', 'withdrawn');
  await withheld.withdraw(await member(second), 'never settled');
  assert.deepEqual(calls, ['withdraw'], 'given up once no member can settle; no channel closed');
  assert.equal(fundings.get(fundingId), 'withdrawn');
});

test('withdrawn first, then another member settles: its release closes the unpaid channel', async () => {
  const { members } = await batch(['withdrawn', 'awaiting_preimage']);
  const [unpaid, payer] = members as [string, string];
  const { withheld, calls, looked, resolved } = fakes();
  await withheld.withdraw(await member(unpaid), 'never settled');
  await move(payer, 'awaiting_preimage', 'releasing');
  await withheld.released(await member(payer));
  await until(() => calls.length > 0, 'the close');
  assert.deepEqual(calls, ['close 0'], "the unpaid member's channel closed, the payer's left open");
  assert.deepEqual(
    await recorded(unpaid),
    { state: 'closing', share: '166', capacity: String(CAPACITY), txid: 'ef'.repeat(32) },
    "the LSP's expense: its share of the funding (331 sat over 2 channels, rounded up) and its close",
  );
  const lookedBefore = looked.times;
  await withheld.released(await member(payer));
  await until(() => looked.times > lookedBefore, 'a second look at the channels');
  assert.deepEqual(calls, ['close 0'], 'a channel closing already is left alone');
  const costs = await new UnpaidChannelsRepository(database.db).costs();
  assert.deepEqual((await recorded(unpaid)).state, 'closing', 'recorded once, as first recorded');
  assert.ok(costs.count >= 1);
  // The close resolves: 99,750 sat of its 100,000 came back; its cost is recorded, once.
  const repo = new UnpaidChannelsRepository(database.db);
  assert.ok((await repo.unpricedCloses('jit:')).some((c) => c.owner === jitFundingOwner(unpaid)));
  resolved.set(`${TXID}:0`, CAPACITY - 250n);
  await untilAsync(
    async () => !(await repo.unpricedCloses('jit:')).some((c) => c.owner === jitFundingOwner(unpaid)),
    'the close priced',
  );
  const priced = await repo.costs();
  assert.equal(priced.closeFeeSat - costs.closeFeeSat, 250n, 'its capacity less what it settled back');
});

test('withdrawn after another member settled: closed at once (force-closed when the client does not answer)', async () => {
  const { fundingId, members } = await batch(['releasing', 'withdrawn', 'completed']);
  const { withheld, fundings, calls } = fakes({ coopFails: true });
  await withheld.withdraw(await member(members[1] as string), 'never settled');
  await until(() => calls.length > 0, 'the close');
  assert.deepEqual(calls, ['force-close 1'], 'not given up: the funding is out; its channel force-closed');
  assert.equal(fundings.get(fundingId), 'published');
  assert.equal((await recorded(members[1] as string)).share, '111', '331 sat over 3 channels, rounded up');
});

test('a funding of its own is given up as before', async () => {
  const { fundingId, members } = await batch(['withdrawn']);
  const { withheld, fundings, calls } = fakes();
  await withheld.withdraw(await member(members[0] as string), 'never settled');
  assert.deepEqual(calls, ['withdraw']);
  assert.equal(fundings.get(fundingId), 'withdrawn');
  const r =
    await sql`select 1 from unpaid_channels where id = ${jitFundingOwner(members[0] as string)}`.execute(
      database.db,
    );
  assert.equal(r.rows.length, 0, 'nothing went on chain: no expense');
});

test('after a restart, a member withdrawn whose batch went out has its channel closed if still open', async () => {
  const { members } = await batch(['completed', 'withdrawn'], 'published');
  const { withheld, calls } = fakes();
  await withheld.recover();
  await until(() => calls.length > 0, 'the close');
  assert.deepEqual(calls, ['close 1'], `only the unpaid member's channel (${members[1]})`);
});

test('a channel found no longer open (its client closed it) is priced too once its close resolves, even when nothing came back', async () => {
  const { members } = await batch(['completed', 'withdrawn'], 'published');
  const { withheld, calls, resolved, open } = fakes();
  const owner = jitFundingOwner(members[1] as string);
  open.delete(`${TXID}:1`);
  const repo = new UnpaidChannelsRepository(database.db);
  const before = await repo.costs();
  await withheld.recover();
  await untilAsync(async () => (await repo.recorded([owner])).has(owner), 'the unpaid channel recorded');
  assert.deepEqual(calls, [], 'not open: nothing to close');
  assert.equal((await recorded(members[1] as string)).state, 'not_open');
  resolved.set(`${TXID}:1`, 0n);
  await untilAsync(
    async () => !(await repo.unpricedCloses('jit:')).some((c) => c.owner === owner),
    'the close priced',
  );
  // (Earlier stories' channels share its channel point in this fake: only its own row is read.)
  const fee = await sql<{ fee: string }>`select close_fee_sat::text as fee from unpaid_channels
    where id = ${owner}`.execute(database.db);
  assert.equal(fee.rows[0]?.fee, String(CAPACITY), 'nothing settled back: all of it');
  assert.ok((await repo.costs()).closeFeeSat - before.closeFeeSat >= CAPACITY, 'in the costs');
});
