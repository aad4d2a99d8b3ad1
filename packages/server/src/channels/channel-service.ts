import {
  boundedFeeRate,
  CONFIRMATION_TARGETS,
  channelNetworkFee,
  ErrorCode,
  estimateConfirmation,
  type FeeEstimate,
  type FeeSchedule,
  isLspError,
  LspError,
  type NetworkFee,
  type PeersPort,
  priceChannel,
  type WalletPort,
} from '@blgv/core';
import {
  type ChannelRequest,
  ChannelRequestsRepository,
  type Database,
  isUniqueViolation,
  type Page,
  type PageRequest,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { KeyedWakeup, Wakeup } from '../poll.ts';
import { turnBatched } from '../turn-batched.ts';
import { chargeChannel } from './channel-charge.ts';
import {
  type ChannelLimits,
  type ChannelOrder,
  type ChannelQuote,
  orderFingerprint,
  sameOrder,
} from './channel-order.ts';
import { ChannelRunner } from './channel-runner.ts';
import { ChannelTracker, type ChannelTrackerLightning } from './channel-tracker.ts';
import { forwardingFees } from './forwarding-policy.ts';

const FEE_ESTIMATE_TTL_MS = 30_000;
/** How long a caller waits for the publication once its request passed the commit point. */
const PUBLISH_WAIT_MS = 15_000;
/** Beyond the batch window and the peer's deadlines, how long a caller may wait for its open. */
const SETTLE_SLACK_MS = 30_000;
/** How often a caller re-reads its request (a transition in this replica wakes it at once). */
const SETTLE_POLL_MS = 250;
/** States a caller waits through. */
const UNSETTLED_STATES: readonly ChannelRequest['state'][] = ['queued', 'opening', 'publishing'];
/** Confirmation target of the LSP's own fee estimate, when the buyer gives no fee rate. */
const DEFAULT_TARGET_CONF = 6;

/**
 * The Lightning calls the channel service makes: fee estimates for quotes, the wallet's balance
 * when a request comes in, the client's peer connection, and its tracker's channel calls.
 */
export type ChannelServiceLightning = Pick<WalletPort, 'estimateFee' | 'walletBalance'> &
  Pick<PeersPort, 'connectPeer' | 'listPeers'> &
  ChannelTrackerLightning;

/** The channel opening service. */
export class ChannelService {
  readonly #database: Database;
  readonly #lightning: ChannelServiceLightning;
  readonly #accounts: Accounts;
  readonly #schedule: FeeSchedule;
  readonly #limits: ChannelLimits;
  readonly #log: Logger;
  readonly #runner: ChannelRunner;
  readonly #tracker: ChannelTracker;
  #estimates: { at: number; values: FeeEstimate[] } | undefined;
  /** Reads by id, one statement per turn of the event loop; no caching, every call reads fresh rows. */
  readonly #reads = turnBatched<string, ChannelRequest | undefined>(async (ids) => {
    const found = await new ChannelRequestsRepository(this.#database.db).getMany(ids);
    return ids.map((id) => found.get(id));
  });
  /** Wakes the channel job's scan for queued requests (when it runs in this replica). */
  readonly #queued = new Wakeup();
  /** Wakes callers waiting on a request when this replica's runner moves it. */
  readonly #transitions = new KeyedWakeup();

  constructor(deps: {
    database: Database;
    lightning: ChannelServiceLightning;
    accounts: Accounts;
    schedule: FeeSchedule;
    limits: ChannelLimits;
    funder: ChannelFunder;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#accounts = deps.accounts;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
    this.#runner = new ChannelRunner({
      database: deps.database,
      funder: deps.funder,
      limits: deps.limits,
      policy: forwardingFees(deps.schedule),
      log: deps.log,
      onTransition: (id) => this.#transitions.wake(id),
    });
    this.#tracker = new ChannelTracker({
      database: deps.database,
      lightning: deps.lightning,
      runner: this.#runner,
      queued: this.#queued,
      batchWindowMs: deps.limits.batchWindowMs,
      log: deps.log,
    });
  }

  /** A channel's network fee at the LSP's own estimate now (what a request without a feeRate pays). */
  async networkFeeNow(): Promise<NetworkFee> {
    const rate = boundedFeeRate(rateFor(await this.#feeEstimates(), DEFAULT_TARGET_CONF), this.#limits);
    return channelNetworkFee(rate);
  }

  /** Checks an order against the limits; throws `invalid_input` naming the field. */
  validate(order: Pick<ChannelOrder, 'channelSize' | 'pushAmount' | 'feeRate'>): void {
    const { minCapacity, maxCapacity, minFeeRate, maxFeeRate } = this.#limits;
    if (order.channelSize < BigInt(minCapacity) || order.channelSize > BigInt(maxCapacity)) {
      throw new LspError(
        ErrorCode.InvalidInput,
        `channelSize must be between ${minCapacity} and ${maxCapacity} sat`,
        { field: 'channelSize' },
      );
    }
    if (order.pushAmount >= order.channelSize) {
      throw new LspError(ErrorCode.InvalidInput, 'pushAmount must be below channelSize', {
        field: 'pushAmount',
      });
    }
    if (
      order.feeRate !== undefined &&
      (order.feeRate < BigInt(minFeeRate) || order.feeRate > BigInt(maxFeeRate))
    ) {
      throw new LspError(
        ErrorCode.InvalidInput,
        `feeRate must be between ${minFeeRate} and ${maxFeeRate} sat/vB`,
        { field: 'feeRate' },
      );
    }
  }

  /**
   * The price of an order item by item, and when it should confirm, before any work. Without a
   * fee rate the LSP's estimate (6 blocks, within the configured bounds) is used, and charged.
   */
  async quote(order: Pick<ChannelOrder, 'channelSize' | 'pushAmount' | 'feeRate'>): Promise<ChannelQuote> {
    this.validate(order);
    const estimates = await this.#feeEstimates();
    const feeRate = order.feeRate ?? boundedFeeRate(rateFor(estimates, DEFAULT_TARGET_CONF), this.#limits);
    return {
      capacity: order.channelSize,
      push: order.pushAmount,
      price: priceChannel(this.#schedule, { capacity: order.channelSize, push: order.pushAmount, feeRate }),
      estimatedConfirmation: estimateConfirmation(feeRate, estimates),
    };
  }

  /**
   * Sells a channel: charges its quoted price and queues it; the replica that runs the
   * channel-opening job funds it. With an idempotency key, a retry with the same body returns
   * the first request instead of opening another channel (another body is refused). Resolves
   * once the funding transaction is published or the request failed and was refunded (or,
   * past a deadline, with the request still opening: its status tells the rest).
   */
  async request(
    tenantId: string,
    order: ChannelOrder,
    idempotencyKey?: string,
  ): Promise<{ request: ChannelRequest; replayed: boolean }> {
    // The request is checked before anything is looked up under its key or charged.
    this.validate(order);
    const repo = new ChannelRequestsRepository(this.#database.db);
    const fingerprint = idempotencyKey ? orderFingerprint(order) : undefined;
    if (idempotencyKey) {
      const first = await repo.byIdempotencyKey(tenantId, idempotencyKey);
      if (first) return { request: sameOrder(first, fingerprint), replayed: true };
    }
    const quote = await this.quote(order);
    await this.#connect(order);
    const wallet = await this.#lightning.walletBalance(AbortSignal.timeout(10_000));
    let charged: { request: ChannelRequest; replayed: boolean };
    try {
      charged = await chargeChannel(
        { database: this.#database, accounts: this.#accounts },
        tenantId,
        order,
        quote,
        wallet.confirmed - wallet.reservedForAnchors,
        {
          key: idempotencyKey,
          fingerprint,
        },
      );
    } catch (err) {
      if (idempotencyKey && isUniqueViolation(err)) {
        const first = await repo.byIdempotencyKey(tenantId, idempotencyKey);
        if (first) return { request: sameOrder(first, fingerprint), replayed: true };
      }
      throw err;
    }
    if (charged.replayed) return { request: sameOrder(charged.request, fingerprint), replayed: true };
    this.#queued.wake();
    return { request: await this.#settled(tenantId, charged.request.id), replayed: false };
  }

  /**
   * Waits until a request has been funded (its transaction published, or publishing for a
   * while) or failed, or until the opening deadline has passed, and returns it as it is then.
   */
  async #settled(tenantId: string, id: string): Promise<ChannelRequest> {
    const repo = new ChannelRequestsRepository(this.#database.db);
    const deadline =
      Date.now() + this.#limits.batchWindowMs + 2 * this.#limits.openTimeoutSeconds * 1000 + SETTLE_SLACK_MS;
    let publishingSince: number | undefined;
    for (;;) {
      const r = await repo.get(tenantId, id);
      if (!r) throw new LspError(ErrorCode.NotFound, `no channel ${id}`);
      if (r.state === 'publishing') publishingSince ??= Date.now();
      const published = publishingSince !== undefined && Date.now() - publishingSince >= PUBLISH_WAIT_MS;
      if (!UNSETTLED_STATES.includes(r.state) || published || Date.now() >= deadline) return r;
      await this.#transitions.wait(id, SETTLE_POLL_MS);
    }
  }

  /**
   * One tenant's channel request (another tenant's is not found). Reads of the same tick go
   * to the database as one query.
   */
  async get(tenantId: string, id: string): Promise<ChannelRequest> {
    const r = await this.#reads.load(id);
    if (!r || r.tenantId !== tenantId) throw new LspError(ErrorCode.NotFound, `no channel ${id}`);
    return r;
  }

  /** A page of a tenant's channel requests, newest first. */
  list(tenantId: string, page: PageRequest): Promise<Page<ChannelRequest>> {
    return new ChannelRequestsRepository(this.#database.db).list(tenantId, page);
  }

  /** A tenant's channel request made with `idempotencyKey`, if any. */
  byIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<ChannelRequest | undefined> {
    return new ChannelRequestsRepository(this.#database.db).byIdempotencyKey(tenantId, idempotencyKey);
  }

  /**
   * The channel-opening job's part (see {@link ChannelTracker}): resumes interrupted requests,
   * opens queued ones and follows their channels, until `signal` aborts.
   */
  track(signal: AbortSignal): Promise<void> {
    return this.#tracker.track(signal);
  }

  async #connect(order: ChannelOrder): Promise<void> {
    const signal = AbortSignal.timeout(20_000);
    if (order.clientHost) {
      try {
        await this.#lightning.connectPeer(order.clientPubkey, order.clientHost, signal);
        return;
      } catch (err) {
        // A code, not LND's words: they vary, and they describe our node's network.
        const reason =
          isLspError(err) && typeof err.details?.reason === 'string' ? err.details.reason : 'connect_failed';
        this.#log.info(
          { client: order.clientPubkey, host: order.clientHost, reason, err },
          'client node unreachable',
        );
        throw new LspError(
          ErrorCode.PeerUnreachable,
          `cannot connect to ${order.clientPubkey}@${order.clientHost} (${reason})`,
          { field: 'clientHost', reason },
        );
      }
    }
    const peers = await this.#lightning.listPeers(signal);
    if (!peers.some((p) => p.pubkey === order.clientPubkey)) {
      throw new LspError(
        ErrorCode.PeerUnreachable,
        'the client node is not connected to the LSP; give clientHost (host:port) so the LSP can connect',
        { field: 'clientHost' },
      );
    }
  }

  /** The node's fee estimates for every target (cached briefly). */
  async #feeEstimates(): Promise<FeeEstimate[]> {
    if (!this.#estimates || Date.now() - this.#estimates.at > FEE_ESTIMATE_TTL_MS) {
      const signal = AbortSignal.timeout(10_000);
      const values = await Promise.all(
        CONFIRMATION_TARGETS.map((t) => this.#lightning.estimateFee(t, signal)),
      );
      this.#estimates = { at: Date.now(), values };
    }
    return this.#estimates.values;
  }
}

/** The estimate for `target` blocks (1 sat/vB when the node has none). */
function rateFor(estimates: readonly FeeEstimate[], target: number): bigint {
  return estimates.find((e) => e.targetConf === target)?.satPerVbyte ?? 1n;
}
