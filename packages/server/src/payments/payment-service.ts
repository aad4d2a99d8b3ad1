/**
 * Payments for tenants (the spec's `sendPayment({ invoice, reservationId })`): decodes the
 * invoice, charges amount + routing fee (+ utilization fee with a reservation) to the ledger
 * together with a `pending` record, then pays through the node with the routing fee as fee
 * limit, lowered to the tenant's `maxFee` (or the configured default) when that is lower: the
 * charge never changes, a payment the limit cannot route fails and is refunded. Its HTLC
 * attempts (routes taken, failures) are stored with its outcome. The same invoice paid twice
 * returns the first payment.
 *
 * Unknown is not failed: an attempt is refunded (and gives its reservation back) only when LND
 * reports it failed, or reports it never sent once the invoice has expired (it can never be
 * sent then). An error from `SendPaymentV2`, a timeout or a crash leaves it pending; it is asked
 * about again, with backoff, until LND says (sending again is safe: LND pays a hash once).
 */
import {
  type DecodedPaymentRequest,
  ErrorCode,
  type FeeLimitRequest,
  type FeeSchedule,
  invalidInput,
  LspError,
  type NodePort,
  type PaymentResult,
  type PaymentsPort,
  parseHex32,
  paymentFeeLimit,
  quotePayment,
  type RouteEstimationPort,
  type Sat,
} from '@blgv/core';
import { type Database, type Page, type PageRequest, type Payment, PaymentsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import { errorMessage } from '../error-message.ts';
import type { SpendableReader } from '../liquidity/liquidity-lock.ts';
import { pause } from '../poll.ts';
import { DefaultFeeLimit, type DefaultFeeLimitSettings } from './default-fee-limit.ts';
import { amountToPay, decodePayable, invoiceExpiresAt } from './payable-invoice.ts';
import { recordOutcome, startAttempt } from './payment-ledger.ts';
import { sendSinglePartFirst, wholeRouteFits } from './single-part-first.ts';

/** How payments are made (from config). */
export interface PaymentLimits extends DefaultFeeLimitSettings {
  readonly timeoutSeconds: number;
  readonly maxParts: number;
  /** One part first, split only when no single route carries it (default true). */
  readonly singlePartFirst?: boolean;
}

/** A payment order from a tenant. */
export interface PaymentOrder {
  readonly invoice: string;
  readonly reservationId?: string;
  /** For an invoice without an amount. */
  readonly amount?: Sat;
  /**
   * The most the network may take: lowers the node's fee limit below the routing fee
   * charged (the charge itself is unchanged, and refunded if the payment fails).
   */
  readonly maxFee?: FeeLimitRequest;
}

/** A payment outcome, with a human reason when the node refused it outright. */
type Outcome = PaymentResult & { readonly message?: string };

/** Time given to LND beyond the payment timeout before we stop waiting for an answer. */
const ANSWER_MARGIN_MS = 30_000;
/** Pending payments younger than this are left to the request that started them. */
const SWEEP_MIN_AGE_MS = 30_000;
const SWEEP_INTERVAL_MS = 60_000;
/** Backoff between asking LND again about a payment it did not answer for. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/**
 * The Lightning calls the payment service makes: decoding, sending and tracking payments, the
 * node's own pubkey (a payment to ourselves is refused), and a graph estimate of a route's fee.
 */
export type PaymentServiceLightning = Pick<
  PaymentsPort,
  'decodePaymentRequest' | 'sendPayment' | 'trackPayment'
> &
  Pick<NodePort, 'getInfo'> &
  Pick<RouteEstimationPort, 'estimateRouteFee' | 'routeProbability'>;

/** The payment service. */
export class PaymentService {
  readonly #database: Database;
  readonly #lightning: PaymentServiceLightning;
  readonly #accounts: Accounts;
  readonly #spendable: SpendableReader;
  readonly #schedule: FeeSchedule;
  readonly #limits: PaymentLimits;
  readonly #log: Logger;
  readonly #defaultFeeLimit: DefaultFeeLimit;
  /** Payment hashes this process is waiting on. */
  readonly #watching = new Set<string>();
  #jobs: AbortSignal | undefined;
  #ownPubkey: Promise<string> | undefined;

  constructor(deps: {
    database: Database;
    lightning: PaymentServiceLightning;
    accounts: Accounts;
    spendable: SpendableReader;
    schedule: FeeSchedule;
    limits: PaymentLimits;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#accounts = deps.accounts;
    this.#spendable = deps.spendable;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
    this.#defaultFeeLimit = new DefaultFeeLimit(deps.limits, deps.lightning, deps.log);
  }

  /**
   * Pays an invoice for the tenant and resolves with the payment once it is final (or still
   * pending after the timeout). `replayed` when the invoice was paid (or is being paid)
   * already: the first payment is returned and nothing is charged again.
   */
  async pay(tenantId: string, order: PaymentOrder): Promise<{ payment: Payment; replayed: boolean }> {
    const decoded = await this.#decode(order.invoice);
    const amount = amountToPay(decoded, order.amount, 'amount');
    const quote = quotePayment(this.#schedule, amount);
    const limited = order.maxFee?.maxFeeSat !== undefined || order.maxFee?.maxFeePpm !== undefined;
    const attempt = {
      paymentHash: decoded.paymentHash,
      tenantId,
      paymentRequest: order.invoice,
      destination: decoded.destination,
      amountMsat: amount,
      reservationId: order.reservationId ?? null,
      liquidity: quote.liquidity,
      feeLimitMsat: paymentFeeLimit(
        quote,
        amount,
        order.maxFee ?? {},
        limited ? {} : await this.#defaultFeeLimit.of(decoded, amount),
      ),
      amount: quote.amount,
      routingFee: quote.routingFee,
      expiresAt: invoiceExpiresAt(decoded),
    };
    // Under the allocation lock: a second request for the same payment hash sees the first.
    const started = await startAttempt(
      { database: this.#database, spendable: this.#spendable, schedule: this.#schedule, log: this.#log },
      attempt,
      quote,
    );
    if ('replay' in started) return { payment: started.replay, replayed: true };
    if ('short' in started) {
      throw await this.#accounts.paymentRequired(tenantId, started.balance, started.required, 'the payment');
    }
    this.#log.info(
      {
        tenant: tenantId,
        paymentHash: decoded.paymentHash,
        amountMsat: String(amount),
        feeLimitMsat: String(started.payment.feeLimitMsat),
        reservation: order.reservationId,
        attempt: started.payment.attempt,
      },
      'paying an invoice',
    );
    return { payment: await this.#send(started.payment), replayed: false };
  }

  /** One tenant's payment (another tenant's is not found). */
  async get(tenantId: string, paymentHash: string): Promise<Payment> {
    const p = await new PaymentsRepository(this.#database.db).get(paymentHash);
    if (!p || p.tenantId !== tenantId) throw new LspError(ErrorCode.NotFound, `no payment ${paymentHash}`);
    return p;
  }

  /** A page of a tenant's payments, newest first. */
  list(tenantId: string, page: PageRequest): Promise<Page<Payment>> {
    return new PaymentsRepository(this.#database.db).list(tenantId, page);
  }

  /**
   * Resolves pending payments until `signal` aborts: at start every one (a crash left them),
   * then, now and then, those nobody here is waiting on.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#jobs = signal;
    let minAgeMs = 0;
    while (!signal.aborted) {
      try {
        const cutoff = Date.now() - minAgeMs;
        for (const p of await new PaymentsRepository(this.#database.db).pending()) {
          if (!this.#watching.has(p.paymentHash) && p.updatedAt.getTime() <= cutoff) void this.#resume(p);
        }
      } catch (err) {
        if (!signal.aborted) this.#log.error({ err }, 'pending payment sweep failed');
      }
      minAgeMs = SWEEP_MIN_AGE_MS;
      // The sweep's schedule (not a wait in a test): pending payments are few and rare.
      await pause(SWEEP_INTERVAL_MS, signal);
    }
  }

  /** The invoice as `decodePayable` reads it, refused when it pays the LSP node itself. */
  async #decode(invoice: string): Promise<DecodedPaymentRequest> {
    const decoded = await decodePayable(this.#lightning, invoice, {
      now: Date.now(),
      signal: AbortSignal.timeout(10_000),
    });
    this.#ownPubkey ??= this.#lightning
      .getInfo(AbortSignal.timeout(10_000))
      .then((i) => i.pubkey)
      .catch((err: unknown) => {
        this.#ownPubkey = undefined;
        throw err;
      });
    if (decoded.destination === (await this.#ownPubkey)) {
      throw invalidInput('invoice', 'it pays the LSP node itself');
    }
    return decoded;
  }

  /** Sends an attempt and records its outcome; leaves it pending when the node does not say. */
  async #send(sent: Payment, retryDelayMs = RETRY_MIN_MS): Promise<Payment> {
    let p = sent;
    this.#watching.add(p.paymentHash);
    let result: Outcome | undefined;
    try {
      const request = {
        paymentRequest: p.paymentRequest,
        ...(isAmountless(p) ? { amount: p.amountMsat } : {}),
        feeLimit: p.feeLimitMsat,
        timeoutSeconds: this.#limits.timeoutSeconds,
      };
      const signal = () => AbortSignal.timeout(this.#limits.timeoutSeconds * 1000 + ANSWER_MARGIN_MS);
      result =
        this.#limits.singlePartFirst === false
          ? await this.#lightning.sendPayment({ ...request, maxParts: this.#limits.maxParts }, signal())
          : await sendSinglePartFirst(this.#lightning, request, this.#limits.maxParts, signal, {
              wholeFits: () => wholeRouteFits(this.#lightning, p, this.#log),
              claimSplit: async () => {
                // The split is a try of its own: claimed before it is sent, recorded only as it.
                const claimed = await new PaymentsRepository(this.#database.db).claimNextTry(
                  p.paymentHash,
                  p.attempt,
                  p.sendTry,
                );
                if (claimed) p = { ...p, sendTry: p.sendTry + 1 };
                return claimed;
              },
            });
    } catch (err) {
      result = await this.#afterRefusal(p, err);
    }
    if (!result) {
      // Still pending: asked again after a backoff (the sweep is the backstop).
      this.#watching.delete(p.paymentHash);
      void this.#resume(p, retryDelayMs);
      return p;
    }
    let final: Payment;
    try {
      final = await this.#record(p, result);
    } catch (err) {
      // LND answered and the outcome could not be written (the database is down): it stays
      // pending, and LND is asked again after a backoff until the outcome is recorded.
      this.#watching.delete(p.paymentHash);
      void this.#resume(p, retryDelayMs);
      throw err;
    }
    this.#watching.delete(p.paymentHash);
    return final;
  }

  /**
   * `SendPaymentV2` failed or did not answer in time: only what LND knows decides. A payment it
   * reports is followed to its outcome; one it never sent is failed only once its invoice has
   * expired (it can never be sent then), else it stays pending and is tried again.
   */
  async #afterRefusal(p: Payment, err: unknown): Promise<Outcome | undefined> {
    const message = errorMessage(err);
    const known = await this.#lightning
      .trackPayment(parseHex32(p.paymentHash), AbortSignal.timeout(5_000))
      .catch(() => 'unanswered' as const);
    if (known !== 'unanswered' && known) return known;
    if (known === undefined && p.expiresAt.getTime() <= Date.now()) {
      this.#log.warn({ paymentHash: p.paymentHash, err: message }, 'payment never sent; its invoice expired');
      return neverSent(p, `never sent (${message}), and the invoice has expired`);
    }
    this.#log.warn(
      { paymentHash: p.paymentHash, err: message },
      'the node did not report the payment; it stays pending and is asked again',
    );
    return undefined;
  }

  /**
   * Follows a pending payment to its outcome (after a restart, a timeout or an error), after
   * `delayMs`: LND's answer when it has one; a failure when it never sent it and the invoice
   * has expired; else it is sent again (LND pays a payment hash at most once).
   */
  async #resume(p: Payment, delayMs = 0): Promise<void> {
    if (this.#watching.has(p.paymentHash)) return;
    this.#watching.add(p.paymentHash);
    const signal = this.#jobs ?? AbortSignal.timeout(3_600_000);
    let handedOver = false;
    let again = false;
    try {
      if (delayMs > 0) await pause(delayMs, signal); // backoff before asking again
      if (signal.aborted) return;
      const known = await this.#lightning.trackPayment(parseHex32(p.paymentHash), signal);
      if (known) {
        await this.#record(p, known);
      } else if (p.expiresAt.getTime() <= Date.now()) {
        await this.#record(p, neverSent(p, 'never sent, and the invoice has expired since'));
      } else {
        // Charged, then not sent (interrupted, or the node refused to start it): send now.
        // `#send` watches it from here (and hands it on if the node still does not say).
        handedOver = true;
        this.#watching.delete(p.paymentHash);
        await this.#send(p, Math.min(Math.max(delayMs * 2, RETRY_MIN_MS), RETRY_MAX_MS));
      }
    } catch (err) {
      if (!signal.aborted) {
        this.#log.warn({ err, paymentHash: p.paymentHash }, 'could not resolve a payment yet');
        // Asked again after a backoff (LND or the database did not answer); `#send` retries
        // what it was handed by itself.
        again = !handedOver;
      }
    } finally {
      if (!handedOver) this.#watching.delete(p.paymentHash);
    }
    if (again) void this.#resume(p, Math.min(Math.max(delayMs * 2, RETRY_MIN_MS), RETRY_MAX_MS));
  }

  async #record(p: Payment, result: Outcome): Promise<Payment> {
    const final = await recordOutcome(this.#database, p, result, this.#log);
    this.#log.info(
      {
        tenant: p.tenantId,
        paymentHash: p.paymentHash,
        status: final.status,
        htlcs: final.htlcCount,
        attempts: final.htlcAttempts?.length,
        networkFeeMsat: final.networkFeeMsat === null ? undefined : String(final.networkFeeMsat),
        failure: final.failure ?? undefined,
      },
      'payment finished',
    );
    return final;
  }
}

/**
 * True when the invoice carries no amount (the tenant gave it). In BOLT11 the amount is the
 * digits after the network prefix in the human-readable part, which no prefix contains.
 */
function isAmountless(p: Payment): boolean {
  const hrp = p.paymentRequest.toLowerCase().slice(0, p.paymentRequest.lastIndexOf('1'));
  return !/\d/.test(hrp);
}

/** The outcome of a payment LND never sent, given up once its invoice expired. */
function neverSent(p: Payment, message: string): Outcome {
  return {
    status: 'failed',
    paymentHash: parseHex32(p.paymentHash),
    reason: 'error',
    htlcCount: 0,
    attemptFailures: [],
    message,
  };
}
