/**
 * The LSP node's forwarding fees follow the fee schedule's routing fees: applied to every
 * channel at start, given to channels we open, and applied again to each channel that opens
 * later (whoever opened it). LND refuses a policy update for a channel it has only just opened
 * ("could not update policies"), so each update is retried until it sticks.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  type ChannelPoint,
  type ChannelsPort,
  type FeeSchedule,
  formatChannelPoint,
  type Msat,
} from '@blgv/core';
import type { Logger } from 'pino';

/** Forwarding fees given to a channel at open. */
export interface ForwardingFees {
  readonly baseFee?: Msat;
  readonly feeRatePpm?: bigint;
}

/** The schedule's routing fees as forwarding fees. */
export function forwardingFees(schedule: FeeSchedule): Required<ForwardingFees> {
  return { baseFee: schedule.routing.baseFee, feeRatePpm: schedule.routing.feeRatePpm };
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;
/** Attempts for one new channel (about 3 minutes at the longest interval). */
const CHANNEL_ATTEMPTS = 25;

/** Keeps the node's forwarding policy on the schedule until `signal` aborts. */
export async function maintainForwardingPolicy(
  deps: {
    readonly lightning: Pick<ChannelsPort, 'channelEvents' | 'updateChannelPolicy'>;
    readonly schedule: FeeSchedule;
    /** The CLTV delta the node asks for each hop (LND needs one with every update). */
    readonly timeLockDelta: number;
    readonly log: Logger;
  },
  signal: AbortSignal,
): Promise<void> {
  const { lightning, log } = deps;
  const fees = forwardingFees(deps.schedule);
  // Subscribe first so a channel opening while the global update runs is not missed.
  const events = lightning.channelEvents({ signal });
  const apply = (channelPoint: ChannelPoint | undefined, attempts: number) =>
    retry(
      () =>
        lightning.updateChannelPolicy(
          { ...fees, ...(channelPoint ? { channelPoint } : {}), timeLockDelta: deps.timeLockDelta },
          AbortSignal.any([signal, AbortSignal.timeout(15_000)]),
        ),
      { attempts, signal, log, what: channelPoint ? formatChannelPoint(channelPoint) : 'every channel' },
    );
  try {
    await apply(undefined, Number.POSITIVE_INFINITY);
    log.info(
      { baseFeeMsat: Number(fees.baseFee), feeRatePpm: Number(fees.feeRatePpm) },
      'forwarding fees applied to every channel',
    );
    for await (const e of events) {
      if (e.type === 'open') void apply(e.channel.channelPoint, CHANNEL_ATTEMPTS).catch(() => {});
    }
  } catch (err) {
    if (!signal.aborted) log.error({ err }, 'forwarding policy job stopped');
  }
}

async function retry(
  update: () => Promise<void>,
  options: { attempts: number; signal: AbortSignal; log: Logger; what: string },
): Promise<void> {
  let wait = FIRST_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await update();
      return;
    } catch (err) {
      if (options.signal.aborted || attempt >= options.attempts) throw err;
      options.log.debug({ err, what: options.what, attempt }, 'forwarding policy update refused; retrying');
    }
    // Backoff between attempts of an update LND refused (not a wait for a condition in a test).
    await delay(wait, undefined, { signal: options.signal });
    wait = Math.min(wait * 2, MAX_RETRY_MS);
  }
}
