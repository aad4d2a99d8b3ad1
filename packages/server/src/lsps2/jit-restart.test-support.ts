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
 * A backend whose interceptor hands over `replayed` and whose node lists `channels` (all active);
 * it records the resolutions, the aliases added and how often the channels were listed.
 */
export function fakeLightning(channels: Channel[], replayed: InterceptedHtlc[]) {
  const resolutions: HtlcResolution[] = [];
  const aliases: [Scid, Scid][] = [];
  const listed = { count: 0 };
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
  withheld: ['withheld'],
  awaiting_preimage: ['withheld', 'awaiting_preimage'],
  releasing: ['withheld', 'awaiting_preimage', 'releasing'],
  withdrawn: ['withheld', 'awaiting_preimage', 'withdrawn'],
};

/**
 * A JIT channel bought for a fixed-size payment (trusting the client, or trusted by it when
 * `clientTrustsLsp`), moved to `state` as a killed server left it; past the commit point it has
 * a funding, withheld when the client trusts the LSP.
 */
export async function storedJit(
  database: Database,
  state: JitChannelState,
  clientTrustsLsp = false,
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
    paymentSizeMsat: PAYMENT,
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

/** The part of the payment LND replays to the restarted server. */
export const part = (record: JitChannelRecord): InterceptedHtlc => ({
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

/** Runs a forwarder restarted over the stored JIT channels until `done` holds. */
export async function restarted(
  database: Database,
  lightning: JitForwarderLightning,
  funder: ChannelFunder,
  done: () => boolean | Promise<boolean>,
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
      mppTimeoutSeconds: 90,
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
