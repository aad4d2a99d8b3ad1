/**
 * Outbound liquidity bought from an upstream LSP over LSPS1 (bLIP-51), through peer messages
 * between our node and the upstream's.
 *
 * A purchase: `lsps1.get_info`, then `lsps1.create_order` with `client_balance_sat` = the
 * outbound we need (plus its channel reserve and some headroom; see `upstream-order-size.ts`
 * for why the client side is ours) and `lsp_balance_sat` at the upstream's minimum. The fee
 * (the upstream's, plus our on-chain payment's) is checked against the caller's `maxFee`; above
 * it the order is left unpaid, costing nothing. Otherwise the order total is paid on-chain from
 * our wallet (we cannot pay over Lightning while short of outbound), and the purchase waits
 * until the upstream's channel is active and a probe proves it carries `amount`.
 *
 * Every step runs on the purchase state machine (`core/liquidity/purchase-machine.ts`), each
 * transition written before it is acted on. A purchase survives a restart: `run` resumes it;
 * one left `paying` is recorded paid when the wallet holds its (labelled) payment, and failed
 * otherwise; it is never paid twice. A caller whose `signal` aborts after the payment stops
 * waiting, but the purchase goes on, and its channel becomes usable later.
 */
import { randomUUID } from 'node:crypto';
import {
  type AcquiredLiquidity,
  type ChannelPoint,
  ErrorCode,
  FINAL_PURCHASE_STATES,
  formatChannelPoint,
  isLspError,
  type LightningBackend,
  type LiquidityLimits,
  type LiquiditySource,
  LspError,
  nextPurchaseState,
  type Pubkey,
  type PurchaseEvent,
  type PurchaseState,
  parseHex32,
  parsePubkey,
  type Sat,
  sat,
  satToMsat,
} from '@blgv/core';
import { type Database, type LiquidityPurchaseRecord, LiquidityPurchasesRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { LspsCallError, LspsPeerClient } from '../lsps/lsps-peer-client.ts';
import { pause } from '../poll.ts';
import { parseUpstreamInfo, parseUpstreamOrder, type UpstreamOrder } from './upstream-lsps1-wire.ts';
import { sizeUpstreamOrder, spendableOf } from './upstream-order-size.ts';
import { findPurchasePayment, purchasePaymentLabel } from './upstream-payment.ts';

/** Where the upstream is and how we buy from it (from config). */
export interface UpstreamSettings {
  readonly pubkey: Pubkey;
  /** `host:port` of the upstream's node. */
  readonly host: string;
  /** Outbound bought on top of the amount, in ppm of it. */
  readonly headroomPpm: bigint;
  readonly channelExpiryBlocks: number;
  readonly requiredConfirmations: number;
  readonly fundingConfirmsWithinBlocks: number;
  /** Confirmation target of our on-chain payment. */
  readonly paymentTargetConf: number;
  /** How long a paid purchase waits for a usable channel before it is recorded failed. */
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  /** Deadline of one LSPS call. */
  readonly callTimeoutMs: number;
}

/** Deadline of the wallet's `sendCoins` (never tied to a caller's signal: it must not be cut). */
const SEND_TIMEOUT_MS = 60_000;
/** A purchase left `ordered` or `paying` this long by another runner is taken as interrupted. */
const STALE_AFTER_MS = 2 * SEND_TIMEOUT_MS;
/** Deadline of the probe proving the channel carries the amount. */
const PROBE_TIMEOUT_SECONDS = 30;
/** LSPS1 `100`: the order's options do not fit the upstream's limits. */
const LSPS1_OPTION_MISMATCH = 100;
/** LSPS1 `101`: no such order. */
const LSPS1_NOT_FOUND = 101;

/** Buys outbound liquidity from one upstream LSP over LSPS1, paying on-chain. */
export class UpstreamLsps1Source implements LiquiditySource {
  readonly #lightning: LightningBackend;
  readonly #database: Database;
  readonly #settings: UpstreamSettings;
  readonly #log: Logger;
  readonly #client: LspsPeerClient;
  /** Purchases being driven, by id, with the amount each was bought for. */
  readonly #driving = new Map<
    string,
    { readonly amount: bigint; readonly done: Promise<AcquiredLiquidity> }
  >();
  /** Wakes waits on the next channel event. */
  readonly #wakers = new Set<() => void>();
  #life: AbortSignal | undefined;

  constructor(deps: {
    lightning: LightningBackend;
    database: Database;
    settings: UpstreamSettings;
    log: Logger;
  }) {
    this.#lightning = deps.lightning;
    this.#database = deps.database;
    this.#settings = deps.settings;
    this.#log = deps.log;
    this.#client = new LspsPeerClient({
      lightning: deps.lightning,
      peer: deps.settings.pubkey,
      timeoutMs: deps.settings.callTimeoutMs,
    });
  }

  /**
   * Runs until `signal` aborts: reads the upstream's answers and channel events, and resumes
   * every unfinished purchase. Resolves once the purchases are resumed; `acquire` works from
   * the moment it is called.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#life = signal;
    void this.#watchChannels(signal);
    await this.#client.start(signal);
    for (const r of await this.#repo().active()) {
      if (r.upstream_pubkey !== this.#settings.pubkey) {
        this.#log.warn(
          { purchase: r.id, upstream: r.upstream_pubkey },
          'purchase from another upstream left as is',
        );
        continue;
      }
      this.#log.info({ purchase: r.id, state: r.state }, 'resuming liquidity purchase');
      this.#drive(r.id, r.amount_sat).catch(() => {});
    }
  }

  /**
   * Buys at least `amount` of outbound and resolves once it carries payments. Refused,
   * costing nothing, with `fee_rate_exceeded` (fee above `maxFee`) or `lsp_insufficient_funds`
   * (the upstream's limits or our wallet do not allow it); `timeout`/`aborted` when `signal`
   * ends the wait (after the payment, the purchase goes on).
   */
  async acquire(amount: Sat, limits: LiquidityLimits): Promise<AcquiredLiquidity> {
    const life = this.#life;
    if (!life || life.aborted)
      throw new LspError(ErrorCode.LightningUnavailable, 'the upstream liquidity source is not running');
    if (amount <= 0n) throw new LspError(ErrorCode.InvalidInput, 'amount must be positive');
    // A purchase resumed after a restart that covers this amount is waited for, not doubled.
    for (const d of this.#driving.values()) if (d.amount >= amount) return until(d.done, limits.signal);
    const id = await this.#orderAndPay(amount, limits, AbortSignal.any([limits.signal, life]));
    return until(this.#drive(id, amount), limits.signal);
  }

  /** Places the order, refuses it (unpaid) or pays it; returns the purchase id once paid. */
  async #orderAndPay(amount: Sat, limits: LiquidityLimits, signal: AbortSignal): Promise<string> {
    const s = this.#settings;
    await this.#lightning.connectPeer(s.pubkey, s.host, signal).catch((err: unknown) => {
      if (signal.aborted) throw stopped(signal);
      throw new LspError(ErrorCode.PeerUnreachable, `cannot reach the upstream LSP ${s.pubkey}@${s.host}`, {
        cause: String(err),
      });
    });
    const info = parseUpstreamInfo(await this.#call('lsps1.get_info', {}, signal));
    const size = sizeUpstreamOrder(amount, s.headroomPpm, info);
    const refundAddress = await this.#lightning.newAddress(signal);
    const order = parseUpstreamOrder(
      await this.#call(
        'lsps1.create_order',
        {
          lsp_balance_sat: size.lspBalance.toString(),
          client_balance_sat: size.clientBalance.toString(),
          required_channel_confirmations: Math.max(s.requiredConfirmations, info.minRequiredConfirmations),
          funding_confirms_within_blocks: s.fundingConfirmsWithinBlocks,
          channel_expiry_blocks: Math.min(s.channelExpiryBlocks, info.maxChannelExpiryBlocks),
          refund_onchain_address: refundAddress,
          announce_channel: false,
        },
        signal,
      ),
    );
    const onchain = checkOrder(order, size);
    const estimate = await this.#lightning.estimateSendFee(
      { address: onchain.address, amount: onchain.orderTotal, targetConf: s.paymentTargetConf },
      signal,
    );
    const record = await this.#repo().insert({
      id: randomUUID(),
      upstream_pubkey: s.pubkey,
      amount_sat: amount,
      max_fee_sat: limits.maxFee,
      order_id: order.id,
      lsp_balance_sat: order.lspBalance,
      client_balance_sat: order.clientBalance,
      fee_total_sat: onchain.feeTotal,
      order_total_sat: onchain.orderTotal,
      pay_address: onchain.address,
      refund_address: refundAddress,
      state: 'ordered',
    });
    const cost = onchain.feeTotal + estimate.fee;
    this.#log.info(
      { purchase: record.id, order: order.id, amount: Number(amount), fee: Number(onchain.feeTotal) },
      'upstream order placed',
    );
    const refuse = async (code: ErrorCode, message: string, details: Record<string, unknown>) => {
      await this.#apply(record, { type: 'refused', reason: message });
      return new LspError(code, message, { purchase: record.id, ...details });
    };
    if (cost > limits.maxFee) {
      throw await refuse(
        ErrorCode.FeeRateExceeded,
        `buying ${amount} sat of outbound from the upstream costs ${cost} sat (its fee ${onchain.feeTotal} + on-chain ${estimate.fee}), above the limit of ${limits.maxFee} sat`,
        { fee: Number(cost), maxFee: Number(limits.maxFee) },
      );
    }
    const wallet = await this.#lightning.walletBalance(signal);
    const needed = onchain.orderTotal + estimate.fee;
    if (wallet.confirmed - wallet.reservedForAnchors < needed) {
      throw await refuse(
        ErrorCode.LspInsufficientFunds,
        `the wallet cannot pay the upstream order: ${needed} sat needed`,
        { needed: Number(needed) },
      );
    }
    if (signal.aborted) throw await refuse(stopped(signal).code, 'stopped before paying', {});
    if (!(await this.#apply(record, { type: 'fee_accepted' })))
      throw new LspError(ErrorCode.Conflict, `purchase ${record.id} was taken over before it was paid`);
    await this.#pay({ ...record, state: 'paying' }, estimate.satPerVbyte);
    return record.id;
  }

  /** Sends the on-chain payment (once) and records it paid, or failed when it did not go out. */
  async #pay(record: LiquidityPurchaseRecord, satPerVbyte: bigint): Promise<void> {
    const { blockHeight } = await this.#lightning.getInfo(AbortSignal.timeout(SEND_TIMEOUT_MS));
    let event: PurchaseEvent;
    try {
      const { txid } = await this.#lightning.sendCoins(
        {
          address: record.pay_address,
          amount: sat(record.order_total_sat),
          satPerVbyte,
          label: purchasePaymentLabel(record.id),
        },
        AbortSignal.timeout(SEND_TIMEOUT_MS),
      );
      const sent = await this.#findPayment(record, blockHeight);
      event = { type: 'paid', txid, onchainFee: sent?.fee ?? 0n };
    } catch (err) {
      // The call may have failed after the transaction went out: the wallet knows.
      const sent = await this.#findPayment(record, blockHeight).catch(() => undefined);
      event = sent
        ? { type: 'paid', txid: sent.txid, onchainFee: sent.fee }
        : { type: 'not_sent', reason: `the payment did not go out: ${errorMessage(err)}` };
    }
    await this.#apply(record, event);
    if (event.type === 'not_sent') throw new LspError(ErrorCode.LspInsufficientFunds, event.reason);
  }

  /** Drives purchase `id` to a final state (one driver per purchase). */
  #drive(id: string, amount: bigint): Promise<AcquiredLiquidity> {
    const current = this.#driving.get(id);
    if (current) return current.done;
    const done = this.#advance(id).finally(() => this.#driving.delete(id));
    this.#driving.set(id, { amount, done });
    return done;
  }

  async #advance(id: string): Promise<AcquiredLiquidity> {
    const life = this.#life ?? AbortSignal.abort();
    for (;;) {
      if (life.aborted) throw stopped(life);
      const r = await this.#repo().get(id);
      if (!r) throw new LspError(ErrorCode.NotFound, `no liquidity purchase ${id}`);
      const state = r.state as PurchaseState;
      if (state === 'completed') return acquiredOf(r);
      if (FINAL_PURCHASE_STATES.includes(state)) {
        throw new LspError(
          ErrorCode.LspInsufficientFunds,
          `liquidity purchase ${state}: ${r.failure ?? ''}`,
          {
            purchase: id,
            state,
          },
        );
      }
      const stale = Date.now() - r.updated_at.getTime() > STALE_AFTER_MS;
      if ((state === 'ordered' || state === 'paying') && !stale) {
        // Another runner may be sending it right now: look again once it is surely done.
        await pause(STALE_AFTER_MS, life);
        continue;
      }
      try {
        await this.#apply(r, await this.#step(r, life));
      } catch (err) {
        if (life.aborted) throw stopped(life);
        // The node or the database is away for a moment: the state is stored, try again.
        this.#log.warn({ purchase: id, state, err: errorMessage(err) }, 'purchase step failed; retrying');
        await pause(this.#settings.pollIntervalMs, life);
      }
    }
  }

  /** What happens next to a purchase in a non-final state other than a fresh `ordered`/`paying`. */
  async #step(r: LiquidityPurchaseRecord, life: AbortSignal): Promise<PurchaseEvent> {
    switch (r.state as PurchaseState) {
      case 'ordered':
        return { type: 'refused', reason: 'interrupted before it was paid' };
      case 'paying': {
        const sent = await this.#findPayment(r, 0);
        return sent
          ? { type: 'paid', txid: sent.txid, onchainFee: sent.fee }
          : { type: 'not_sent', reason: 'interrupted before the payment went out' };
      }
      case 'paid':
        return this.#awaitChannel(r, life);
      default:
        return this.#awaitUsable(r, life);
    }
  }

  /** Waits (in `paid`) until the upstream publishes the channel's funding, fails, or times out. */
  async #awaitChannel(r: LiquidityPurchaseRecord, signal: AbortSignal): Promise<PurchaseEvent> {
    const deadline = r.updated_at.getTime() + this.#settings.timeoutMs;
    for (;;) {
      try {
        const order = parseUpstreamOrder(
          await this.#call('lsps1.get_order', { order_id: r.order_id }, signal),
        );
        if (order.state === 'FAILED')
          return {
            type: 'order_failed',
            reason: 'the upstream failed the order (it refunds the payment to our refund address)',
          };
        if (order.fundingOutpoint)
          return { type: 'order_completed', fundingOutpoint: formatChannelPoint(order.fundingOutpoint) };
      } catch (err) {
        if (isLspError(err, ErrorCode.Aborted)) throw err;
        if (err instanceof LspError && err.details?.lspsCode === LSPS1_NOT_FOUND)
          return { type: 'order_failed', reason: `the upstream does not know order ${r.order_id}` };
        this.#log.debug({ purchase: r.id, err: errorMessage(err) }, 'upstream order not readable; retrying');
        const s = this.#settings;
        await this.#lightning.connectPeer(s.pubkey, s.host, signal).catch(() => {});
      }
      if (Date.now() > deadline)
        return {
          type: 'gave_up',
          reason: `no channel from the upstream within ${this.#settings.timeoutMs / 1000} s`,
        };
      await this.#nextChannelEventOr(this.#settings.pollIntervalMs, signal);
      if (signal.aborted) throw stopped(signal);
    }
  }

  /** Waits (in `opening`) until the channel is active and a probe proves it carries the amount. */
  async #awaitUsable(r: LiquidityPurchaseRecord, signal: AbortSignal): Promise<PurchaseEvent> {
    const deadline = r.updated_at.getTime() + this.#settings.timeoutMs;
    const point = r.funding_outpoint ?? '';
    for (;;) {
      const channel = (await this.#lightning.listChannels(signal)).find(
        (c) => c.active && formatChannelPoint(c.channelPoint) === point,
      );
      const spendable = channel ? spendableOf(channel) : sat(0n);
      if (channel && spendable > 0n) {
        const probe = spendable < r.amount_sat ? spendable : sat(r.amount_sat);
        const result = await this.#lightning.probe(
          {
            destination: this.#settings.pubkey,
            amount: satToMsat(probe),
            outgoingScid: channel.scid,
            timeoutSeconds: PROBE_TIMEOUT_SECONDS,
          },
          signal,
        );
        if (result.status === 'failed' && result.reason === 'incorrect_payment_details') {
          if (spendable < r.amount_sat)
            this.#log.warn(
              { purchase: r.id, spendable: Number(spendable) },
              'bought channel carries less than asked',
            );
          return { type: 'usable', outbound: spendable };
        }
      }
      if (Date.now() > deadline)
        return {
          type: 'gave_up',
          reason: `channel ${point} not usable within ${this.#settings.timeoutMs / 1000} s`,
        };
      await this.#nextChannelEventOr(this.#settings.pollIntervalMs, signal);
      if (signal.aborted) throw stopped(signal);
    }
  }

  /** Persists a transition from the record's state; false when the purchase had moved on. */
  async #apply(r: LiquidityPurchaseRecord, event: PurchaseEvent): Promise<boolean> {
    const from = r.state as PurchaseState;
    const t = nextPurchaseState(from, event);
    const moved = await this.#repo().transition(r.id, from, t);
    if (moved)
      this.#log.info(
        { purchase: r.id, from, to: t.state, ...(t.failure ? { failure: t.failure } : {}) },
        'purchase transition',
      );
    return moved;
  }

  /** Calls the upstream; LSPS error answers become {@link LspError}s. */
  async #call(method: string, params: object, signal: AbortSignal): Promise<unknown> {
    try {
      return await this.#client.call(method, params, signal);
    } catch (err) {
      if (!(err instanceof LspsCallError)) throw err;
      const code =
        err.code === LSPS1_OPTION_MISMATCH ? ErrorCode.LspInsufficientFunds : ErrorCode.LightningRejected;
      throw new LspError(code, `the upstream LSP refused: ${err.message}`, {
        lspsCode: err.code,
        data: err.data,
      });
    }
  }

  async #findPayment(r: LiquidityPurchaseRecord, startHeight: number) {
    const txs = await this.#lightning.listOnchainTransactions(
      { startHeight },
      AbortSignal.timeout(SEND_TIMEOUT_MS),
    );
    return findPurchasePayment(txs, { id: r.id, payAddress: r.pay_address });
  }

  /** Resolves at the next channel event, after `ms`, or when `signal` aborts. */
  #nextChannelEventOr(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async #watchChannels(signal: AbortSignal): Promise<void> {
    try {
      for await (const _ of this.#lightning.channelEvents({ signal })) {
        for (const wake of [...this.#wakers]) wake();
      }
    } catch (err) {
      if (!signal.aborted) this.#log.warn({ err: errorMessage(err) }, 'channel events ended; polling only');
    }
  }

  #repo(): LiquidityPurchasesRepository {
    return new LiquidityPurchasesRepository(this.#database.db);
  }
}

/**
 * The upstream source the config asks for (`liquidity.upstream`), or `undefined` when none is
 * configured. Its `run` must be started with the server's jobs.
 */
export function liquiditySourceFromConfig(
  config: Pick<Config, 'liquidity'>,
  deps: { lightning: LightningBackend; database: Database; log: Logger },
): UpstreamLsps1Source | undefined {
  const u = config.liquidity.upstream;
  if (!u) return undefined;
  const at = u.uri.indexOf('@');
  return new UpstreamLsps1Source({
    ...deps,
    settings: {
      pubkey: parsePubkey(u.uri.slice(0, at).toLowerCase()),
      host: u.uri.slice(at + 1),
      headroomPpm: BigInt(u.headroomPpm),
      channelExpiryBlocks: u.channelExpiryBlocks,
      requiredConfirmations: u.requiredConfirmations,
      fundingConfirmsWithinBlocks: u.fundingConfirmsWithinBlocks,
      paymentTargetConf: u.paymentTargetConf,
      timeoutMs: u.timeoutSeconds * 1000,
      pollIntervalMs: u.pollIntervalMs,
      callTimeoutMs: u.callTimeoutMs,
    },
  });
}

/** Checks the order is the one we asked for and payable on-chain; returns its on-chain option. */
function checkOrder(order: UpstreamOrder, size: { lspBalance: Sat; clientBalance: Sat }) {
  if (order.lspBalance !== size.lspBalance || order.clientBalance !== size.clientBalance) {
    throw new LspError(
      ErrorCode.LightningRejected,
      `the upstream's order ${order.id} has other balances than asked`,
    );
  }
  const onchain = order.onchain;
  if (!onchain) {
    throw new LspError(
      ErrorCode.LspInsufficientFunds,
      'the upstream LSP offers no on-chain payment, and Lightning cannot pay it while outbound is short',
    );
  }
  if (onchain.orderTotal !== onchain.feeTotal + order.clientBalance) {
    throw new LspError(
      ErrorCode.LightningRejected,
      `the upstream's order total ${onchain.orderTotal} is not its fee ${onchain.feeTotal} plus the client balance ${order.clientBalance}`,
    );
  }
  return onchain;
}

/** The liquidity a completed purchase gave. */
function acquiredOf(r: LiquidityPurchaseRecord): AcquiredLiquidity {
  const [txid, index] = (r.funding_outpoint ?? '').split(':');
  const channelPoint: ChannelPoint = { txid: parseHex32(txid ?? ''), outputIndex: Number(index) };
  return {
    outbound: sat(r.outbound_sat ?? 0n),
    fee: sat(r.fee_total_sat + (r.onchain_fee_sat ?? 0n)),
    channelPoint,
    reference: `lsps1:${r.upstream_pubkey}:${r.order_id}`,
  };
}

/** Waits for `done` until `signal` aborts; the work itself goes on. */
function until<T>(done: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(stopped(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopped(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    done.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The error for a wait ended by `signal`: `timeout` for a deadline, else `aborted`. */
function stopped(signal: AbortSignal): LspError {
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
  return timedOut
    ? new LspError(ErrorCode.Timeout, 'gave up waiting for liquidity from the upstream LSP')
    : new LspError(ErrorCode.Aborted, 'stopped waiting for liquidity from the upstream LSP');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
