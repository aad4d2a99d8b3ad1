/**
 * The audit of unpaid channels against a fake LND snapshot: a recorded one LND has closed is
 * clean; one still open, one LND does not know and a share above its funding's fee are named.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { parseHex32, parsePubkey, sat } from '@blgv/core';
import {
  ChannelFundingsRepository,
  type Database,
  openMigratedMemoryDatabase,
  UnpaidChannelsRepository,
} from '@blgv/store';
import type { SeenChannel } from './lnd-snapshot.ts';
import { auditUnpaidChannels } from './unpaid-channels-audit.ts';

let database: Database;
before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

const hex = () => randomBytes(32).toString('hex');

/** A funding of two channels that paid `fee`, the first recorded unpaid at `point`; its id. */
async function unpaidAt(point: string, fee: bigint): Promise<string> {
  const fundings = new ChannelFundingsRepository(database.db);
  const id = randomUUID();
  const owners = [`jit:${randomUUID()}`, `jit:${randomUUID()}`];
  await fundings.insert({
    id,
    feeRate: 2n,
    lockId: parseHex32(hex()),
    channels: owners.map((owner) => ({
      owner,
      pendingChanId: parseHex32(hex()),
      remotePubkey: parsePubkey(`02${hex()}`),
      amountSat: '100000',
    })),
  });
  await fundings.recordFunded(id, {
    txid: parseHex32(hex()),
    psbt: 'cHNidP8=',
    lockedInputs: [],
    fee: sat(fee),
    vsize: 200,
  });
  await new UnpaidChannelsRepository(database.db).record({
    owner: owners[0] as string,
    clientPubkey: 'c',
    fundingId: id,
    channelPoint: point,
    closingTxid: 'ef'.repeat(32),
  });
  return id;
}

test('each unpaid channel is closed in LND, at a share no more than its funding paid', async () => {
  const closed = `${hex()}:0`;
  const open = `${hex()}:1`;
  const unknown = `${hex()}:2`;
  const overstated = `${hex()}:3`;
  const fees = new Map<string, bigint>();
  fees.set(await unpaidAt(closed, 301n), 301n);
  fees.set(await unpaidAt(open, 200n), 200n);
  fees.set(await unpaidAt(unknown, 200n), 200n);
  // What the funding's record said at the time: the audit reads it as the fundings' check did.
  fees.set(await unpaidAt(overstated, 200n), 99n);
  const where = new Map<string, SeenChannel['where']>([
    [closed, 'closed'],
    [open, 'open'],
    [overstated, 'pending'],
  ]);
  const flags: string[] = [];
  let checked = 0;
  const cost = await auditUnpaidChannels(
    database,
    {
      channel: (txid, index) => {
        const w = where.get(`${txid}:${index}`);
        return w && ({ where: w } as SeenChannel);
      },
    },
    (id) => fees.get(id),
    { flag: (check) => flags.push(check), checked: () => checked++, inFlight: () => {} },
  );
  assert.equal(checked, 4);
  assert.deepEqual(flags.sort(), ['unpaid_channel_open', 'unpaid_channel_share', 'unpaid_channel_unknown']);
  assert.equal(cost, 151n + 100n + 100n + 100n, 'each share: its funding fee over 2 channels, rounded up');
});
