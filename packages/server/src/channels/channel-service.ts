/**
 * The channel opening service (the spec's `ChannelRequest` -> `ChannelResponse`): validates a
 * request, connects to the client, charges the quoted fee to the tenant's ledger, opens the
 * channel (batched with others) and follows it until it closes.
 */
import { randomUUID } from 'node:crypto';
import {
  type ChannelOpeningQuote,
  CONFIRMATION_TARGETS,
  type ConfirmationEstimate,
  ErrorCode,
  estimateConfirmation,
  type FeeEstimate,
  type FeeSchedule,
  formatChannelPoint,
  type LightningBackend,
  LspError,
  type Pubkey,
  quoteChannelOpening,
  type Sat,
} from '@blgv/core';
import {
  type ChannelRequest,
  ChannelRequestsRepository,
  type Database,
  isUniqueViolation,
  LedgerRepository,
} from '@blgv/store';
import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import { ChannelBatcher, channelMemo, type OpenOutcome } from './channel-batcher.ts';
import { forwardingFees } from './forwarding-policy.ts';

/** Limits on channel requests (from config). */
export interface ChannelLimits {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
  readonly batchWindowMs: number;
  readonly maxBatchSize: number;
}

/** A validated channel request from a tenant. */
export interface ChannelOrder {
  readonly clientPubkey: Pubkey;
  readonly clientHost?: string;
  readonly channelSize: Sat;
  readonly pushAmount: Sat;
  readonly feeRate?: bigint;
  readonly isPrivate: boolean;
}

/** A quote: the fee and the expected confirmation. */
export interface ChannelQuote {
  readonly capacity: Sat;
  readonly push: Sat;
  readonly fee: ChannelOpeningQuote;
  readonly estimatedConfirmation: ConfirmationEstimate;
}

/** On-chain sats kept aside beyond the channel itself for the funding fee and anchor reserve. */
const FUNDING_MARGIN_SAT = 50_000n;
const FEE_ESTIMATE_TTL_MS = 30_000;

/** The channel opening service. */
export class ChannelService {
  readonly #database: Database;
  readonly #lightning: LightningBackend;
  readonly #accounts: Accounts;
  readonly #schedule: FeeSchedule;
  readonly #limits: ChannelLimits;
  readonly #log: Logger;
  readonly #batcher: ChannelBatcher;
  #estimates: { at: number; values: FeeEstimate[] } | undefined;
  /** Batches concurrent reads by id; no caching, every call reads fresh rows. */
  readonly #reads = new DataLoader<string, ChannelRequest | undefined>(
    async (ids) => {
      const found = await new ChannelRequestsRepository(this.#database.db).getMany(ids);
      return ids.map((id) => found.get(id));
    },
    // setImmediate: collect the reads of every request parsed in this turn of the event loop.
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );
  /** Sats promised to requests not yet funded, so concurrent requests do not overbook. */
  #committed = 0n;

  constructor(deps: {
    database: Database;
    lightning: LightningBackend;
    accounts: Accounts;
    schedule: FeeSchedule;
    limits: ChannelLimits;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#accounts = deps.accounts;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
    this.#batcher = new ChannelBatcher({
      lightning: deps.lightning,
      windowMs: deps.limits.batchWindowMs,
      maxBatch: deps.limits.maxBatchSize,
      log: deps.log,
      policy: forwardingFees(deps.schedule),
      hooks: {
        opening: async (requests) => {
          const repo = new ChannelRequestsRepository(this.#database.db);
          for (const r of requests) await repo.transition(r.id, ['queued'], { state: 'opening' });
        },
        finished: (request, outcome) => this.#record(request, outcome),
      },
    });
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

  /** The fee and confirmation estimate for an order, before any work. */
  async quote(order: Pick<ChannelOrder, 'channelSize' | 'pushAmount' | 'feeRate'>): Promise<ChannelQuote> {
    this.validate(order);
    return {
      capacity: order.channelSize,
      push: order.pushAmount,
      fee: quoteChannelOpening(this.#schedule, order.channelSize),
      estimatedConfirmation: await this.#confirmation(order.feeRate),
    };
  }

  /**
   * Sells a channel. With an idempotency key, a retry returns the first request instead of
   * opening another channel. Resolves once the funding transaction is published (or failed).
   */
  async request(
    tenantId: string,
    order: ChannelOrder,
    idempotencyKey?: string,
  ): Promise<{ request: ChannelRequest; replayed: boolean }> {
    const repo = new ChannelRequestsRepository(this.#database.db);
    if (idempotencyKey) {
      const first = await repo.byIdempotencyKey(tenantId, idempotencyKey);
      if (first) return { request: first, replayed: true };
    }
    const quote = await this.quote(order);
    await this.#connect(order);
    await this.#reserveFunds(order.channelSize);
    let request: ChannelRequest;
    try {
      request = await this.#charge(tenantId, order, quote, idempotencyKey);
    } catch (err) {
      this.#committed -= order.channelSize;
      if (idempotencyKey && isUniqueViolation(err)) {
        const first = await repo.byIdempotencyKey(tenantId, idempotencyKey);
        if (first) return { request: first, replayed: true };
      }
      throw err;
    }
    await this.#batcher.submit(request);
    this.#committed -= order.channelSize;
    return { request: (await repo.get(tenantId, request.id)) ?? request, replayed: false };
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

  /** Follows LND's channel events into the requests' states until `signal` aborts. */
  async track(signal: AbortSignal): Promise<void> {
    const events = this.#lightning.channelEvents({ signal });
    await this.reconcile();
    const repo = new ChannelRequestsRepository(this.#database.db);
    try {
      for await (const e of events) {
        const point =
          e.type === 'open' ? e.channel.channelPoint : e.type === 'closed' ? e.channelPoint : undefined;
        if (!point) continue;
        const r = await repo.byOutpoint(point.txid, point.outputIndex);
        if (!r) continue;
        if (e.type === 'open') await repo.transition(r.id, ['pending'], { state: 'open' });
        else await repo.transition(r.id, ['pending', 'open'], { state: 'closed' });
        this.#log.info(
          { id: r.id, event: e.type, channelPoint: formatChannelPoint(point) },
          'channel state changed',
        );
      }
    } catch (err) {
      if (!signal.aborted) this.#log.error({ err }, 'channel tracker stopped');
    }
  }

  /**
   * Brings stored states in line with LND after a restart: pending channels that opened or
   * vanished, and requests whose opening was interrupted (refunded unless LND funded them).
   */
  async reconcile(): Promise<void> {
    const signal = AbortSignal.timeout(30_000);
    const repo = new ChannelRequestsRepository(this.#database.db);
    const [open, pending] = await Promise.all([
      this.#lightning.listChannels(signal),
      this.#lightning.pendingChannels(signal),
    ]);
    const openPoints = new Set(open.map((c) => formatChannelPoint(c.channelPoint)));
    const pendingPoints = new Set(pending.map((c) => formatChannelPoint(c.channelPoint)));
    const byMemo = new Map([...pending, ...open].map((c) => [c.memo, c.channelPoint]));
    for (const r of await repo.inStates(['queued', 'opening', 'pending', 'open'])) {
      if (r.state === 'queued' || r.state === 'opening') {
        // Interrupted: if LND funded the channel (found by its memo) adopt it, else refund.
        const funded = byMemo.get(channelMemo(r.id));
        await this.#record(
          r,
          funded
            ? { ok: true, txid: funded.txid, outputIndex: funded.outputIndex }
            : { ok: false, reason: 'interrupted by a server restart before the channel was funded' },
        );
        if (funded && openPoints.has(formatChannelPoint(funded)))
          await repo.transition(r.id, ['pending'], { state: 'open' });
        continue;
      }
      const point = `${r.fundingTxid}:${r.fundingOutputIndex}`;
      if (openPoints.has(point)) await repo.transition(r.id, ['pending'], { state: 'open' });
      else if (!pendingPoints.has(point))
        await repo.transition(r.id, ['pending', 'open'], { state: 'closed' });
    }
  }

  async #connect(order: ChannelOrder): Promise<void> {
    const signal = AbortSignal.timeout(20_000);
    if (order.clientHost) {
      try {
        await this.#lightning.connectPeer(order.clientPubkey, order.clientHost, signal);
        return;
      } catch (err) {
        throw new LspError(
          ErrorCode.PeerUnreachable,
          `cannot connect to ${order.clientPubkey}@${order.clientHost}: ${err instanceof Error ? err.message : String(err)}`,
          { field: 'clientHost' },
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

  async #reserveFunds(capacity: Sat): Promise<void> {
    const wallet = await this.#lightning.walletBalance(AbortSignal.timeout(10_000));
    const spendable = wallet.confirmed - wallet.reservedForAnchors - this.#committed;
    if (spendable < capacity + FUNDING_MARGIN_SAT) {
      throw new LspError(
        ErrorCode.LspInsufficientFunds,
        'the LSP does not have the on-chain funds for this channel right now; try a smaller channel or later',
      );
    }
    this.#committed += capacity;
  }

  /** Records the request and charges its fee in one transaction; 402 with a top-up if short. */
  async #charge(
    tenantId: string,
    order: ChannelOrder,
    quote: ChannelQuote,
    idempotencyKey?: string,
  ): Promise<ChannelRequest> {
    const result = await this.#database.db.transaction().execute(async (trx) => {
      const ledger = new LedgerRepository(trx);
      await ledger.lockTenant(tenantId);
      const balance = await ledger.balance(tenantId);
      if (balance < quote.fee.total) return { balance };
      const request = await new ChannelRequestsRepository(trx).insert({
        id: randomUUID(),
        tenantId,
        idempotencyKey: idempotencyKey ?? null,
        clientPubkey: order.clientPubkey,
        capacity: order.channelSize,
        push: order.pushAmount,
        feeRateSatPerVbyte: order.feeRate ?? null,
        private: order.isPrivate,
        fee: quote.fee.total,
        estimatedBlocks: quote.estimatedConfirmation.blocks,
      });
      await ledger.append({
        tenantId,
        kind: 'channel_fee',
        amount: -quote.fee.total,
        reference: request.id,
        description: `opening fee of a ${order.channelSize} sat channel to ${order.clientPubkey}`,
      });
      return { request };
    });
    if (result.request) return result.request;
    throw await this.#accounts.paymentRequired(tenantId, result.balance, quote.fee.total, 'the fee');
  }

  /** Persists an open's outcome; a failure refunds the fee in the same transaction. */
  async #record(request: ChannelRequest, outcome: OpenOutcome): Promise<void> {
    if (outcome.ok) {
      await new ChannelRequestsRepository(this.#database.db).transition(request.id, ['queued', 'opening'], {
        state: 'pending',
        fundingTxid: outcome.txid,
        fundingOutputIndex: outcome.outputIndex,
      });
      return;
    }
    this.#log.warn({ id: request.id, reason: outcome.reason }, 'channel open failed; refunding the fee');
    await this.#database.db.transaction().execute(async (trx) => {
      const moved = await new ChannelRequestsRepository(trx).transition(request.id, ['queued', 'opening'], {
        state: 'failed',
        failure: outcome.reason,
      });
      if (!moved || request.fee === 0n) return;
      await new LedgerRepository(trx).append({
        tenantId: request.tenantId,
        kind: 'channel_fee_refund',
        amount: request.fee,
        reference: request.id,
        description: 'refund: the channel could not be opened',
      });
    });
  }

  async #confirmation(feeRate: bigint | undefined): Promise<ConfirmationEstimate> {
    if (!this.#estimates || Date.now() - this.#estimates.at > FEE_ESTIMATE_TTL_MS) {
      const signal = AbortSignal.timeout(10_000);
      const values = await Promise.all(
        CONFIRMATION_TARGETS.map((t) => this.#lightning.estimateFee(t, signal)),
      );
      this.#estimates = { at: Date.now(), values };
    }
    const rate = feeRate ?? this.#estimates.values.find((e) => e.targetConf === 6)?.satPerVbyte ?? 1n;
    return estimateConfirmation(rate, this.#estimates.values);
  }
}
