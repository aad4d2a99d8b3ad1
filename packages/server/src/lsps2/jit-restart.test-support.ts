/**
 * What the JIT forwarder's restart tests share: a small fake of the backend (an interceptor
 * replaying parts, a channel listing the test sets), a fake funder recording what it was asked,
 * JIT channels stored as a killed server left them, and a forwarder run until a condition holds.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type Channel,
  type FeeSchedule,
  type HtlcResolution,
  type InterceptedHtlc,
  type JitChannelState,
  type Msat,
  msat,
  parseHex32,
  type Scid,
  scid,
} from '@blgv/core';
import {
  ChannelFundingsRepository,
  type Database,
  type JitChannelRecord,
  type JitChannelUpdate,
  Lsps2JitChannelsRepository,
  openMigratedMemoryDatabase,
} from '@blgv/store';
import pino from 'pino';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { JitForwarder, type JitForwarderLightning } from './jit-forwarder.ts';
import { randomJitScid } from './jit-scid.ts';

export const hex32 = () => parseHex32(randomBytes(32).toString('hex'));
export const CLIENT = `02${'cc'.repeat(32)}`;
export const PAYMENT = msat(100_000_000n);
export const FEE = msat(1_000_000n);

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

/**
 * A backend whose interceptor hands over `replayed` (waiting on a promise among them before the
 * HTLCs after it) and whose node lists `channels` (all active); it records the resolutions, the
 * aliases added and how often the channels were listed. A resolution `refuse` picks is refused
 * (the interceptor reconnecting) and not recorded.
 */
export function fakeLightning(
  channels: Channel[],
  replayed: (InterceptedHtlc | Promise<void>)[],
  refuse: (r: HtlcResolution) => boolean = () => false,
) {
  const resolutions: HtlcResolution[] = [];
  const aliases: [Scid, Scid][] = [];
  const listed = { count: 0 };
  const lightning = {
    interceptHtlcs: ({ signal, onConnected }: { signal: AbortSignal; onConnected?: () => void }) => ({
      htlcs: (async function* () {
        onConnected?.();
        for (const item of replayed) {
          if (item instanceof Promise) await item;
          else yield item;
        }
        await aborted(signal);
      })(),
      resolve: async (r: HtlcResolution) => {
        if (refuse(r)) throw new Error('the interceptor is reconnecting; LND will replay the HTLC');
        resolutions.push(r);
      },
    }),
    htlcResolutions: ({ signal }: { signal: AbortSignal }) => silent(signal),
    channelEvents: ({ signal, onConnected }: { signal: AbortSignal; onConnected?: () => void }) => {
      onConnected?.();
      return silent(signal);
    },
    forwardingHistory: async () => [],
    listChannels: async () => {
      listed.count++;
      return channels;
    },
    addChannelAlias: async (alias: Scid, base: Scid) => {
      aliases.push([alias, base]);
    },
    estimateFee: async () => ({ satPerVbyte: 2n, targetConf: 6 }),
  };
  return { lightning: lightning as unknown as JitForwarderLightning, resolutions, aliases, listed };
}

/** The active channel a stored JIT channel was committed in, as LND lists it. */
export function channelOf(
  record: JitChannelRecord,
  more: { remoteBalance?: bigint; pendingHtlcs?: number; htlcs?: Channel['htlcs'] } = {},
): Channel {
  return {
    channelPoint: { txid: record.fundingTxid, outputIndex: 0 },
    scid: scid(16_000_001n << 40n),
    aliasScids: [],
    active: true,
    remoteBalance: more.remoteBalance ?? 0n,
    pendingHtlcs: more.pendingHtlcs ?? 0,
    htlcs: more.htlcs ?? [],
  } as unknown as Channel;
}

/** What the fake funder was asked, by funding id. */
export interface FunderCalls {
  readonly published: string[];
  readonly released: string[];
  readonly withdrawn: string[];
}

/**
 * A funder that records what it is asked after a restart (no open is expected), moving a
 * withheld funding's stored state as the real one does.
 */
export function fakeFunder(database: Database): { funder: ChannelFunder; calls: FunderCalls } {
  const calls: FunderCalls = { published: [], released: [], withdrawn: [] };
  const fundings = new ChannelFundingsRepository(database.db);
  const funder = {
    published: async (fundingId: string) => {
      calls.published.push(fundingId);
    },
    release: async (fundingId: string) => {
      calls.released.push(fundingId);
      await fundings.transition(fundingId, 'withheld', 'publishing');
    },
    withdraw: async (fundingId: string) => {
      calls.withdrawn.push(fundingId);
      await fundings.transition(fundingId, 'withheld', 'withdrawn');
      return true;
    },
    fund: async () => {
      throw new Error('no open is expected after a restart');
    },
  } as unknown as ChannelFunder;
  return { funder, calls };
}

/** The steps a stored JIT channel took to `state` (the commit point's facts included). */
const PATHS: Partial<Record<JitChannelState, readonly JitChannelState[]>> = {
  opening: [],
  publishing: ['publishing'],
  forwarding: ['publishing', 'forwarding'],
  withheld: ['withheld'],
  awaiting_preimage: ['withheld', 'awaiting_preimage'],
  releasing: ['withheld', 'awaiting_preimage', 'releasing'],
  withdrawn: ['withheld', 'awaiting_preimage', 'withdrawn'],
};

/**
 * A JIT channel bought for a fixed-size payment (or one of no fixed size: `paymentSize` null;
 * trusting the client, or trusted by it when
 * `clientTrustsLsp`), moved to `state` as a killed server left it; past the commit point it has
 * a funding, withheld when the client trusts the LSP.
 */
export async function storedJit(
  database: Database,
  state: JitChannelState,
  clientTrustsLsp = false,
  paymentSize: Msat | null = PAYMENT,
): Promise<JitChannelRecord> {
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
    paymentSizeMsat: paymentSize,
    clientTrustsLsp,
  });
  const opening: JitChannelUpdate = {
    state: 'opening',
    paymentHash: hex32(),
    feeMsat: FEE,
    channelCapacitySat: 200_000n,
  };
  assert.ok(await repo.transition(record.id, 'awaiting_payment', opening));
  let from: JitChannelState = 'opening';
  for (const to of PATHS[state] ?? assert.fail(`no path to ${state}`)) {
    let update: JitChannelUpdate = { state: to };
    if (from === 'opening') {
      const fundingId = randomUUID();
      const fundings = new ChannelFundingsRepository(database.db);
      await fundings.insert({ id: fundingId, feeRate: 2n, lockId: hex32(), channels: [] });
      if (to === 'withheld') assert.ok(await fundings.transition(fundingId, 'negotiating', 'withheld'));
      update = { state: to, fundingId, fundingTxid: hex32(), fundingOutputIndex: 0 };
    }
    assert.ok(await repo.transition(record.id, from, update));
    from = to;
  }
  const stored = await repo.get(record.id);
  assert.ok(stored);
  return stored;
}

/**
 * The part of the payment LND replays to the restarted server (the whole payment, unless
 * `amount` and `htlcId` say which part).
 */
export const part = (record: JitChannelRecord, amount: Msat = PAYMENT, htlcId = 7n): InterceptedHtlc => ({
  incomingScid: scid(123n),
  incomingHtlcId: htlcId,
  outgoingScid: scid(record.jitScid),
  paymentHash: parseHex32(record.paymentHash ?? ''),
  incomingAmount: msat(amount + 1_000n),
  outgoingAmount: amount,
  incomingExpiry: 900,
  outgoingExpiry: 800,
  customRecords: new Map(),
  onionBlob: new Uint8Array(),
  autoFailHeight: 890,
});

/** Runs a forwarder restarted over the stored JIT channels until `done` holds. */
export async function restarted(
  database: Database,
  lightning: JitForwarderLightning,
  funder: ChannelFunder,
  done: () => boolean | Promise<boolean>,
  mppTimeoutSeconds = 90,
): Promise<void> {
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
      mppTimeoutSeconds,
      batchWindowMs: 0,
      maxBatchChannels: 1,
      batchMaxWaitMs: 0,
      batchWithheld: false,
    },
    funder,
    log: pino({ level: 'silent' }),
  });
  const stop = new AbortController();
  const running = forwarder.run(stop.signal);
  try {
    const deadline = Date.now() + 20_000;
    while (!(await done())) {
      assert.ok(Date.now() < deadline, 'the restarted forwarder did not finish in time');
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    stop.abort();
    await running;
  }
}

/** Runs `run` over a fresh migrated in-memory database, closed after. */
export async function withDatabase(run: (database: Database) => Promise<void>): Promise<void> {
  const database = await openMigratedMemoryDatabase();
  try {
    await run(database);
  } finally {
    await database.close();
  }
}

/** A stored JIT channel's state now. */
export const stateOf = async (database: Database, id: string) =>
  (await new Lsps2JitChannelsRepository(database.db).get(id))?.state;
