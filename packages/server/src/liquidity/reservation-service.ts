/**
 * Liquidity reservations (the spec's `JITLiquidityService.provideLiquidity`): validates and
 * prices a request, allocates it atomically, buys liquidity from outside when the node is
 * short (the LSP bears that cost), and lets the tenant read and release it. A job expires
 * reservations whose time is up.
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  type FeeSchedule,
  type LiquiditySource,
  LspError,
  ppmOfCeil,
  quoteReservation,
  reservationTransition,
  type Sat,
  sat,
} from '@blgv/core';
import { type Database, type Reservation, ReservationsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import type { SpendableReader } from './liquidity-lock.ts';
import {
  type AllocationOutcome,
  type AllocationRequest,
  ReservationAllocator,
} from './reservation-allocator.ts';
import { watchExpiries } from './reservation-expiry.ts';

/** Limits on reservations (from config). */
export interface ReservationLimits {
  readonly minAmount: number;
  readonly maxAmount: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
}

/** Where bought liquidity comes from, and what the LSP pays for it at most. */
export interface ExternalLiquidity {
  readonly source: LiquiditySource;
  /** Most the LSP pays: `maxFeeBase + shortfall * maxFeePpm / 1e6`. */
  readonly maxFeeBase: Sat;
  readonly maxFeePpm: bigint;
  readonly timeoutMs: number;
}

/** A validated reservation request. */
export interface ReservationOrder {
  readonly amount: Sat;
  readonly durationMs: number;
  readonly maxFeeRatePpm: bigint;
}

/** The liquidity reservation service. */
export class ReservationService {
  readonly #database: Database;
  readonly #accounts: Accounts;
  readonly #schedule: FeeSchedule;
  readonly #limits: ReservationLimits;
  readonly #external: ExternalLiquidity | undefined;
  readonly #log: Logger;
  readonly #allocator: ReservationAllocator;
  /** One purchase at a time: a request waiting here may find the previous one covered it. */
  #buying: Promise<unknown> = Promise.resolve();
  #expiryNudge: ((at: Date) => void) | undefined;

  constructor(deps: {
    database: Database;
    spendable: SpendableReader;
    accounts: Accounts;
    schedule: FeeSchedule;
    limits: ReservationLimits;
    external?: ExternalLiquidity;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#accounts = deps.accounts;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#external = deps.external;
    this.#log = deps.log;
    this.#allocator = new ReservationAllocator({ database: deps.database, spendable: deps.spendable });
  }

  /**
   * Reserves liquidity for the tenant and charges the reservation fee. Refused with
   * `fee_rate_exceeded`, `payment_required` or `lsp_insufficient_funds`, charging nothing.
   */
  async reserve(tenantId: string, order: ReservationOrder): Promise<Reservation> {
    this.#validate(order);
    const quote = quoteReservation(this.#schedule, order.amount);
    if (quote.feeRatePpm > order.maxFeeRatePpm) {
      throw new LspError(
        ErrorCode.FeeRateExceeded,
        `the fee of this reservation is ${quote.feeRatePpm} ppm when fully used (${quote.reservationFee} sat + ${quote.utilizationFeePpm} ppm), above maxFeeRate ${order.maxFeeRatePpm} ppm`,
        { field: 'maxFeeRate', feeRate: Number(quote.feeRatePpm), maxFeeRate: Number(order.maxFeeRatePpm) },
      );
    }
    const request: AllocationRequest = {
      id: randomUUID(),
      tenantId,
      amount: order.amount,
      durationMs: order.durationMs,
      maxFeeRatePpm: order.maxFeeRatePpm,
      quote,
    };
    let outcome = await this.#allocator.allocate(request);
    if (!outcome.ok && outcome.reason === 'liquidity' && this.#external) {
      const balance = await this.#accounts.balance(tenantId);
      if (balance < quote.reservationFee) outcome = { ok: false, reason: 'balance', balance };
      else outcome = await this.#withBoughtLiquidity(request, this.#external);
    }
    if (outcome.ok) {
      this.#expiryNudge?.(outcome.reservation.expiresAt);
      return outcome.reservation;
    }
    throw await this.#refusal(tenantId, request, outcome);
  }

  /** One tenant's reservation (another tenant's is not found). */
  async get(tenantId: string, id: string): Promise<Reservation> {
    const repo = new ReservationsRepository(this.#database.db);
    let r = await repo.get(id);
    if (!r || r.tenantId !== tenantId) throw new LspError(ErrorCode.NotFound, `no reservation ${id}`);
    if ((r.state === 'active' || r.state === 'exhausted') && r.expiresAt.getTime() <= Date.now()) {
      // Its time is up and the expiry job has not run yet: record it now.
      await repo.expireDue();
      r = (await repo.get(id)) ?? r;
    }
    return r;
  }

  /** Gives a reservation back before it expires; releasing twice is harmless. */
  async release(tenantId: string, id: string): Promise<Reservation> {
    const current = await this.get(tenantId, id);
    if (current.state === 'released') return current;
    const released = await this.#database.db.transaction().execute(async (trx) => {
      const repo = new ReservationsRepository(trx);
      const r = await repo.get(id, { lock: true });
      if (!r) return undefined;
      const step = reservationTransition(r, { type: 'release' });
      if (!step.ok) return r;
      await repo.transition(id, r.state, step.next);
      return { ...r, ...step.next };
    });
    if (released?.state !== 'released') {
      throw new LspError(ErrorCode.ReservationInactive, `reservation ${id} is ${released?.state ?? 'gone'}`, {
        state: released?.state,
      });
    }
    this.#log.info({ tenant: tenantId, id, used: Number(released.used) }, 'reservation released');
    return released;
  }

  /** Expires reservations whose time is up, at start and then as they come due. */
  async run(signal: AbortSignal): Promise<void> {
    await watchExpiries(
      {
        database: this.#database,
        log: this.#log,
        onNudge: (nudge) => {
          this.#expiryNudge = nudge;
        },
      },
      signal,
    );
  }

  #validate(order: ReservationOrder): void {
    const { minAmount, maxAmount, minDurationMs, maxDurationMs } = this.#limits;
    if (order.amount < BigInt(minAmount) || order.amount > BigInt(maxAmount)) {
      throw new LspError(ErrorCode.InvalidInput, `amount must be between ${minAmount} and ${maxAmount} sat`, {
        field: 'amount',
      });
    }
    if (order.durationMs < minDurationMs || order.durationMs > maxDurationMs) {
      throw new LspError(
        ErrorCode.InvalidInput,
        `duration must be between ${minDurationMs} and ${maxDurationMs} ms`,
        { field: 'duration' },
      );
    }
  }

  /**
   * Buys the shortfall from outside, then allocates again. Purchases run one at a time, and
   * each waiting request first tries again: the previous purchase may have covered it.
   */
  #withBoughtLiquidity(request: AllocationRequest, external: ExternalLiquidity): Promise<AllocationOutcome> {
    const run = this.#buying.then(async (): Promise<AllocationOutcome> => {
      const retried = await this.#allocator.allocate(request);
      if (retried.ok || retried.reason !== 'liquidity') return retried;
      const shortfall = sat(request.amount - retried.available);
      const maxFee = sat(external.maxFeeBase + ppmOfCeil(shortfall, external.maxFeePpm));
      let bought: Awaited<ReturnType<LiquiditySource['acquire']>>;
      try {
        bought = await external.source.acquire(shortfall, {
          maxFee,
          signal: AbortSignal.timeout(external.timeoutMs),
        });
      } catch (err) {
        this.#log.warn({ err, shortfall: Number(shortfall) }, 'could not buy liquidity for a reservation');
        return retried;
      }
      this.#log.info(
        {
          tenant: request.tenantId,
          reservation: request.id,
          shortfall: Number(shortfall),
          outbound: Number(bought.outbound),
          fee: Number(bought.fee),
          reference: bought.reference,
        },
        'bought liquidity for a reservation (the LSP bears the fee)',
      );
      return this.#allocator.allocate({
        ...request,
        external: { reference: bought.reference, fee: bought.fee },
      });
    });
    this.#buying = run.catch(() => {});
    return run;
  }

  async #refusal(
    tenantId: string,
    request: AllocationRequest,
    outcome: Exclude<AllocationOutcome, { ok: true }>,
  ): Promise<LspError> {
    if (outcome.reason === 'balance') {
      return this.#accounts.paymentRequired(
        tenantId,
        outcome.balance,
        request.quote.reservationFee,
        'the reservation fee',
      );
    }
    return new LspError(
      ErrorCode.LspInsufficientFunds,
      `the LSP cannot reserve ${request.amount} sat right now${this.#external ? ', not even with liquidity bought from outside' : ''}; try a smaller amount or later`,
      { requested: Number(request.amount), available: Number(outcome.available) },
    );
  }
}
