/**
 * Drives LSPS1 orders to a final state, one driver per order, through the order machine and
 * the one step driver: waits for the payment (hold invoice or on-chain), opens the channel
 * through the {@link ChannelFunder}'s commit point once the client is reachable, publishes,
 * settles the hold invoice (or keeps the on-chain payment), or refunds. A step that cannot
 * happen yet or fails is retried with backoff; after a restart every unfinished order resumes
 * from its stored state. Meanwhile what orders' addresses receive stays leased and stray
 * payments go back (`receipts-keeping.ts`).
 */
import {
  CHANNEL_FUNDING_VBYTES,
  ErrorCode,
  type FeeSchedule,
  FINAL_ORDER_STATES,
  type InvoicesPort,
  isLspError,
  type NodePort,
  type OrderEvent,
  orderMachine,
  type PaymentMethod,
  type PeersPort,
  type Pubkey,
  parseHex32,
  parsePubkey,
  sat,
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
import { forwardingFees } from '../channels/forwarding-policy.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { type AfterCommit, applyStep } from '../machines/apply-step.ts';
import { pause } from '../poll.ts';
import { heldHtlcCheck } from './hold-timing.ts';
import { type OnchainPayments, takesOnchain } from './lsps1-onchain.ts';
import type { Lsps1Limits } from './lsps1-service.ts';
import type { OrderReceipts } from './order-receipts.ts';
import { keepReceipts } from './receipts-keeping.ts';

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** How often unfinished orders are looked for (orders taken through another replica). */
const ORDER_SCAN_MS = 1_000;
const MEMO_PREFIX = 'lsps1:';

/**
 * The Lightning calls the order runner makes: following, settling and cancelling an order's
 * hold invoice, the block height, and connecting to the client before its channel opens.
 */
export type OrderRunnerLightning = Pick<
  InvoicesPort,
  'cancelInvoice' | 'lookupInvoice' | 'settleInvoice' | 'subscribeInvoice'
> &
  Pick<NodePort, 'getInfo'> &
  Pick<PeersPort, 'connectPeer' | 'listPeers'>;

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
          { order: id, err: err instanceof Error ? err.message : String(err), retryInMs: delay },
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

  /** Performs what the order's state calls for; true when the state moved. */
  async #advance(order: Lsps1OrderRecord): Promise<boolean> {
    const state = order.state;
    const signal = AbortSignal.any([this.#signal, AbortSignal.timeout(60_000)]);
    const hash = parseHex32(order.paymentHash);
    switch (state) {
      case 'awaiting_payment': {
        const event = await this.#payment(order);
        return event ? this.#apply(order, event) : false;
      }
      case 'payment_held': {
        if (Date.now() - order.updatedAt.getTime() > this.#limits.openDeadlineSeconds * 1000) {
          return this.#apply(order, {
            type: 'open_failed',
            reason: 'the client node did not come online in time',
          });
        }
        const client = parsePubkey(order.clientPubkey);
        const online = await this.#reachable(client, order.clientHost, signal);
        if (!online) return false;
        if (!(await this.#apply(order, { type: 'open_started' }))) return true;
        return this.#open({ ...order, state: 'opening' });
      }
      case 'opening':
        // Nothing is negotiating it (the driver that was died with a restart, or its funding
        // failed): its transaction was never signed, so it is not funded.
        return this.#apply(order, {
          type: 'open_failed',
          reason: 'the open was interrupted before the channel was funded',
        });
      case 'publishing':
        if (!order.fundingId) throw new Error(`order ${order.id} is publishing without a funding`);
        await this.#funder.published(order.fundingId, this.#signal);
        return this.#apply(order, { type: 'published' });
      case 'settling':
        // Published: the channel is funded, so the payment is kept (on chain: the LSP's now).
        if (order.paymentMethod === 'onchain') {
          await this.#receipts.release(order.id, undefined, signal);
          return this.#apply(order, { type: 'settled' });
        }
        await this.#lightning
          .settleInvoice(parseHex32(this.#box.open(order.preimageCiphertext)), signal)
          .catch((err: unknown) => {
            if (!/already settled/i.test(String(err))) throw err;
          });
        return this.#apply(order, { type: 'settled' });
      case 'refunding':
        if (order.paymentMethod === 'onchain') return this.#refundOnchain(order, signal);
        await this.#lightning.cancelInvoice(hash, signal).catch((err: unknown) => {
          if (
            !/already canceled|already cancelled/i.test(String(err)) &&
            !isLspError(err, ErrorCode.NotFound)
          )
            throw err;
        });
        return this.#apply(order, { type: 'canceled' });
      default:
        return false;
    }
  }

  /** Funds the order's channel (one commit point); true once it is committed or failed. */
  async #open(order: Lsps1OrderRecord): Promise<boolean> {
    const result = await this.#funder.fund(
      [
        {
          owner: `lsps1:${order.id}`,
          open: {
            ...forwardingFees(this.#schedule),
            remotePubkey: parsePubkey(order.clientPubkey),
            localAmount: sat(order.lspBalanceSat + order.clientBalanceSat),
            pushAmount: sat(order.clientBalanceSat),
            private: !order.announceChannel,
            memo: `${MEMO_PREFIX}${order.id}`,
          },
        },
      ],
      {
        feeRate: this.#orderFeeRate(order),
        deadlineMs: this.#limits.openTimeoutSeconds * 1000,
        signal: this.#signal,
        commit: async (trx, c, after) => {
          const channel = c.channels[0];
          if (!channel) throw new Error('a funding without the order');
          // A hold invoice whose HTLC LND could cancel before we settle must not be committed to.
          if (order.paymentMethod === 'bolt11') await this.#stillHeld(order);
          const event: OrderEvent = {
            type: 'committed',
            fundingId: c.fundingId,
            txid: c.txid,
            outputIndex: channel.outputIndex,
          };
          if (!(await this.#apply(order, event, {}, trx, after)))
            throw new Error(`order ${order.id} left opening before its commit`);
        },
      },
    );
    const failure = result.failed.get(`lsps1:${order.id}`);
    if (failure !== undefined) return this.#apply(order, { type: 'open_failed', reason: failure });
    return result.committed !== undefined;
  }

  /**
   * Throws (cancelling the open before its commit point) unless LND still holds the order's
   * HTLC, expiring far enough above the chain's height that LND cannot cancel it before the
   * funding is published and the invoice settled.
   */
  async #stillHeld(order: Lsps1OrderRecord): Promise<void> {
    const signal = AbortSignal.timeout(15_000);
    const [invoice, info] = await Promise.all([
      this.#lightning.lookupInvoice(parseHex32(order.paymentHash), signal),
      this.#lightning.getInfo(signal),
    ]);
    const held = heldHtlcCheck(invoice, info.blockHeight, this.#limits.lndHoldExpiryDelta);
    if (!held.ok) {
      this.#log.warn(
        { order: order.id, reason: held.reason },
        'payment no longer safely held; not committing',
      );
      throw new Error(held.reason);
    }
  }

  /** The fee rate the order's network fee was priced at (its share is exact: rate x vbytes). */
  #orderFeeRate(order: Lsps1OrderRecord): bigint {
    const rate = order.networkFeeSat / CHANNEL_FUNDING_VBYTES;
    return rate >= 1n ? rate : 1n;
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

  /** Refunds an on-chain payment (once), then records the order as refunded. */
  async #refundOnchain(order: Lsps1OrderRecord, signal: AbortSignal): Promise<boolean> {
    if (!this.#onchain || !takesOnchain(order)) return this.#apply(order, { type: 'canceled' });
    await this.#lightning.cancelInvoice(parseHex32(order.paymentHash), signal).catch(() => {});
    try {
      const txid = await this.#onchain.refund(order, signal);
      return this.#apply(order, { type: 'canceled' }, txid ? { refundTxid: txid } : {});
    } catch (err) {
      if (!isLspError(err, ErrorCode.InsufficientFunds)) throw err;
      // Too little arrived to pay for its own refund: nothing can be sent back.
      this.#log.warn({ order: order.id, err: err.message }, 'on-chain payment too small to refund');
      return this.#apply(order, { type: 'canceled' });
    }
  }

  /**
   * Applies an event through the one driver: writes the transition (only from the state we
   * read) with what it records (in `db` when given: the funder's commit transaction), then its
   * effects. The loop performs the work each state names (open, publish, settle, refund) on its
   * next pass, and again after a restart; a cancel no later state looks at runs here.
   */
  async #apply(
    order: Lsps1OrderRecord,
    event: OrderEvent,
    extra: { readonly refundTxid?: string } = {},
    db: Kysely<Schema> = this.#database.db,
    afterCommit?: AfterCommit,
  ): Promise<boolean> {
    const method = paymentMethodOf(event) ?? order.paymentMethod ?? undefined;
    const byTheLoop = () => {};
    const step = await applyStep(orderMachine, order, event, method, {
      db,
      ...(afterCommit ? { afterCommit } : {}),
      log: this.#log,
      persist: (step, db) =>
        new Lsps1OrdersRepository(db).transition(order.id, order.state, {
          state: step.state,
          ...(method && !order.paymentMethod ? { paymentMethod: method } : {}),
          ...extra,
          failure: step.failure,
          fundingId: step.funding?.fundingId,
          fundingTxid: step.funding?.txid,
          fundingOutputIndex: step.funding?.outputIndex,
          // bLIP-51: the channel object appears once the funding transaction is published.
          ...(event.type === 'published' ? { fundedAt: new Date() } : {}),
        }),
      effects: {
        open_channel: byTheLoop,
        publish: byTheLoop,
        settle_invoice: byTheLoop,
        refund_onchain: byTheLoop,
        cancel_invoice: async (_, { to }) => {
          // Refunding cancels in the loop (and moves on once it did); an expired order's or an
          // order paid on-chain instead has no later step that would.
          if (to !== 'expired' && event.type !== 'onchain_paid') return;
          await this.#lightning
            .cancelInvoice(parseHex32(order.paymentHash), AbortSignal.timeout(15_000))
            .catch(() => {});
        },
      },
    });
    return step !== undefined;
  }

  async #reachable(client: Pubkey, host: string | null, signal: AbortSignal): Promise<boolean> {
    const peers = await this.#lightning.listPeers(signal);
    if (peers.some((p) => p.pubkey === client)) return true;
    if (!host) return false;
    return this.#lightning.connectPeer(client, host, signal).then(
      () => true,
      () => false,
    );
  }
}

/** The payment method an event establishes, if any. */
function paymentMethodOf(event: OrderEvent): PaymentMethod | undefined {
  if (event.type === 'payment_held') return 'bolt11';
  if (event.type === 'onchain_paid' || event.type === 'underpaid_expired') return 'onchain';
  return undefined;
}
