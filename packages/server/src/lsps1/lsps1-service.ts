/**
 * LSPS1 channel orders: priced from the fee schedule plus the network fee of the channel's
 * funding (at the LSP's estimate for the order's confirmation target), paid by a hold invoice
 * or (when the client gives a refund address) on-chain, driven by the order state machine in
 * `core`. Each transition is persisted before its effects run, and a step that fails is retried
 * with backoff until the order is final. The channel is funded through the
 * {@link ChannelFunder} (one commit point); the hold invoice is settled only after the funding
 * transaction is published, and cancelled (the payer refunded) if the channel is not funded; an
 * on-chain payment is refunded to the refund address instead. What an order's address
 * receives is leased for the order until it is the LSP's or refunded ({@link OrderReceipts}),
 * and a hold invoice's HTLC is checked still held, with room, right before the commit point
 * (`hold-timing.ts`).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  boundedFeeRate,
  CHANNEL_FUNDING_VBYTES,
  channelNetworkFee,
  ErrorCode,
  type FeeSchedule,
  FINAL_ORDER_STATES,
  isLspError,
  type LightningBackend,
  type OrderEvent,
  orderMachine,
  type PaymentMethod,
  type Pubkey,
  parseHex32,
  parsePubkey,
  quoteChannelOpening,
  sat,
  satToMsat,
} from '@blgv/core';
import { type CreateOrderParams, Lsps1Error, type Lsps1Info, type Lsps1Order } from '@blgv/protocol';
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
import { Admission } from '../lsps0/admission.ts';
import type { OrderOwner } from '../lsps0/order-owner.ts';
import { RpcError } from '../lsps0/rpc-error.ts';
import { applyStep } from '../machines/apply-step.ts';
import { pause } from '../poll.ts';
import { heldHtlcCheck } from './hold-timing.ts';
import {
  NO_ONCHAIN_OPTION,
  type OnchainPaymentLimits,
  OnchainPayments,
  takesOnchain,
} from './lsps1-onchain.ts';
import { lsps1Options, optionMismatch } from './lsps1-options.ts';
import { orderToWire } from './lsps1-wire.ts';
import type { OrderReceipts } from './order-receipts.ts';

/** LSPS1 limits (from config). */
export interface Lsps1Limits {
  readonly minLspBalance: number;
  readonly maxLspBalance: number;
  readonly maxClientBalance: number;
  readonly maxChannelExpiryBlocks: number;
  readonly invoiceExpirySeconds: number;
  /** How long a paid order may wait for its client to come online before it is refunded. */
  readonly openDeadlineSeconds: number;
  /** How long an online client has to accept, and then to sign, the channel. */
  readonly openTimeoutSeconds: number;
  /** The hold invoice's CLTV (blocks): room for the open before the payer's HTLC expires. */
  readonly holdInvoiceCltv: number;
  /** LND's `invoices.holdexpirydelta`: it cancels held HTLCs this many blocks before expiry. */
  readonly lndHoldExpiryDelta: number;
  /** Bounds of the funding fee rate (sat/vB) the network fee is priced at. */
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
  /** On-chain payment of orders that give a refund address; absent: bolt11 only. */
  readonly onchain?: OnchainPaymentLimits;
  /** Unpaid orders one client, and all together, may have at once. */
  readonly maxUnpaidOrdersPerClient: number;
  readonly maxUnpaidOrders: number;
}

/** Confirmations we use for every LSPS1 channel (the funding must confirm; no zero-conf). */
const REQUIRED_CONFIRMATIONS = 1;
/** The longest between two looks at every order's receipts (leases renewed, released, refunded). */
const RECEIPTS_PASS_MAX_MS = 60_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** How often unfinished orders are looked for (orders taken through another replica). */
const ORDER_SCAN_MS = 1_000;
const MEMO_PREFIX = 'lsps1:';

/** The LSPS1 service. */
export class Lsps1Service {
  readonly #database: Database;
  readonly #lightning: LightningBackend;
  readonly #box: SecretBox;
  readonly #schedule: FeeSchedule;
  readonly #limits: Lsps1Limits;
  readonly #log: Logger;
  readonly #onchain: OnchainPayments | undefined;
  readonly #funder: ChannelFunder;
  readonly #receipts: OrderReceipts;
  readonly #options: Lsps1Info;
  /** One driver at a time per order. */
  readonly #driving = new Map<string, Promise<void>>();
  #signal: AbortSignal = AbortSignal.abort();
  readonly #admission: Admission;

  constructor(deps: {
    database: Database;
    lightning: LightningBackend;
    box: SecretBox;
    schedule: FeeSchedule;
    limits: Lsps1Limits;
    funder: ChannelFunder;
    /** Keeps what orders' addresses receive leased (also the funder's guard). */
    receipts: OrderReceipts;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#funder = deps.funder;
    this.#receipts = deps.receipts;
    this.#box = deps.box;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#admission = new Admission(
      'unpaid orders',
      { perOwner: deps.limits.maxUnpaidOrdersPerClient, total: deps.limits.maxUnpaidOrders },
      (kind, owner) => new Lsps1OrdersRepository(deps.database.db).countUnpaid(kind, owner),
    );
    this.#log = deps.log;
    this.#options = lsps1Options({
      minChannel: deps.limits.minLspBalance,
      maxChannel: deps.limits.maxLspBalance,
      maxClientBalance: deps.limits.maxClientBalance,
      maxChannelExpiryBlocks: deps.limits.maxChannelExpiryBlocks,
      minRequiredConfirmations: REQUIRED_CONFIRMATIONS,
    });
    this.#onchain = deps.limits.onchain
      ? new OnchainPayments({
          database: deps.database,
          lightning: deps.lightning,
          limits: deps.limits.onchain,
          feeRates: deps.limits,
          receipts: deps.receipts,
          log: deps.log,
        })
      : undefined;
  }

  /** `lsps1.get_info`: the options every order is checked against. */
  info(): Lsps1Info {
    return this.#options;
  }

  /**
   * `lsps1.create_order`: checks the order against the advertised options (`100` naming the
   * option it falls outside of), issues the hold invoice, records the order.
   */
  async createOrder(owner: OrderOwner, p: CreateOrderParams): Promise<Lsps1Order> {
    return this.#admission.admit(owner, () => this.#createOrder(owner, p));
  }

  async #createOrder(owner: OrderOwner, p: CreateOrderParams): Promise<Lsps1Order> {
    const l = this.#limits;
    const lspBalance = BigInt(p.lsp_balance_sat);
    const clientBalance = BigInt(p.client_balance_sat);
    const mismatch = optionMismatch(this.#options, {
      lspBalance,
      clientBalance,
      requiredChannelConfirmations: p.required_channel_confirmations,
      fundingConfirmsWithinBlocks: p.funding_confirms_within_blocks,
      channelExpiryBlocks: p.channel_expiry_blocks,
    });
    if (mismatch) throw new RpcError(Lsps1Error.OptionMismatch, 'Option mismatch', mismatch);
    // We issue no tokens: any token is unrecognized (bLIP-51: 102, data {}).
    if (p.token !== undefined && p.token !== '')
      throw new RpcError(Lsps1Error.BadToken, 'Unrecognized or stale token', {});

    let clientPubkey: Pubkey;
    if (owner.kind === 'node') clientPubkey = owner.pubkey;
    else if (p.client_node_pubkey) clientPubkey = parsePubkey(p.client_node_pubkey);
    else
      throw new RpcError(-32602, 'invalid params', {
        property: 'client_node_pubkey',
        message: 'required over HTTP: the node to open the channel to',
      });

    const signal = AbortSignal.timeout(15_000);
    // The network fee: the channel's share of its funding at the LSP's estimate for the
    // confirmation target the client asked for.
    const feeRate = await this.#feeRate(p.funding_confirms_within_blocks, signal);
    const networkFee = channelNetworkFee(feeRate).total;
    const fee = quoteChannelOpening(this.#schedule, sat(lspBalance + clientBalance)).total + networkFee;
    const orderTotal = fee + clientBalance;
    const preimage = randomBytes(32);
    const paymentHash = parseHex32(createHash('sha256').update(preimage).digest('hex'));
    const id = randomUUID();
    const invoiceExpiresAt = new Date(Date.now() + l.invoiceExpirySeconds * 1000);
    const onchain =
      p.refund_onchain_address && this.#onchain
        ? await this.#onchain.option(p.refund_onchain_address, invoiceExpiresAt, signal)
        : NO_ONCHAIN_OPTION;
    const { paymentRequest } = await this.#lightning.addHoldInvoice(
      {
        paymentHash,
        amount: satToMsat(sat(orderTotal)),
        memo: `LSPS1 order ${id}`,
        expirySeconds: l.invoiceExpirySeconds,
        cltvExpiry: l.holdInvoiceCltv,
      },
      signal,
    );
    const record = await new Lsps1OrdersRepository(this.#database.db).insert({
      id,
      ownerKind: owner.kind,
      owner: owner.kind === 'node' ? owner.pubkey : owner.tenantId,
      clientPubkey,
      clientHost: p.client_node_host ?? null,
      lspBalanceSat: sat(lspBalance),
      clientBalanceSat: sat(clientBalance),
      requiredChannelConfirmations: p.required_channel_confirmations,
      fundingConfirmsWithinBlocks: p.funding_confirms_within_blocks,
      channelExpiryBlocks: p.channel_expiry_blocks,
      token: p.token ?? '',
      refundOnchainAddress: p.refund_onchain_address ?? null,
      announceChannel: p.announce_channel,
      feeTotalSat: sat(fee),
      networkFeeSat: networkFee,
      orderTotalSat: sat(orderTotal),
      paymentHash,
      invoice: paymentRequest,
      preimageCiphertext: this.#box.seal(preimage.toString('hex')),
      invoiceExpiresAt,
      ...onchain,
    });
    this.#log.info(
      {
        order: id,
        client: clientPubkey,
        lspBalance: Number(lspBalance),
        fee: Number(fee),
        networkFee: Number(networkFee),
      },
      'order created',
    );
    this.#drive(id);
    return orderToWire(record);
  }

  /** `lsps1.get_order`: only the owner sees an order. */
  async getOrder(owner: OrderOwner, orderId: string): Promise<Lsps1Order> {
    const r = await new Lsps1OrdersRepository(this.#database.db).getOwned(
      orderId,
      owner.kind,
      owner.kind === 'node' ? owner.pubkey : owner.tenantId,
    );
    if (!r) throw new RpcError(Lsps1Error.NotFound, 'Not found', {});
    return orderToWire(r);
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
    const receipts = this.#keepReceipts(signal);
    const repo = new Lsps1OrdersRepository(this.#database.db);
    try {
      // Orders taken by another replica's API are found here: one driver per order, in the
      // replica that holds this job's lease.
      while (!signal.aborted) {
        for (const order of await repo.active()) this.#drive(order.id);
        await pause(ORDER_SCAN_MS, signal);
      }
    } finally {
      await Promise.allSettled([...this.#driving.values(), refunds, receipts]);
    }
  }

  /**
   * Looks after every order's receipts until `signal` aborts: leased while held, released once
   * the LSP's, and sent back when they paid for nothing (the order was paid by its invoice, or
   * had expired unpaid).
   */
  async #keepReceipts(signal: AbortSignal): Promise<void> {
    const poll = this.#limits.onchain?.pollIntervalMs;
    const interval = poll ? Math.min(RECEIPTS_PASS_MAX_MS, Math.max(1_000, poll * 12)) : RECEIPTS_PASS_MAX_MS;
    while (!signal.aborted) {
      try {
        const pass = AbortSignal.any([signal, AbortSignal.timeout(60_000)]);
        for (const order of await this.#receipts.pass(pass, interval / 2))
          await this.#refundStray(order, pass);
      } catch (err) {
        if (!signal.aborted)
          this.#log.warn({ err: String(err) }, "order receipts' pass failed; trying again");
      }
      await pause(interval, signal);
    }
  }

  /** Sends back what an order's address received though the order was not paid by it. */
  async #refundStray(order: Lsps1OrderRecord, signal: AbortSignal): Promise<void> {
    if (!this.#onchain || !takesOnchain(order)) return;
    try {
      const txid = await this.#onchain.refund(order, signal);
      if (txid)
        this.#log.info(
          { order: order.id, txid },
          'payment to the address of an order not paid by it refunded',
        );
    } catch (err) {
      if (isLspError(err, ErrorCode.InsufficientFunds)) return; // too little to pay for its own refund
      this.#log.warn(
        { order: order.id, err: String(err) },
        'stray on-chain payment not refunded; trying again',
      );
    }
  }

  /** Drives an order from its stored state; one driver per order at a time. */
  #drive(id: string): void {
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
        commit: async (trx, c) => {
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
          if (!(await this.#apply(order, event, {}, trx)))
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

  /** The funding fee rate for a confirmation target, within the configured bounds. */
  async #feeRate(targetConf: number, signal: AbortSignal): Promise<bigint> {
    const target = Math.min(Math.max(targetConf, 1), 1008);
    const { satPerVbyte } = await this.#lightning.estimateFee(target, signal);
    return boundedFeeRate(satPerVbyte, this.#limits);
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
  ): Promise<boolean> {
    const method = paymentMethodOf(event) ?? order.paymentMethod ?? undefined;
    const byTheLoop = () => {};
    const step = await applyStep(orderMachine, order, event, method, {
      db,
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
