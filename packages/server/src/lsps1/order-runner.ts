/**
 * Drives LSPS1 orders to a final state, one driver per order, through the order machine and
 * the one step driver: waits for the payment (hold invoice or on-chain), then each step's
 * effects do the work the state it entered calls for, through a handler per effect (see
 * {@link OrderRunner}): `open_channel` opens the channel through the {@link ChannelFunder}'s
 * commit point once the client is reachable, `publish` publishes, `settle_invoice` /
 * `release_receipts` keep the payment, `cancel_invoice` / `refund_onchain` refund it. Work
 * that cannot happen yet or fails is resumed from the stored state by the same method, with
 * backoff; after a restart every unfinished order resumes that way. Meanwhile what orders'
 * addresses receive stays leased and stray payments go back (`receipts-keeping.ts`).
 */
import {
  ErrorCode,
  type FeeSchedule,
  FINAL_ORDER_STATES,
  isLspError,
  type OrderEvent,
  orderMachine,
  parseHex32,
  parsePubkey,
} from '@blgv/core';
import {
  type Database,
  type Kysely,
  type Lsps1OrderRecord,
  Lsps1OrdersRepository,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import { errorMessage } from '../error-message.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { type AfterCommit, applyStep } from '../machines/apply-step.ts';
import { pause } from '../poll.ts';
import type { Lsps1Limits } from './lsps1-limits.ts';
import { type OnchainPayments, takesOnchain } from './lsps1-onchain.ts';
import {
  cancelHeldInvoice,
  dropInvoice,
  type OrderRunnerLightning,
  orderChannel,
  orderFeeRate,
  orderOwner,
  paymentMethodOf,
  reachable,
  settleHeldInvoice,
  stillHeld,
} from './order-effects.ts';
import type { OrderReceipts } from './order-receipts.ts';
import { keepReceipts } from './receipts-keeping.ts';

export type { OrderRunnerLightning } from './order-effects.ts';

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** How often unfinished orders are looked for (orders taken through another replica). */
const ORDER_SCAN_MS = 1_000;

/** Drives LSPS1 orders (the `lsps1` job's work). */
export class OrderRunner {
  readonly #database: Database;
  readonly #lightning: OrderRunnerLightning;
  readonly #box: SecretBox;
  readonly #schedule: FeeSchedule;
  readonly #limits: Lsps1Limits;
  readonly #log: Logger;
  readonly #onchain: OnchainPayments | undefined;
  readonly #funder: ChannelFunder;
  readonly #receipts: OrderReceipts;
  /** One driver at a time per order. */
  readonly #driving = new Map<string, Promise<void>>();
  #signal: AbortSignal = AbortSignal.abort();

  constructor(deps: {
    database: Database;
    lightning: OrderRunnerLightning;
    box: SecretBox;
    schedule: FeeSchedule;
    limits: Lsps1Limits;
    funder: ChannelFunder;
    receipts: OrderReceipts;
    onchain: OnchainPayments | undefined;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#box = deps.box;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#funder = deps.funder;
    this.#receipts = deps.receipts;
    this.#onchain = deps.onchain;
    this.#log = deps.log;
  }

  /**
   * Resumes every unfinished order and keeps driving new ones (those created through another
   * replica are found by a scan every second), watches on-chain refunds until they confirm,
   * and keeps orders' receipts leased (at once: after a restart, leases are checked first),
   * until `signal` aborts.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    const refunds = this.#onchain?.watchRefunds(signal);
    const receipts = keepReceipts(
      { receipts: this.#receipts, onchain: this.#onchain, limits: this.#limits, log: this.#log },
      signal,
    );
    const repo = new Lsps1OrdersRepository(this.#database.db);
    try {
      // Orders taken by another replica's API are found here: one driver per order, in the
      // replica that holds this job's lease.
      while (!signal.aborted) {
        for (const order of await repo.active()) this.drive(order.id);
        await pause(ORDER_SCAN_MS, signal);
      }
    } finally {
      await Promise.allSettled([...this.#driving.values(), refunds, receipts]);
    }
  }

  /** Drives an order from its stored state; one driver per order at a time. */
  drive(id: string): void {
    if (this.#signal.aborted || this.#driving.has(id)) return;
    const run = this.#step(id)
      .catch((err: unknown) => {
        if (!this.#signal.aborted) this.#log.error({ err, order: id }, 'order driver stopped');
      })
      .finally(() => this.#driving.delete(id));
    this.#driving.set(id, run);
  }

  /**
   * Advances an order until it is final. A step that cannot happen yet (the client offline)
   * or that fails (LND or the database down) is tried again with backoff: nothing waits for a
   * restart.
   */
  async #step(id: string): Promise<void> {
    const repo = new Lsps1OrdersRepository(this.#database.db);
    for (let delay = RETRY_MIN_MS; !this.#signal.aborted; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      let progressed = false;
      try {
        const order = await repo.get(id);
        if (!order || FINAL_ORDER_STATES.includes(order.state)) return;
        progressed = await this.#advance(order);
      } catch (err) {
        this.#log.warn(
          { order: id, err: errorMessage(err), retryInMs: delay },
          'order step failed; retrying',
        );
      }
      if (progressed) {
        delay = RETRY_MIN_MS / 2;
        continue;
      }
      await pause(delay, this.#signal); // retry backoff
    }
  }

  /**
   * Performs the pending work of the order's stored state: waits for the payment, or (after a
   * restart, or when the work an effect started failed) the work of the effect that entered
   * the state, through the same method that effect's handler calls. True when it moved.
   */
  async #advance(order: Lsps1OrderRecord): Promise<boolean> {
    switch (order.state) {
      case 'awaiting_payment': {
        const event = await this.#payment(order);
        return event ? this.#moves(order, event) : false;
      }
      case 'payment_held':
        return this.#openChannel(order);
      case 'opening':
        // Nothing is negotiating it (the driver that was died with a restart, or its funding
        // failed): its transaction was never signed, so it is not funded.
        return this.#moves(order, {
          type: 'open_failed',
          reason: 'the open was interrupted before the channel was funded',
        });
      case 'publishing':
        return this.#publish(order);
      case 'settling':
        return this.#settle(order);
      case 'refunding':
        return this.#refund(order);
      default:
        return false;
    }
  }

  /**
   * `open_channel`: once the client is reachable, starts the open and funds the channel through
   * the funder's commit point; past the open deadline the order fails instead. False while the
   * client is offline (the loop tries again).
   */
  async #openChannel(order: Lsps1OrderRecord): Promise<boolean> {
    if (Date.now() - order.updatedAt.getTime() > this.#limits.openDeadlineSeconds * 1000) {
      return this.#moves(order, {
        type: 'open_failed',
        reason: 'the client node did not come online in time',
      });
    }
    const client = parsePubkey(order.clientPubkey);
    if (!(await reachable(this.#lightning, client, order.clientHost, this.#callSignal()))) return false;
    const opening = await this.#apply(order, { type: 'open_started' });
    if (!opening) return true;
    return this.#fund(opening);
  }

  /**
   * Funds the order's channel (one commit point): the `committed` step is written in the
   * funder's transaction and its `publish` performed once that commits, before `fund` resolves.
   * True once it is committed or failed.
   */
  async #fund(order: Lsps1OrderRecord): Promise<boolean> {
    const owner = orderOwner(order);
    const result = await this.#funder.fund([orderChannel(order, this.#schedule)], {
      feeRate: orderFeeRate(order),
      deadlineMs: this.#limits.openTimeoutSeconds * 1000,
      signal: this.#signal,
      commit: async (trx, c, after) => {
        const channel = c.channels[0];
        if (!channel) throw new Error('a funding without the order');
        // A hold invoice whose HTLC LND could cancel before we settle must not be committed to.
        if (order.paymentMethod === 'bolt11')
          await stillHeld(
            { lightning: this.#lightning, holdExpiryDelta: this.#limits.lndHoldExpiryDelta, log: this.#log },
            order,
          );
        const event: OrderEvent = {
          type: 'committed',
          fundingId: c.fundingId,
          txid: c.txid,
          outputIndex: channel.outputIndex,
        };
        if (!(await this.#apply(order, event, {}, trx, after)))
          throw new Error(`order ${order.id} left opening before its commit`);
      },
    });
    const failure = result.failed.get(owner);
    if (failure !== undefined) return this.#moves(order, { type: 'open_failed', reason: failure });
    return result.committed !== undefined;
  }

  /** `publish`: waits until the funding transaction is published, then records it. */
  async #publish(order: Lsps1OrderRecord): Promise<boolean> {
    if (!order.fundingId) throw new Error(`order ${order.id} is publishing without a funding`);
    await this.#funder.published(order.fundingId, this.#signal);
    return this.#moves(order, { type: 'published' });
  }

  /**
   * `settle_invoice` / `release_receipts`: published, the channel is funded, so the payment is
   * kept: the hold invoice settled, or (paid on chain) the receipts that paid released, the
   * LSP's now (what the client paid besides stays leased for its refund).
   */
  async #settle(order: Lsps1OrderRecord): Promise<boolean> {
    const signal = this.#callSignal();
    if (order.paymentMethod === 'onchain') await this.#receipts.releasePaid(order, signal);
    else await settleHeldInvoice(this.#lightning, this.#box, order, signal);
    return this.#moves(order, { type: 'settled' });
  }

  /**
   * `cancel_invoice` into `refunding` / `refund_onchain`: cancels the held payment, or sends
   * the on-chain payment back (once), then records the order as refunded.
   */
  async #refund(order: Lsps1OrderRecord): Promise<boolean> {
    const signal = this.#callSignal();
    if (order.paymentMethod !== 'onchain') {
      await cancelHeldInvoice(this.#lightning, order, signal);
      return this.#moves(order, { type: 'canceled' });
    }
    if (!this.#onchain || !takesOnchain(order)) return this.#moves(order, { type: 'canceled' });
    await dropInvoice(this.#lightning, order, signal);
    try {
      const txid = await this.#onchain.refund(order, signal);
      return this.#moves(order, { type: 'canceled' }, txid ? { refundTxid: txid } : {});
    } catch (err) {
      if (!isLspError(err, ErrorCode.InsufficientFunds)) throw err;
      // Nothing to send back now: too little arrived to pay for its own refund, or what arrived
      // is not confirmed yet (refunded by the receipts' pass once it confirms).
      this.#log.warn(
        { order: order.id, err: err.message },
        'on-chain payment not refunded as the order ended',
      );
      return this.#moves(order, { type: 'canceled' });
    }
  }

  /**
   * Waits for the order's payment: its hold invoice held, or (when offered) a confirmed
   * on-chain payment, whichever comes first; or its expiry. `undefined` when stopped.
   */
  async #payment(order: Lsps1OrderRecord): Promise<OrderEvent | undefined> {
    const done = new AbortController();
    const signal = AbortSignal.any([this.#signal, done.signal]);
    const onchain = this.#onchain && takesOnchain(order) ? this.#onchain.outcome(order, signal) : undefined;
    const invoice = (async (): Promise<OrderEvent | undefined> => {
      const hash = parseHex32(order.paymentHash);
      for await (const inv of this.#lightning.subscribeInvoice(hash, { signal })) {
        if (inv.state === 'accepted') return { type: 'payment_held' };
        const expired =
          inv.state === 'canceled' || (inv.state === 'open' && order.invoiceExpiresAt.getTime() < Date.now());
        // With an on-chain option the order lives on until that option expires.
        if (expired) return onchain ? onchain : { type: 'invoice_expired' };
      }
      return undefined;
    })();
    try {
      return await Promise.race(onchain ? [invoice, onchain] : [invoice]);
    } finally {
      done.abort();
    }
  }

  /** True when the event moved the order (see {@link #apply}). */
  async #moves(
    order: Lsps1OrderRecord,
    event: OrderEvent,
    extra: { readonly refundTxid?: string } = {},
  ): Promise<boolean> {
    return (await this.#apply(order, event, extra)) !== undefined;
  }

  /**
   * Applies an event through the one driver: writes the transition (only from the state we
   * read) with what it records (in `db` when given: the funder's commit transaction, whose
   * effects `afterCommit` performs once it commits), then performs its effects through a
   * handler per effect, each given the order as the step left it: `open_channel`, `publish`,
   * `settle_invoice` / `release_receipts` and `refund_onchain` call the method that does that
   * work and applies the event that ends it (the same method resumes a stored state in
   * {@link #advance}); `cancel_invoice` refunds a held payment, or drops an unused invoice.
   * A handler that throws leaves the state written: the loop resumes it. Returns the order
   * after the step, or `undefined` when the step did not apply.
   */
  async #apply(
    order: Lsps1OrderRecord,
    event: OrderEvent,
    extra: { readonly refundTxid?: string } = {},
    db: Kysely<Schema> = this.#database.db,
    afterCommit?: AfterCommit,
  ): Promise<Lsps1OrderRecord | undefined> {
    const method = paymentMethodOf(event) ?? order.paymentMethod ?? undefined;
    let after: Lsps1OrderRecord = order;
    const perform = (work: (order: Lsps1OrderRecord) => Promise<boolean>) => async () => {
      await work(after);
    };
    const step = await applyStep(orderMachine, order, event, method, {
      db,
      ...(afterCommit ? { afterCommit } : {}),
      log: this.#log,
      persist: (step, db) => {
        const update = {
          state: step.state,
          ...(method && !order.paymentMethod ? { paymentMethod: method } : {}),
          ...extra,
          failure: step.failure,
          fundingId: step.funding?.fundingId,
          fundingTxid: step.funding?.txid,
          fundingOutputIndex: step.funding?.outputIndex,
          // bLIP-51: the channel object appears once the funding transaction is published.
          ...(event.type === 'published' ? { fundedAt: new Date() } : {}),
        };
        after = {
          ...order,
          state: update.state,
          paymentMethod: order.paymentMethod ?? method ?? null,
          failure: update.failure ?? order.failure,
          fundingId: update.fundingId ?? order.fundingId,
          fundingTxid: update.fundingTxid ?? order.fundingTxid,
          fundingOutputIndex: update.fundingOutputIndex ?? order.fundingOutputIndex,
          fundedAt: update.fundedAt ?? order.fundedAt,
          refundTxid: extra.refundTxid ?? order.refundTxid,
          updatedAt: new Date(),
        };
        return new Lsps1OrdersRepository(db).transition(order.id, order.state, update);
      },
      effects: {
        open_channel: perform((o) => this.#openChannel(o)),
        publish: perform((o) => this.#publish(o)),
        settle_invoice: perform((o) => this.#settle(o)),
        release_receipts: perform((o) => this.#settle(o)),
        refund_onchain: perform((o) => this.#refund(o)),
        cancel_invoice: async (_, { to }) => {
          if (to === 'refunding') return perform((o) => this.#refund(o))();
          // Unused: the order expired unpaid, or was paid on chain instead.
          await dropInvoice(this.#lightning, after, AbortSignal.timeout(15_000));
        },
      },
    });
    return step ? after : undefined;
  }

  /** The signal of one call to LND or the wallet: stops with the runner, or after a minute. */
  #callSignal(): AbortSignal {
    return AbortSignal.any([this.#signal, AbortSignal.timeout(60_000)]);
  }
}
