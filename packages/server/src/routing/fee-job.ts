/**
 * The `routing-fees` job: every `intervalSeconds` it applies the fee policy
 * (`@blgv/core` `decideFee`) to the LSP node's channels, and records each change (or, in
 * dry-run, each change it would make) with its reason: one `routing_fee` event each.
 *
 * Channels whose fee another part owns are left alone: private channels (JIT channels and
 * other unannounced ones: their fee is in the route hints their clients' invoices already
 * carry, and LSPS2 channels get the schedule's fee at open, see forwarding-policy.ts) and any
 * channel whose memo marks it as an LSPS2 JIT channel. Inactive channels, and channels the
 * node's graph does not hold yet (their policy is not known), wait for a later pass. The
 * forwarding-policy job sets the schedule's fee on every channel at start and on each channel
 * that opens; this job moves public channels from there, no sooner than once per window.
 */
import {
  type Channel,
  type ChannelFee,
  type ChannelFlow,
  type ChannelsPort,
  decideFee,
  formatChannelPoint,
  type GraphPort,
  type Msat,
  msat,
  type NodePort,
} from '@blgv/core';
import { type Database, RoutingFeesRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { pause } from '../poll.ts';
import { policySettings, type RoutingFeeSettingsStore } from './fee-settings.ts';

/** The node calls the job makes. */
export type RoutingFeesLightning = Pick<
  ChannelsPort,
  'listChannels' | 'forwardingHistory' | 'updateChannelPolicy'
> &
  Pick<GraphPort, 'channelEdge'> &
  Pick<NodePort, 'getInfo'>;

/** What the job drives. */
export interface RoutingFeesDeps {
  readonly database: Database;
  readonly lightning: RoutingFeesLightning;
  readonly settings: RoutingFeeSettingsStore;
  /** The CLTV delta the node asks for each hop (LND needs one with every update). */
  readonly timeLockDelta: number;
  readonly log: Logger;
  readonly now?: () => Date;
}

const FORWARDS_PAGE = 5_000;
const CALL_TIMEOUT_MS = 15_000;

/** Runs the policy every `intervalSeconds` (read each pass) until `signal` aborts. */
export async function runRoutingFees(deps: RoutingFeesDeps, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const settings = await deps.settings.current();
    if (settings.enabled) {
      try {
        await adjustFees(deps, signal);
      } catch (err) {
        if (signal.aborted) return;
        deps.log.warn({ err }, 'routing fees: pass failed; trying again next interval');
      }
    }
    await pause(settings.intervalSeconds * 1000, signal);
  }
}

/** Why a channel is not managed, or undefined when it is. */
export function skipReason(c: Channel): string | undefined {
  if (c.private) return 'private (its fee is in its clients’ route hints)';
  if (c.memo.startsWith('lsps2:')) return 'LSPS2 JIT channel';
  if (!c.active) return 'inactive';
  return undefined;
}

/** One pass over the node's channels; answers how many changed (or would have, in dry-run). */
export async function adjustFees(deps: RoutingFeesDeps, signal: AbortSignal): Promise<number> {
  const { lightning, log } = deps;
  const settings = await deps.settings.current();
  const policy = policySettings(settings);
  const now = deps.now?.() ?? new Date();
  const call = () => AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]);
  const repo = new RoutingFeesRepository(deps.database.db);
  const state = settings.dryRun ? 'dry_run' : 'applied';
  const [channels, self, last] = await Promise.all([
    lightning.listChannels(call()),
    lightning.getInfo(call()),
    repo.lastChanges(state),
  ]);
  const managed = channels.filter((c) => skipReason(c) === undefined);
  if (managed.length === 0) return 0;
  const flows = await recentFlows(
    lightning,
    new Date(now.getTime() - settings.flowWindowSeconds * 1000),
    now,
    call,
  );
  let changed = 0;
  for (const channel of managed) {
    const edge = await lightning.channelEdge(channel.scid, call());
    const own = edge ? (edge.node1 === self.pubkey ? edge.node1Policy : edge.node2Policy) : undefined;
    if (!own) continue;
    const current: ChannelFee = {
      baseFee: own.baseFee,
      feeRatePpm: own.feeRatePpm,
      inboundFeeRatePpm: own.inboundFeeRatePpm,
    };
    const point = formatChannelPoint(channel.channelPoint);
    const decision = decideFee(
      {
        channel,
        flow: flows.get(channel.scid) ?? { out: msat(0n), in: msat(0n) },
        current,
        lastChangeAt: last.get(point),
        now,
      },
      policy,
    );
    if (!decision.change) {
      log.debug({ channel: point, reason: decision.reason }, 'routing fees: no change');
      continue;
    }
    const { target } = decision;
    if (!settings.dryRun) {
      const inboundChanges = target.inboundFeeRatePpm !== current.inboundFeeRatePpm;
      await lightning.updateChannelPolicy(
        {
          channelPoint: channel.channelPoint,
          baseFee: target.baseFee,
          feeRatePpm: target.feeRatePpm,
          timeLockDelta: deps.timeLockDelta,
          ...(inboundChanges ? { inboundFee: { baseFee: 0n, feeRatePpm: target.inboundFeeRatePpm } } : {}),
        },
        call(),
      );
    }
    await repo.record({
      channelPoint: point,
      scid: channel.scid.toString(),
      state,
      baseFeeMsat: target.baseFee,
      feeRatePpm: target.feeRatePpm,
      previousFeeRatePpm: current.feeRatePpm,
      inboundFeeRatePpm: target.inboundFeeRatePpm,
      outboundSharePpm: decision.sharePpm,
      reason: decision.reason,
    });
    log.info(
      {
        channel: point,
        feeRatePpm: Number(target.feeRatePpm),
        dryRun: settings.dryRun,
        reason: decision.reason,
      },
      settings.dryRun ? 'routing fees: would change a channel (dry-run)' : 'routing fees: changed a channel',
    );
    changed++;
  }
  return changed;
}

/** Amounts forwarded out over and in over each channel (by scid) between `start` and `end`. */
async function recentFlows(
  lightning: Pick<ChannelsPort, 'forwardingHistory'>,
  start: Date,
  end: Date,
  call: () => AbortSignal,
): Promise<Map<bigint, ChannelFlow>> {
  const flows = new Map<bigint, { out: Msat; in: Msat }>();
  const add = (scid: bigint, key: 'out' | 'in', amount: Msat) => {
    const f = flows.get(scid) ?? { out: msat(0n), in: msat(0n) };
    flows.set(scid, { ...f, [key]: msat(f[key] + amount) });
  };
  for (let offset = 0; ; offset += FORWARDS_PAGE) {
    const page = await lightning.forwardingHistory({ start, end, offset, limit: FORWARDS_PAGE }, call());
    for (const f of page) {
      add(f.outgoingScid, 'out', f.amountOut);
      add(f.incomingScid, 'in', f.amountIn);
    }
    if (page.length < FORWARDS_PAGE) return flows;
  }
}
