/**
 * Unwinding a funding that never passed its commit point: the `unwind` effect of a cancel
 * (abandoning what a peer signed, releasing the leased inputs), the sweep that abandons what a
 * late signature still creates, and how a peer's failure is worded for the buyer.
 */
import {
  type ChannelsPort,
  ErrorCode,
  type FundingPort,
  formatChannelPoint,
  isLspError,
  parseHex32,
} from '@blgv/core';
import { type ChannelFunding, ChannelFundingsRepository, type Database } from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { CALL_TIMEOUT_MS } from './funding-publication.ts';

/** What unwinding needs: the fundings' table and the wallet and channel calls it makes. */
export interface FundingUnwinding {
  readonly database: Database;
  readonly lightning: Pick<FundingPort, 'listLeases' | 'releaseOutput'> &
    Pick<ChannelsPort, 'abandonChannel' | 'listChannels' | 'pendingChannels'>;
  readonly log: Logger;
}

/**
 * Abandons channels LND holds for cancelled or withdrawn funding transactions (never signed by
 * the LSP, so never published), and releases the wallet coins still leased for them (an
 * unwind whose release failed: they would stay out of every funding until the lease ran out).
 */
export async function sweepCancelled(deps: FundingUnwinding): Promise<number> {
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  const [pending, open] = await Promise.all([
    deps.lightning.pendingChannels(signal),
    deps.lightning.listChannels(signal),
  ]);
  const points = [...pending, ...open].map((c) => c.channelPoint);
  const fundings = await new ChannelFundingsRepository(deps.database.db).byTxids([
    ...new Set(points.map((p) => p.txid)),
  ]);
  const cancelled = new Set(
    fundings.filter((f) => f.state === 'cancelled' || f.state === 'withdrawn').map((f) => f.txid),
  );
  let abandoned = 0;
  for (const p of points) {
    if (!cancelled.has(p.txid)) continue;
    // One that fails is tried again by the next sweep; the others, and the coins, go on.
    const done = await deps.lightning.abandonChannel(p, signal).then(
      () => true,
      (err: unknown) => {
        deps.log.warn(
          { channel: formatChannelPoint(p), err: errorMessage(err) },
          'abandoning a channel failed',
        );
        return false;
      },
    );
    if (!done) continue;
    deps.log.info({ channel: formatChannelPoint(p) }, 'abandoned a channel of a funding never published');
    abandoned++;
  }
  await releaseGivenUp(deps, signal);
  return abandoned;
}

/** Releases every lease held under the lock id of a funding given up. */
async function releaseGivenUp(deps: FundingUnwinding, signal: AbortSignal): Promise<void> {
  const leases = await deps.lightning.listLeases(signal);
  const givenUp = await new ChannelFundingsRepository(deps.database.db).givenUpLocks([
    ...new Set(leases.map((l) => l.lockId)),
  ]);
  for (const lease of leases) {
    if (!givenUp.has(lease.lockId)) continue;
    const outpoint = formatChannelPoint(lease.outpoint);
    // One that fails (taken meanwhile, LND busy) is tried again by the next sweep.
    await deps.lightning
      .releaseOutput(parseHex32(lease.lockId), lease.outpoint, signal)
      .then(() => deps.log.info({ outpoint }, 'released a coin still leased for a funding given up'))
      .catch((err: unknown) =>
        deps.log.warn({ outpoint, err: errorMessage(err) }, 'releasing a coin of a funding given up failed'),
      );
  }
}

/**
 * The `unwind` effect (of a cancel, or of withdrawing a withheld funding): abandons what a peer
 * signed, releases the leased inputs.
 */
export async function unwindFunding(
  deps: FundingUnwinding,
  funding: Pick<ChannelFunding, 'id' | 'txid' | 'lockId'>,
  reason: string,
): Promise<void> {
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  if (funding.txid)
    await sweepCancelled(deps).catch((err: unknown) => deps.log.warn({ err }, 'sweep failed'));
  const leases = await deps.lightning.listLeases(signal);
  for (const lease of leases) {
    if (lease.lockId === funding.lockId)
      await deps.lightning.releaseOutput(funding.lockId, lease.outpoint, signal);
  }
  deps.log.info({ funding: funding.id, reason }, 'funding given up; nothing was published');
}

/**
 * LND's answer when its funding flow failed on an error it does not name to the peer (its own
 * database, wallet or a timeout inside it): the client node's trouble, not its decision.
 */
const CLIENT_INTERNAL_ERROR = /funding failed due to internal error/;

/**
 * Why a peer's step failed, in words for the buyer; whether the peer refused (decided against
 * the channel), and whether it failed on its own internal error (worth asking again).
 */
export function peerFailure(
  err: unknown,
  step: string,
  seconds: number,
): { reason: string; refused: boolean; internal: boolean } {
  const not = { refused: false, internal: false };
  if (err instanceof DOMException && err.name === 'TimeoutError')
    return { reason: `the client node did not ${step} within ${seconds} s`, ...not };
  const message = errorMessage(err);
  if (isLspError(err, ErrorCode.LightningUnavailable))
    return { reason: `the LSP's node was not ready to ${step}: ${message}`, ...not };
  if (isLspError(err, ErrorCode.PeerUnreachable))
    return { reason: `the client node went away before it could ${step}: ${message}`, ...not };
  if (CLIENT_INTERNAL_ERROR.test(message))
    return { reason: `the client node failed to ${step}: ${message}`, refused: false, internal: true };
  return { reason: `the client node refused the channel: ${message}`, refused: true, internal: false };
}
