/**
 * The `routing-rebalance` job: every `intervalSeconds` it refills the LSP node's channels whose
 * outbound share fell below `targetOutboundShare` by a circular payment from a channel with
 * excess (`planRebalances` in `@blgv/core`): an invoice of the LSP node itself, paid out over the
 * source channel (`outgoing_chan_ids`) and back in from the target channel's peer
 * (`last_hop_pubkey`), with LND's fee limit at the economic bound (what the target channel earns
 * at its fee rate for the amount × `econRatio`), capped by what is left of the day's budget.
 * LND finds no route within that limit when the circle costs more: the attempt is refused and
 * nothing is spent. Each attempt is a `rebalances` row (one `rebalance` event per state) with
 * its reason; its payment hash is recorded as the LSP's own (`rebalance`) before it is sent.
 *
 * Left alone: private channels (JIT and other unannounced ones), LSPS2 channels, inactive ones
 * and channels with HTLCs in flight. Reservations are node-wide, not per channel: a rebalance is
 * made only when what the node can spend, less what live reservations and pending payments
 * hold, still covers its amount and its fee limit while it is in flight.
 */
import { randomBytes } from 'node:crypto';
import {
  type Channel,
  type ChannelsPort,
  economicBound,
  formatChannelPoint,
  type GraphPort,
  type InvoicesPort,
  msat,
  type NodePort,
  type PaymentResult,
  type PaymentsPort,
  parseHex32,
  planRebalances,
  type RebalanceCandidate,
  sat,
  satToMsat,
  spendableOutbound,
} from '@blgv/core';
import {
  assertLeaseHeld,
  type Database,
  PaymentPurposesRepository,
  type RebalanceAttempt,
  RebalancesRepository,
  ReservationsRepository,
} from '@blgv/store';
import type { Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { RoutingRebalanceConfigSchema } from '../config/routing-rebalance-schema.ts';
import { pause } from '../poll.ts';
import { skipReason } from './fee-job.ts';

/** The `routing.rebalance` config section. */
export type RoutingRebalanceConfig = Static<typeof RoutingRebalanceConfigSchema>;

/** The node calls the job makes. */
export type RebalanceLightning = Pick<ChannelsPort, 'listChannels'> &
  Pick<GraphPort, 'channelEdge'> &
  Pick<NodePort, 'getInfo'> &
  Pick<InvoicesPort, 'addInvoice' | 'cancelInvoice'> &
  Pick<PaymentsPort, 'sendPayment' | 'trackPayment'>;

/** What the job drives. */
export interface RebalanceDeps {
  readonly database: Database;
  readonly lightning: RebalanceLightning;
  readonly settings: RoutingRebalanceConfig;
  readonly log: Logger;
  readonly now?: () => Date;
}

const CALL_TIMEOUT_MS = 15_000;
const PPM = 1_000_000;

/** Runs a pass every `intervalSeconds` until `signal` aborts (nothing when disabled). */
export async function runRebalancing(deps: RebalanceDeps, signal: AbortSignal): Promise<void> {
  if (!deps.settings.enabled) return;
  while (!signal.aborted) {
    try {
      await rebalanceOnce(deps, signal);
    } catch (err) {
      if (signal.aborted) return;
      deps.log.warn({ err }, 'rebalancing: pass failed; trying again next interval');
    }
    await pause(deps.settings.intervalSeconds * 1000, signal);
  }
}

/** Why rebalancing leaves `c` alone, or undefined when it may touch it. */
export function rebalanceSkipReason(c: Channel): string | undefined {
  return skipReason(c) ?? (c.pendingHtlcs > 0 ? 'HTLCs in flight' : undefined);
}

/** One pass: settles what a previous pass left sending, then makes the rebalances the channels call for. */
export async function rebalanceOnce(deps: RebalanceDeps, signal: AbortSignal): Promise<number> {
  const { lightning, settings: s } = deps;
  const call = () => AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]);
  const repo = new RebalancesRepository(deps.database.db);
  await settleSending(deps, repo, signal);
  const channels = await lightning.listChannels(call());
  const plan = planRebalances(
    channels.filter((c) => rebalanceSkipReason(c) === undefined),
    {
      targetSharePpm: BigInt(Math.round(s.targetOutboundShare * PPM)),
      minAmount: sat(s.minAmountSat),
      maxAmount: sat(s.maxAmountSat),
    },
  );
  if (plan.length === 0) return 0;
  const self = await lightning.getInfo(call());
  let made = 0;
  for (const candidate of plan) {
    if (signal.aborted) return made;
    if (await rebalance(deps, repo, candidate, self.pubkey, channels, signal)) made++;
  }
  return made;
}

/** Tries one rebalance; true when it was made. */
async function rebalance(
  deps: RebalanceDeps,
  repo: RebalancesRepository,
  c: RebalanceCandidate,
  self: string,
  channels: readonly Channel[],
  signal: AbortSignal,
): Promise<boolean> {
  const { lightning, settings: s, log } = deps;
  const call = () => AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]);
  const edge = await lightning.channelEdge(c.target.scid, call());
  const own = edge ? (edge.node1 === self ? edge.node1Policy : edge.node2Policy) : undefined;
  if (!own) return false; // The graph does not hold the channel yet: a later pass.
  const bound = economicBound(c.amount, own.feeRatePpm, BigInt(Math.round(s.econRatio * PPM)));
  const now = deps.now?.() ?? new Date();
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const budgetLeft = BigInt(s.dailyBudgetSat) * 1000n - (await repo.committedSince(dayStart));
  const maxFee = msat(bound < budgetLeft ? bound : budgetLeft > 0n ? budgetLeft : 0n);
  const attempt: RebalanceAttempt = {
    sourceChannelPoint: formatChannelPoint(c.source.channelPoint),
    sourceScid: c.source.scid.toString(),
    targetChannelPoint: formatChannelPoint(c.target.channelPoint),
    targetScid: c.target.scid.toString(),
    targetPeer: c.target.remotePubkey,
    amountSat: c.amount,
    maxFeeMsat: maxFee,
  };
  const share = `outbound share ${(Number(c.targetSharePpm) / 10_000).toFixed(1)} % below the target ${(s.targetOutboundShare * 100).toFixed(1)} %`;
  const refuse = async (why: string) => {
    await repo.record(attempt, 'refused', `${share}; not made: ${why}`);
    log.info({ ...attempt, reason: why }, 'rebalancing: refused');
    return false;
  };
  if (bound === 0n) return refuse(`the channel earns nothing at ${own.feeRatePpm} ppm`);
  if (budgetLeft <= 0n) return refuse(`the daily budget of ${s.dailyBudgetSat} sat is spent`);
  const committed = await new ReservationsRepository(deps.database.db).committed();
  const free = spendableOutbound(channels) - committed.reservedRemaining - committed.pendingPayments;
  if (satToMsat(sat(free > 0n ? free : 0n)) < satToMsat(c.amount) + maxFee)
    return refuse(
      `${free} sat spendable beyond live reservations and pending payments does not cover ${c.amount} sat and its fee while in flight`,
    );
  const invoice = await lightning.addInvoice(
    {
      amount: satToMsat(c.amount),
      memo: 'rebalance',
      expirySeconds: s.timeoutSeconds + 600,
      preimage: parseHex32(randomBytes(32).toString('hex')),
    },
    call(),
  );
  await new PaymentPurposesRepository(deps.database.db).recordOwn(invoice.paymentHash, 'rebalance');
  const limit = `fee limit of ${maxFee} msat (${s.econRatio} x what ${c.amount} sat earns at ${own.feeRatePpm} ppm${maxFee < bound ? ', capped by the daily budget' : ''})`;
  const id = await repo.record(attempt, 'sending', `${share}; ${limit}`, invoice.paymentHash);
  // Not sent by a replica that lost the job's lease since (`lease_lost`): the holder's next pass
  // finds the attempt left sending and asks LND, which never saw it.
  assertLeaseHeld('a rebalancing payment');
  let result: PaymentResult;
  try {
    result = await lightning.sendPayment(
      {
        paymentRequest: invoice.paymentRequest,
        feeLimit: maxFee,
        timeoutSeconds: s.timeoutSeconds,
        maxParts: 1,
        outgoingScid: c.source.scid,
        lastHopPubkey: c.target.remotePubkey,
        allowSelfPayment: true,
      },
      AbortSignal.any([signal, AbortSignal.timeout((s.timeoutSeconds + 30) * 1000)]),
    );
  } catch (err) {
    // Unknown is not failed: the next pass asks LND (trackPayment) and records the outcome.
    log.warn({ err, id }, 'rebalancing: payment outcome unknown; asked again next pass');
    return false;
  }
  return finish(deps, repo, id, invoice.paymentHash, result, limit);
}

/** Records the outcome of a rebalance's payment; true when it succeeded. */
async function finish(
  deps: RebalanceDeps,
  repo: RebalancesRepository,
  id: string,
  paymentHash: string,
  result: PaymentResult,
  limit: string,
): Promise<boolean> {
  if (result.status === 'succeeded') {
    await repo.finish(id, {
      state: 'succeeded',
      feeMsat: result.fee,
      reason: `made; cost ${result.fee} msat within the ${limit}`,
    });
    deps.log.info({ id, feeMsat: result.fee.toString() }, 'rebalancing: made');
    return true;
  }
  // Nothing was spent: tidy the invoice away (it can no longer be paid).
  await deps.lightning
    .cancelInvoice(parseHex32(paymentHash), AbortSignal.timeout(CALL_TIMEOUT_MS))
    .catch((err: unknown) => deps.log.debug({ err }, 'rebalancing: cancelling the invoice failed'));
  if (result.reason === 'no_route') {
    await repo.finish(id, {
      state: 'refused',
      reason: `not made: no route within the ${limit} (the circle costs more, or lacks liquidity); nothing spent`,
    });
    deps.log.info({ id }, 'rebalancing: refused for cost');
    return false;
  }
  const codes = result.attemptFailures.map((f) => f.code).join(', ');
  await repo.finish(id, {
    state: 'failed',
    reason: `failed: ${result.reason}${codes ? ` (${codes})` : ''}; nothing spent`,
  });
  deps.log.info({ id, reason: result.reason }, 'rebalancing: failed');
  return false;
}

/** Asks LND about rebalances a previous pass left sending (a crash, a timeout) and records them. */
async function settleSending(
  deps: RebalanceDeps,
  repo: RebalancesRepository,
  signal: AbortSignal,
): Promise<void> {
  for (const r of await repo.list(100, ['sending'])) {
    if (!r.paymentHash) continue;
    const result = await deps.lightning.trackPayment(
      parseHex32(r.paymentHash),
      AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
    );
    if (result === undefined) {
      // LND never saw it. Its invoice is cancelled before the attempt is recorded failed: a send
      // still under way (a replica that stalled past its lease) can then no longer be paid, and
      // one that was paid meanwhile (the invoice settled: the cancel is refused) is left sending,
      // for the next pass to find in LND.
      const cancelled = await deps.lightning
        .cancelInvoice(
          parseHex32(r.paymentHash),
          AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
        )
        .then(
          () => true,
          (err: unknown) => {
            deps.log.warn({ err, id: r.id }, 'rebalancing: its invoice not cancelled; asked again next pass');
            return false;
          },
        );
      if (cancelled)
        await repo.finish(r.id, { state: 'failed', reason: 'failed: never sent; nothing spent' });
    } else await finish(deps, repo, r.id, r.paymentHash, result, `fee limit of ${r.maxFeeMsat} msat`);
  }
}
