/**
 * Liquidity reservations (the spec's `JITLiquidityService.provideLiquidity`): validates and
 * prices a request, allocates it atomically (within the tenant's limit of reserved liquidity
 * at once), buys liquidity from outside when the node is short, and lets the tenant read and
 * release it. A purchase is paid by the reservation that needs it: its cost is charged with the
 * reservation fee, and a reservation whose `maxFeeRate` that cost would exceed is refused with
 * `fee_rate_exceeded` before anything is bought. A job expires reservations whose time is up.
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  type FeeSchedule,
  isLspError,
  type LiquiditySource,
  LspError,
  ppmOfCeil,
  purchaseBudget,
  quoteReservation,
  type Sat,
  sat,
  smaller,
  withPurchaseFee,
} from '@blgv/core';
import { type Database, LedgerRepository, type Reservation, ReservationsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import type { SpendableReader } from './liquidity-lock.ts';
import {
  type AllocationOutcome,
  type AllocationRequest,
  ReservationAllocator,
} from './reservation-allocator.ts';
import { watchExpiries } from './reservation-expiry.ts';
import { expireDueReservations, moveReservation } from './reservation-steps.ts';

/** Limits on reservations (from config). */
export interface ReservationLimits {
  readonly minAmount: number;
  readonly maxAmount: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  /** The most one tenant may hold reserved at once (sat, unused amounts of live reservations). */
  readonly maxPerTenant: number;
}

/** Where bought liquidity comes from, and what the LSP pays for it at most. */
export interface ExternalLiquidity {
  readonly source: LiquiditySource;
  /**
   * Most a purchase may cost, whoever pays: `maxFeeBase + shortfall * maxFeePpm / 1e6` (the
   * reservation's own `maxFeeRate` may allow less).
   */
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
   * Reserves liquidity for the tenant and charges the reservation fee (with the cost of any
   * liquidity bought for it). Refused with `fee_rate_exceeded`, `payment_required`,
   * `tenant_limit_exceeded` or `lsp_insufficient_funds`, charging nothing.
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
      tenantLimit: sat(this.#limits.maxPerTenant),
    };
    let outcome = await this.#allocator.allocate(request);
    if (!outcome.ok && outcome.reason === 'liquidity' && this.#external) {
      outcome = await this.#withBoughtLiquidity(request, this.#external);
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
      await expireDueReservations(this.#database, this.#log);
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
      const step = await moveReservation(trx, r, { type: 'release' }, this.#log);
      return step ? { ...r, state: step.state, used: step.used } : r;
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
   * Buys the shortfall from outside, then allocates again; the reservation pays the purchase.
   * Purchases run one at a time, and each waiting request first tries again: the previous
   * purchase may have covered it. Before buying, the most the purchase may cost (the smaller of
   * the operator's limit and what the request's `maxFeeRate` leaves) is held from the tenant's
   * balance; what it did not cost is given back, and all of it when nothing was bought.
   */
  #withBoughtLiquidity(request: AllocationRequest, external: ExternalLiquidity): Promise<AllocationOutcome> {
    const run = this.#buying.then(async (): Promise<AllocationOutcome> => {
      const retried = await this.#allocator.allocate(request);
      if (retried.ok || retried.reason !== 'liquidity') return retried;
      const shortfall = sat(request.amount - retried.available);
      const operatorMax = sat(external.maxFeeBase + ppmOfCeil(shortfall, external.maxFeePpm));
      const budget = purchaseBudget(request.quote, request.amount, request.maxFeeRatePpm);
      const maxFee = smaller(budget, operatorMax);
      if (maxFee === 0n) {
        throw new LspError(
          ErrorCode.FeeRateExceeded,
          `the LSP would have to buy ${shortfall} sat of liquidity for this reservation, and maxFeeRate ${request.maxFeeRatePpm} ppm leaves nothing to pay for it`,
          { field: 'maxFeeRate', maxFeeRate: Number(request.maxFeeRatePpm) },
        );
      }
      const held = await this.#hold(request, maxFee);
      if (!held.ok) return { ok: false, reason: 'balance', balance: held.balance };
      let bought: Awaited<ReturnType<LiquiditySource['acquire']>>;
      try {
        bought = await external.source.acquire(shortfall, {
          maxFee,
          signal: AbortSignal.timeout(external.timeoutMs),
        });
      } catch (err) {
        await this.#release(request, maxFee, 'nothing was bought');
        this.#log.warn({ err, shortfall: Number(shortfall) }, 'could not buy liquidity for a reservation');
        if (isLspError(err, ErrorCode.FeeRateExceeded) && budget < operatorMax) {
          throw new LspError(
            ErrorCode.FeeRateExceeded,
            `the liquidity this reservation needs costs more than its maxFeeRate of ${request.maxFeeRatePpm} ppm allows (at most ${budget} sat for ${shortfall} sat bought)`,
            {
              field: 'maxFeeRate',
              maxFeeRate: Number(request.maxFeeRatePpm),
              maxPurchaseFee: Number(budget),
            },
          );
        }
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
        'bought liquidity for a reservation (the reservation pays its cost)',
      );
      const allocated = await this.#allocator.allocate({
        ...request,
        quote: withPurchaseFee(request.quote, request.amount, bought.fee),
        external: { reference: bought.reference, fee: bought.fee, held: maxFee },
      });
      if (!allocated.ok) {
        // Bought, then taken by others meanwhile: the tenant gets its hold back; the LSP keeps
        // the liquidity (and its cost).
        await this.#release(request, maxFee, 'the liquidity bought went to other reservations');
        this.#log.warn(
          { reservation: request.id, reason: allocated.reason },
          'bought liquidity not allocated',
        );
      }
      return allocated;
    });
    this.#buying = run.catch(() => {});
    return run;
  }

  /** Holds `amount` of the tenant's balance for a purchase; refused when the balance is short. */
  async #hold(request: AllocationRequest, amount: Sat): Promise<{ ok: true } | { ok: false; balance: Sat }> {
    return this.#database.db.transaction().execute(async (trx) => {
      const ledger = new LedgerRepository(trx);
      await ledger.lockTenant(request.tenantId);
      const balance = await ledger.balance(request.tenantId);
      if (balance < request.quote.reservationFee + amount) return { ok: false as const, balance };
      await ledger.append({
        tenantId: request.tenantId,
        kind: 'reservation_purchase_fee',
        amount: -amount,
        reference: request.id,
        description: `liquidity bought from outside for a reservation of ${request.amount} sat (held: at most ${amount} sat)`,
      });
      return { ok: true as const };
    });
  }

  /** Gives a purchase hold back. */
  async #release(request: AllocationRequest, amount: Sat, why: string): Promise<void> {
    await new LedgerRepository(this.#database.db).append({
      tenantId: request.tenantId,
      kind: 'reservation_refund',
      amount,
      reference: request.id,
      description: `held for buying liquidity, given back: ${why}`,
    });
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
    if (outcome.reason === 'tenant_limit') {
      return new LspError(
        ErrorCode.TenantLimitExceeded,
        `this reservation would take what the tenant holds reserved to ${outcome.reserved + request.amount} sat, above its limit of ${request.tenantLimit} sat; release or use a reservation first`,
        { reserved: Number(outcome.reserved), limit: Number(request.tenantLimit) },
      );
    }
    return new LspError(
      ErrorCode.LspInsufficientFunds,
      `the LSP cannot reserve ${request.amount} sat right now${this.#external ? ', not even with liquidity bought from outside' : ''}; try a smaller amount or later`,
      { requested: Number(request.amount), available: Number(outcome.available) },
    );
  }
}
