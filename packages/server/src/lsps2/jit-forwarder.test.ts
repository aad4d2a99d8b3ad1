/**
 * The JIT forwarder after a restart, against a small fake of the backend (the real flows are
 * the lsps2 stories): a channel found past the commit point (`publishing`) is made usable and
 * the part LND replays is forwarded over it, with the fee deducted; one caught before it
 * (`opening`) was never funded, and the replayed part is failed back. Each through its step's
 * effect, from the stored state. A part met by a database that cannot be reached is held and
 * handled again, not failed back.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  type Channel,
  type FeeSchedule,
  type HtlcResolution,
  type InterceptedHtlc,
  type JitChannelState,
  msat,
  parseHex32,
  type Scid,
  scid,
} from '@blgv/core';
import {
  ChannelFundingsRepository,
  type Database,
  type JitChannelRecord,
  type KyselyPlugin,
  Lsps2JitChannelsRepository,
  migrate,
  openDatabase,
} from '@blgv/store';
import pino from 'pino';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { EXTRA_FEE_TLV, JitForwarder, type JitForwarderLightning } from './jit-forwarder.ts';
import { randomJitScid } from './jit-scid.ts';

const hex32 = () => parseHex32(randomBytes(32).toString('hex'));
const CLIENT = `02${'cc'.repeat(32)}`;
const PAYMENT = msat(100_000_000n);
const FEE = msat(1_000_000n);

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/** A stream that yields nothing, and ends when `signal` aborts. */
const silent = (signal: AbortSignal): AsyncIterable<never> => ({
  [Symbol.asyncIterator]: () => ({
    next: async () => {
      await aborted(signal);
      return { done: true as const, value: undefined };
    },
  }),
});

/** A backend whose interceptor hands over `replayed` and whose channel to the client is active. */
function fakeLightning(channel: Channel, replayed: InterceptedHtlc[]) {
  const resolutions: HtlcResolution[] = [];
  const aliases: [Scid, Scid][] = [];
  const lightning = {
    interceptHtlcs: ({ signal, onConnected }: { signal: AbortSignal; onConnected?: () => void }) => ({
      htlcs: (async function* () {
        onConnected?.();
        yield* replayed;
        await aborted(signal);
      })(),
      resolve: async (r: HtlcResolution) => {
        resolutions.push(r);
      },
    }),
    htlcResolutions: ({ signal }: { signal: AbortSignal }) => silent(signal),
    channelEvents: ({ signal, onConnected }: { signal: AbortSignal; onConnected?: () => void }) => {
      onConnected?.();
      return silent(signal);
    },
    forwardingHistory: async () => [],
    listChannels: async () => [channel],
    addChannelAlias: async (alias: Scid, base: Scid) => {
      aliases.push([alias, base]);
    },
    estimateFee: async () => ({ satPerVbyte: 2n, targetConf: 6 }),
  };
  return { lightning: lightning as unknown as JitForwarderLightning, resolutions, aliases };
}

/** A JIT channel bought for a fixed-size payment, moved to `state` as a killed server left it. */
async function storedJit(database: Database, state: JitChannelState): Promise<JitChannelRecord> {
  const repo = new Lsps2JitChannelsRepository(database.db);
  const record = await repo.insert({
    id: randomUUID(),
    ownerKind: 'node',
    owner: CLIENT,
    clientPubkey: CLIENT,
    jitScid: randomJitScid().toString(),
    minFeeMsat: FEE,
    proportional: 0n,
    validUntil: new Date(Date.now() + 3_600_000),
    minLifetime: 1000,
    maxClientToSelfDelay: 2016,
    minPaymentSizeMsat: msat(1_000n),
    maxPaymentSizeMsat: msat(1_000_000_000n),
    paymentSizeMsat: PAYMENT,
  });
  const paymentHash = hex32();
  assert.ok(
    await repo.transition(record.id, 'awaiting_payment', {
      state: 'opening',
      paymentHash,
      feeMsat: FEE,
      channelCapacitySat: 200_000n,
    }),
  );
  if (state === 'publishing') {
    const fundingId = randomUUID();
    await new ChannelFundingsRepository(database.db).insert({
      id: fundingId,
      feeRate: 2n,
      lockId: hex32(),
      channels: [],
    });
    assert.ok(
      await repo.transition(record.id, 'opening', {
        state: 'publishing',
        fundingId,
        fundingTxid: hex32(),
        fundingOutputIndex: 0,
      }),
    );
  }
  const stored = await repo.get(record.id);
  assert.ok(stored);
  return stored;
}

/** The part of the payment LND replays to the restarted server. */
const part = (record: JitChannelRecord): InterceptedHtlc => ({
  incomingScid: scid(123n),
  incomingHtlcId: 7n,
  outgoingScid: scid(record.jitScid),
  paymentHash: parseHex32(record.paymentHash ?? ''),
  incomingAmount: msat(PAYMENT + 1_000n),
  outgoingAmount: PAYMENT,
  incomingExpiry: 900,
  outgoingExpiry: 800,
  customRecords: new Map(),
  onionBlob: new Uint8Array(),
  autoFailHeight: 890,
});

/** Runs a forwarder restarted over `record` until `done` holds. */
async function restarted(
  database: Database,
  lightning: JitForwarderLightning,
  published: string[],
  done: () => boolean,
): Promise<void> {
  const funder = {
    published: async (fundingId: string) => {
      published.push(fundingId);
    },
    fund: async () => {
      throw new Error('no open is expected after a restart');
    },
  } as unknown as ChannelFunder;
  const forwarder = new JitForwarder({
    database,
    lightning,
    schedule: {} as FeeSchedule,
    limits: {
      minChannelSize: 20_000,
      maxChannelSize: 1_000_000,
      openTimeoutSeconds: 30,
      maxClientToSelfDelay: 2016,
      minFeeRate: 1,
      maxFeeRate: 100,
      mppTimeoutSeconds: 90,
    },
    funder,
    log: pino({ level: 'silent' }),
  });
  const stop = new AbortController();
  const running = forwarder.run(stop.signal);
  try {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      assert.ok(Date.now() < deadline, 'the restarted forwarder did not finish the open in time');
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    stop.abort();
    await running;
  }
}

test('restarted past the commit point: the channel is published and made usable, and the replayed part forwarded with the fee deducted', async () => {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  try {
    await migrate(database.db);
    const record = await storedJit(database, 'publishing');
    const channel = {
      channelPoint: { txid: record.fundingTxid, outputIndex: 0 },
      scid: scid(16_000_001n << 40n),
      aliasScids: [],
      active: true,
    } as unknown as Channel;
    const fake = fakeLightning(channel, [part(record)]);
    const published: string[] = [];
    await restarted(database, fake.lightning, published, () => fake.resolutions.length > 0);

    assert.deepEqual(published, [record.fundingId], 'the funding is published (again: harmless)');
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
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  try {
    await migrate(database.db);
    const record = await storedJit(database, 'opening');
    const fake = fakeLightning({} as Channel, [part(record)]);
    const published: string[] = [];
    await restarted(database, fake.lightning, published, () => fake.resolutions.length > 0);

    assert.deepEqual(published, [], 'nothing is published');
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
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  try {
    await migrate(database.db);
    const record = await storedJit(database, 'publishing');
    const channel = {
      channelPoint: { txid: record.fundingTxid, outputIndex: 0 },
      scid: scid(16_000_002n << 40n),
      aliasScids: [],
      active: true,
    } as unknown as Channel;
    const fake = fakeLightning(channel, [part(record)]);
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
    await restarted(down, fake.lightning, [], () => fake.resolutions.length > 0);

    assert.equal(refused, 2);
    assert.equal(fake.resolutions.length, 1, 'one resolution: not failed back, then forwarded');
    assert.equal(fake.resolutions[0]?.action, 'resume_modified', 'forwarded with the fee deducted');
    assert.equal((await new Lsps2JitChannelsRepository(database.db).get(record.id))?.state, 'forwarding');
  } finally {
    await database.close();
  }
});
