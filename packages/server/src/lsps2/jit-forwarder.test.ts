/**
 * The JIT forwarder after a restart, against a small fake of the backend (the real flows are
 * the lsps2 stories): a channel found past the commit point (`publishing`) is made usable and
 * the part LND replays is forwarded over it, with the fee deducted; one caught before it
 * (`opening`) was never funded, and the replayed part is failed back. Each through its step's
 * effect, from the stored state. A part met by a database that cannot be reached is held and
 * handled again, not failed back. (Channels whose funding is withheld: `jit-withheld.test.ts`.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHex32, scid } from '@blgv/core';
import { type KyselyPlugin, Lsps2JitChannelsRepository, openMigratedMemoryDatabase } from '@blgv/store';
import { EXTRA_FEE_TLV } from './jit-forwarder.ts';
import {
  channelOf,
  FEE,
  fakeFunder,
  fakeLightning,
  PAYMENT,
  part,
  restarted,
  storedJit,
} from './jit-restart.test-support.ts';

test('restarted past the commit point: the channel is published and made usable, and the replayed part forwarded with the fee deducted', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const record = await storedJit(database, 'publishing');
    const channel = channelOf(record);
    const fake = fakeLightning([channel], [part(record)]);
    const { funder, calls } = fakeFunder(database);
    await restarted(database, fake.lightning, funder, () => fake.resolutions.length > 0);

    assert.deepEqual(calls.published, [record.fundingId], 'the funding is published (again: harmless)');
    assert.deepEqual(
      fake.aliases,
      [[scid(record.jitScid), channel.scid]],
      'the JIT scid leads to the channel',
    );
    const after = await new Lsps2JitChannelsRepository(database.db).get(record.id);
    assert.equal(after?.state, 'forwarding');
    assert.equal(after?.channelScid, channel.scid.toString());
    assert.equal(fake.resolutions.length, 1);
    const forwarded = fake.resolutions[0];
    assert.equal(forwarded?.action, 'resume_modified');
    assert.ok(forwarded?.action === 'resume_modified');
    assert.equal(forwarded.outgoingAmount, PAYMENT - FEE, 'the opening fee is deducted');
    const extraFee = forwarded.outgoingCustomRecords?.get(EXTRA_FEE_TLV);
    assert.ok(extraFee);
    assert.equal(new DataView(extraFee.buffer).getBigUint64(0), FEE, 'and marked in TLV 65537');
  } finally {
    await database.close();
  }
});

test('restarted before the commit point: the channel was never funded, and the replayed part is failed back', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const record = await storedJit(database, 'opening');
    const fake = fakeLightning([], [part(record)]);
    const { funder, calls } = fakeFunder(database);
    await restarted(database, fake.lightning, funder, () => fake.resolutions.length > 0);

    assert.deepEqual(calls.published, [], 'nothing is published');
    assert.deepEqual(fake.aliases, []);
    const after = await new Lsps2JitChannelsRepository(database.db).get(record.id);
    assert.equal(after?.state, 'awaiting_payment', 'bLIP-52: the JIT scid waits for the payment again');
    assert.equal(after?.failure, 'interrupted before the channel was funded');
    assert.deepEqual(fake.resolutions, [
      {
        action: 'fail',
        ...{ incomingScid: scid(123n), incomingHtlcId: 7n },
        failure: 'temporary_channel_failure',
      },
    ]);
  } finally {
    await database.close();
  }
});

test('a replayed part met by a database that cannot be reached is held, and forwarded once it answers', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const record = await storedJit(database, 'publishing');
    const fake = fakeLightning([channelOf(record)], [part(record)]);
    // The database refuses connections until the forwarder has met that twice.
    let refused = 0;
    const away: KyselyPlugin = {
      transformQuery: (args) => {
        if (refused < 2) {
          refused++;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const down = { ...database, db: database.db.withPlugin(away) };
    const { funder } = fakeFunder(database);
    await restarted(down, fake.lightning, funder, () => fake.resolutions.length > 0);

    assert.equal(refused, 2);
    assert.equal(fake.resolutions.length, 1, 'one resolution: not failed back, then forwarded');
    assert.equal(fake.resolutions[0]?.action, 'resume_modified', 'forwarded with the fee deducted');
    assert.equal((await new Lsps2JitChannelsRepository(database.db).get(record.id))?.state, 'forwarding');
  } finally {
    await database.close();
  }
});

test('an HTLC of another payment for a JIT scid whose channel was committed is failed here, never let on over the channel without the fee', async () => {
  for (const [state, trusted] of [
    ['awaiting_preimage', true],
    ['withdrawn', true],
  ] as const) {
    const database = await openMigratedMemoryDatabase();
    try {
      const record = await storedJit(database, state, trusted);
      const stray = { ...part(record), paymentHash: parseHex32('ee'.repeat(32)), incomingHtlcId: 9n };
      const fake = fakeLightning([channelOf(record)], [stray]);
      const { funder } = fakeFunder(database);
      await restarted(database, fake.lightning, funder, () =>
        fake.resolutions.some((r) => 'incomingHtlcId' in r && r.incomingHtlcId === 9n),
      );
      const resolution = fake.resolutions.find((r) => 'incomingHtlcId' in r && r.incomingHtlcId === 9n);
      // `unknown_next_peer` would let it on to LND's switch, where the JIT scid is the new
      // channel's alias: forwarded, with no opening fee deducted.
      assert.deepEqual(
        resolution,
        {
          action: 'fail',
          incomingScid: scid(123n),
          incomingHtlcId: 9n,
          failure: 'temporary_channel_failure',
        },
        state,
      );
    } finally {
      await database.close();
    }
  }
});

test("another payment sent over a withheld JIT channel by the channel's own scid is failed until the JIT payment's preimage is in", async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const record = await storedJit(database, 'awaiting_preimage', true);
    const channel = channelOf(record);
    // The channel was made usable: its scid is on record.
    await database.db
      .updateTable('lsps2_jit_channels')
      .set({ channel_scid: channel.scid.toString() })
      .where('id', '=', record.id)
      .execute();
    const other = {
      ...part(record),
      outgoingScid: channel.scid,
      paymentHash: parseHex32('dd'.repeat(32)),
      incomingHtlcId: 11n,
    };
    const fake = fakeLightning([channel], [other]);
    const { funder, calls } = fakeFunder(database);
    await restarted(database, fake.lightning, funder, () =>
      fake.resolutions.some((r) => 'incomingHtlcId' in r && r.incomingHtlcId === 11n),
    );
    assert.deepEqual(
      fake.resolutions.find((r) => 'incomingHtlcId' in r && r.incomingHtlcId === 11n),
      { action: 'fail', incomingScid: scid(123n), incomingHtlcId: 11n, failure: 'temporary_channel_failure' },
      'not let on: its settling would read as the JIT payment settled, and publish the funding',
    );
    assert.deepEqual(calls.released, [], 'nothing published');
  } finally {
    await database.close();
  }
});
