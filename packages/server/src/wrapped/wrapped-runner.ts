/**
 * Wrapped invoices, once made: the job that watches each hold invoice until its payment is held,
 * then drives the wrapped invoice machine (`wrappedInvoiceMachine`) through the one driver
 * (`applyStep`) and performs its effects:
 *
 * - `open_channel`: a channel the wallet already has from the LSP with room for the payment is
 *   chosen; otherwise a zero-conf, scid-alias, private channel is funded through the one commit
 *   point with its funding **withheld** (every peer signed, the LSP did not: nothing can reach
 *   the chain), with other wallets' ready together when `wrapped.batchWindowMs` is set
 *   (`wrapped-funding.ts`). A wallet that is offline or refuses costs nothing: the hold invoice
 *   is cancelled.
 * - `pay_wallet`: once the channel is active, the wallet's own invoice is paid over it (first hop
 *   pinned, no fee; `wallet-payment.ts`). Its preimage is the wrapped invoice's.
 * - `settle`: the hold invoice is settled with that preimage (the fee earned) and the withheld
 *   funding released (signed and published).
 * - `cancel_hold` / `withdraw_funding`: the payer's HTLCs fail back; the withheld funding is given
 *   up (channel abandoned, inputs back to the wallet), unless its batch went out with another
 *   wallet's preimage: then the channel is closed.
 *
 * A payment to the wallet whose outcome is unknown (a timeout, a restart) is tracked in LND
 * until it ends; it is never taken as failed. Runs in the replica that funds channels (the
 * funder's recovery cancels attempts it does not drive).
 */
import {
  type ChannelsPort,
  type FeeSchedule,
  formatScid,
  type InvoicesPort,
  isLspError,
  type NodePort,
  type PaymentResult,
  type PaymentsPort,
  parseHex32,
  type WalletPort,
  type WrappedInvoiceEvent,
  wrappedInvoiceMachine,
} from '@blgv/core';
import {
  type Database,
  type Kysely,
  PaymentPurposesRepository,
  type Schema,
  type WrappedInvoiceRecord,
  WrappedInvoicesRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { type AfterCommit, applyStep } from '../machines/apply-step.ts';
import { Wakeup } from '../poll.ts';
import { sendToWallet, walletChannel, walletPaymentEvent, whyWalletNotPayable } from './wallet-payment.ts';
import { WrappedFunding } from './wrapped-funding.ts';
import type { WrappedRunnerLimits } from './wrapped-limits.ts';
import { openWalletChannel } from './wrapped-open.ts';

/** The Lightning calls the runner makes. */
export type WrappedRunnerLightning = Pick<
  InvoicesPort,
  'subscribeInvoice' | 'lookupInvoice' | 'settleInvoice' | 'cancelInvoice'
> &
  Pick<PaymentsPort, 'payOverChannel' | 'trackPayment'> &
  Pick<ChannelsPort, 'listChannels' | 'channelEvents' | 'closeChannel' | 'closedChannels'> &
  Pick<WalletPort, 'estimateFee' | 'listOnchainTransactions'> &
  Pick<NodePort, 'getInfo'>;

const ACTIVE_STATES = ['awaiting_payment', 'opening', 'paying', 'settling'] as const;
const SCAN_MS = 1_000;
/** Failed invoices' clean-up is checked on start and every this many scans. */
const TIDY_EVERY_SCANS = 60;
/** How long after failing an invoice's hold may still be held (the longest wallet CLTV, ~8 days). */
const TIDY_FAILED_WITHIN_MS = 8 * 86_400_000;
const CALL_MS = 30_000;

/** Watches wrapped invoices and drives their machine. */
export class WrappedRunner {
  readonly #database: Database;
  readonly #lightning: WrappedRunnerLightning;
  readonly #funding: WrappedFunding;
  readonly #schedule: FeeSchedule;
  readonly #limits: WrappedRunnerLimits;
  readonly #log: Logger;
  readonly #wakeup = new Wakeup();
  /** Failed invoices found tidy (hold not held, funding not withheld): not looked at again. */
  readonly #tidy = new Set<string>();
  /** Hold invoices watched, by wrapped invoice id. */
  readonly #watching = new Map<string, AbortController>();
  /** Wrapped invoices this process is acting on (their steps and effects). */
  readonly #busy = new Set<string>();
  #signal: AbortSignal = AbortSignal.abort();

  constructor(deps: {
    database: Database;
    lightning: WrappedRunnerLightning;
    funder: ChannelFunder;
    schedule: FeeSchedule;
    limits: WrappedRunnerLimits;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#funding = new WrappedFunding({
      ...deps,
      batches: deps.limits.batches,
      signal: () => this.#signal,
    });
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
  }

  /** A wrapped invoice was just made (here): look at it now rather than at the next scan. */
  created(): void {
    this.#wakeup.wake();
  }

  /** Watches and drives wrapped invoices until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    await this.#funding
      .recover()
      .catch((err: unknown) => this.#log.warn({ err }, 'closing unpaid batch channels failed; next start'));
    try {
      for (let scans = 0; !signal.aborted; scans++) {
        await this.#scan().catch((err: unknown) => this.#log.warn({ err }, 'wrapped invoice scan failed'));
        if (scans % TIDY_EVERY_SCANS === 0)
          await this.#tidyFailed().catch((err: unknown) =>
            this.#log.warn({ err }, 'tidying failed wrapped invoices failed; next time'),
          );
        await this.#wakeup.wait(SCAN_MS, signal);
      }
    } finally {
      for (const w of this.#watching.values()) w.abort();
      this.#watching.clear();
    }
  }

  /** One look at every wrapped invoice not ended: watch, expire, or resume it. */
  async #scan(): Promise<void> {
    const now = Date.now();
    for (const w of await this.#repo().inStates(ACTIVE_STATES)) {
      if (this.#busy.has(w.id)) continue;
      if (w.state === 'awaiting_payment') {
        if (w.expiresAt.getTime() <= now) void this.#act(w, () => this.#apply(w, { type: 'expired' }));
        else if (!this.#watching.has(w.id)) this.#watch(w);
        continue;
      }
      // Left mid-way (a restart, a failed effect): carry on from the stored state.
      void this.#act(w, () => this.#resume(w));
    }
  }

  /**
   * Finishes the clean-up of failed wrapped invoices that a crash or a failed effect cut short
   * (`pay_failed` and `open_failed` cancel the hold, then withdraw the funding, after the step
   * is written): a hold invoice still accepted is cancelled (the payer's HTLCs go back now, not
   * at their expiry), a funding still withheld is withdrawn (its inputs back in the wallet).
   * Each invoice is looked at until it is found tidy, then no more in this process.
   */
  async #tidyFailed(): Promise<void> {
    const since = new Date(Date.now() - TIDY_FAILED_WITHIN_MS);
    for (const w of await this.#repo().failedToTidy(since)) {
      if (this.#tidy.has(w.id)) continue;
      await this.#act(w, async () => {
        const invoice = await this.#lightning.lookupInvoice(w.paymentHash, AbortSignal.timeout(CALL_MS));
        if (invoice.state === 'accepted') {
          this.#log.warn({ wrapped: w.id }, "a failed wrapped invoice's payment was still held: cancelled");
          await this.#cancelHold(w);
        }
        await this.#funding.withdraw(w);
        this.#tidy.add(w.id);
      });
    }
  }

  /** Runs `work` for one wrapped invoice, one at a time per invoice in this process. */
  async #act(w: WrappedInvoiceRecord, work: () => Promise<unknown>): Promise<void> {
    if (this.#busy.has(w.id)) return;
    this.#busy.add(w.id);
    try {
      await work();
    } catch (err) {
      if (!this.#signal.aborted)
        this.#log.warn(
          { wrapped: w.id, err: errorMessage(err) },
          'a wrapped invoice step failed; resumed at the next scan',
        );
    } finally {
      this.#busy.delete(w.id);
    }
  }

  /** Follows the hold invoice until the payer's HTLCs are held (or it is cancelled). */
  #watch(w: WrappedInvoiceRecord): void {
    const stop = new AbortController();
    this.#watching.set(w.id, stop);
    const signal = AbortSignal.any([this.#signal, stop.signal]);
    void (async () => {
      try {
        for await (const inv of this.#lightning.subscribeInvoice(w.paymentHash, { signal })) {
          if (inv.state === 'open') continue;
          if (inv.state === 'accepted') await this.#act(w, () => this.#apply(w, { type: 'payment_held' }));
          // Cancelled by LND (the payer's HTLCs near their expiry) or by us: nothing more to wait for.
          else if (inv.state === 'canceled') await this.#act(w, () => this.#apply(w, { type: 'expired' }));
          break;
        }
      } catch (err) {
        if (!signal.aborted)
          this.#log.warn({ wrapped: w.id, err: errorMessage(err) }, 'watching a wrapped invoice failed');
      } finally {
        this.#watching.delete(w.id);
        stop.abort();
      }
    })();
  }

  /**
   * Performs what the stored state calls for after a restart or a failed effect. A wallet not
   * paid yet is paid only while the payer's HTLCs are still held long enough to settle them
   * after it ({@link whyWalletNotPayable}); else nothing is sent (`pay_failed`).
   */
  async #resume(w: WrappedInvoiceRecord): Promise<void> {
    if (w.state === 'opening') return this.#open(w);
    if (w.state === 'paying') return this.#payWallet(w, true);
    if (w.state === 'settling') return this.#settle(w);
  }

  /**
   * Applies an event through the one driver (only from the state read); false when it had
   * already moved on. Effects are performed here, with the record as it is after the step.
   */
  async #apply(
    w: WrappedInvoiceRecord,
    event: WrappedInvoiceEvent,
    extra: { readonly channelCapacitySat?: bigint } = {},
    db: Kysely<Schema> = this.#database.db,
    afterCommit?: AfterCommit,
  ): Promise<boolean> {
    let after = w;
    const step = await applyStep(wrappedInvoiceMachine, w, event, undefined, {
      db,
      ...(afterCommit ? { afterCommit } : {}),
      log: this.#log,
      logFields: { paymentHash: w.paymentHash },
      persist: (step, db) => {
        const r = step.record as Partial<Record<string, unknown>>;
        const update = {
          state: step.state,
          ...(typeof r.fundingId === 'string' ? { fundingId: r.fundingId } : {}),
          ...(typeof r.txid === 'string' ? { fundingTxid: r.txid } : {}),
          ...(typeof r.outputIndex === 'number' ? { fundingOutputIndex: r.outputIndex } : {}),
          ...(typeof r.channelScid === 'bigint' ? { channelScid: r.channelScid.toString() } : {}),
          ...(typeof r.preimage === 'string' ? { preimage: r.preimage } : {}),
          ...(typeof r.reason === 'string' ? { failure: r.reason } : {}),
          ...extra,
        };
        after = {
          ...w,
          state: step.state,
          fundingId: update.fundingId ?? w.fundingId,
          fundingTxid: update.fundingTxid ?? w.fundingTxid,
          fundingOutputIndex: update.fundingOutputIndex ?? w.fundingOutputIndex,
          channelScid: update.channelScid ?? w.channelScid,
          preimage: (update.preimage ?? w.preimage) as WrappedInvoiceRecord['preimage'],
          failure: update.failure ?? w.failure,
        };
        return new WrappedInvoicesRepository(db).transition(w.id, w.state, update);
      },
      effects: {
        open_channel: () => this.#open(after),
        pay_wallet: () => this.#payWallet(after),
        settle: () => this.#settle(after),
        cancel_hold: () => this.#cancelHold(after),
        withdraw_funding: () => this.#funding.withdraw(after),
      },
    });
    return step !== undefined;
  }

  /** `open_channel` ({@link openWalletChannel}). */
  #open(w: WrappedInvoiceRecord): Promise<void> {
    return openWalletChannel(
      {
        lightning: this.#lightning,
        funding: this.#funding,
        schedule: this.#schedule,
        limits: this.#limits,
        signal: this.#signal,
        apply: (...a) => this.#apply(...a),
      },
      w,
    );
  }

  /**
   * `pay_wallet`: pays the wallet's invoice over its channel, first hop pinned. A payment LND
   * already knows (a restart, a second look) is followed to its end instead of sent again; one
   * `resumed` and not known is sent only if the payer's payment can still wait for it
   * ({@link whyWalletNotPayable}).
   */
  async #payWallet(w: WrappedInvoiceRecord, resumed = false): Promise<void> {
    const hash = parseHex32(w.paymentHash);
    const payWait = (this.#limits.payTimeoutSeconds + 30) * 1000;
    const known = await this.#lightning.trackPayment(
      hash,
      AbortSignal.any([this.#signal, AbortSignal.timeout(payWait)]),
    );
    if (known) return this.#paid(w, known);
    const refusal = resumed ? await whyWalletNotPayable(this.#lightning, w) : undefined;
    if (refusal) {
      this.#log.warn(
        { wrapped: w.id, reason: refusal },
        "the wallet is not paid: the payer's payment cannot wait",
      );
      await this.#apply(w, { type: 'pay_failed', reason: refusal });
      return;
    }
    // The monitor then tells this payment from a tenant's, a probe or the operator's.
    await new PaymentPurposesRepository(this.#database.db).recordOwn(w.paymentHash, 'wrapped');
    const channel = await walletChannel(this.#lightning, w, {
      waitMs: this.#limits.openTimeoutSeconds * 1000,
      signal: this.#signal,
      neverActive: async (reason) => void (await this.#apply(w, { type: 'pay_failed', reason })),
    });
    this.#log.info(
      { wrapped: w.id, scid: formatScid(channel) },
      "paying the wallet's invoice over its channel",
    );
    let result: PaymentResult;
    try {
      result = await sendToWallet(this.#lightning, w, channel, {
        waitMs: payWait,
        deadline: Date.now() + this.#limits.openTimeoutSeconds * 1000,
        signal: this.#signal,
        log: this.#log,
      });
    } catch (err) {
      // Sent or not, its outcome is not known here: the next scan tracks it.
      this.#log.warn(
        { wrapped: w.id, err: errorMessage(err) },
        "the wallet's payment has no outcome yet; tracking it",
      );
      throw err;
    }
    return this.#paid(w, result);
  }

  async #paid(w: WrappedInvoiceRecord, result: PaymentResult): Promise<void> {
    await this.#apply(w, walletPaymentEvent(result));
  }

  /** `settle`: the hold invoice settled (the fee earned), then the withheld funding published. */
  async #settle(w: WrappedInvoiceRecord): Promise<void> {
    if (!w.preimage) throw new Error(`wrapped invoice ${w.id} is settling without its preimage`);
    try {
      await this.#lightning.settleInvoice(parseHex32(w.preimage), AbortSignal.timeout(CALL_MS));
    } catch (err) {
      if (!/already settled|invoice already/i.test(errorMessage(err))) throw err;
    }
    await this.#funding.release(w, this.#signal);
    await this.#apply(w, { type: 'settled' });
    this.#log.info(
      { wrapped: w.id, feeMsat: String(w.fee), funding: w.fundingTxid ?? undefined },
      'wrapped invoice paid: the wallet has its payment, the LSP its fee',
    );
  }

  /** `cancel_hold`: the payer's HTLCs fail back (an invoice already cancelled is fine). */
  async #cancelHold(w: WrappedInvoiceRecord): Promise<void> {
    try {
      await this.#lightning.cancelInvoice(parseHex32(w.paymentHash), AbortSignal.timeout(CALL_MS));
    } catch (err) {
      if (!isLspError(err) || !/already canceled|already cancelled|unable to locate/i.test(errorMessage(err)))
        throw err;
    }
  }

  #repo() {
    return new WrappedInvoicesRepository(this.#database.db);
  }
}
