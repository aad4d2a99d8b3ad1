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
 * until the upstream's channel is active with `amount` spendable on our side and a probe routes
 * over it.
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
  type LiquidityLimits,
  type LiquiditySource,
  LspError,
  type Pubkey,
  type PurchaseEvent,
  parseHex32,
  purchaseMachine,
  type Sat,
  sat,
} from '@blgv/core';
import {
  type Database,
  type LiquidityPurchaseRecord,
  LiquidityPurchasesRepository,
  PaymentPurposesRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { LspsCallError, LspsPeerClient } from '../lsps0/lsps-peer-client.ts';
import { applyStep } from '../machines/apply-step.ts';
import { recordedProbe } from '../monitoring/own-payments.ts';
import { pause, untilAborted } from '../poll.ts';
import { parseUpstreamInfo, parseUpstreamOrder, payableOnchain } from './upstream-lsps1-wire.ts';
import { sizeUpstreamOrder } from './upstream-order-size.ts';
import { findPurchasePayment, purchasePaymentLabel } from './upstream-payment.ts';
import { PurchaseWaits, stopped, until } from './upstream-purchase-waits.ts';
import type { UpstreamLsps1SourceLightning } from './upstream-source-lightning.ts';

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
/** LSPS1 `100`: the order's options do not fit the upstream's limits. */
const LSPS1_OPTION_MISMATCH = 100;

/** Buys outbound liquidity from one upstream LSP over LSPS1, paying on-chain. */
export class UpstreamLsps1Source implements LiquiditySource {
  readonly #lightning: UpstreamLsps1SourceLightning;
  readonly #database: Database;
  readonly #settings: UpstreamSettings;
  readonly #log: Logger;
  readonly #client: LspsPeerClient;
  /** Purchases being driven, by id, with the amount each was bought for. */
  readonly #driving = new Map<
    string,
    { readonly amount: bigint; readonly done: Promise<AcquiredLiquidity> }
  >();
  readonly #waits: PurchaseWaits;
  #life: AbortSignal | undefined;

  /** Settled once the current run has resumed the purchases. */
  #ready: Promise<void> = new Promise(() => {});
  constructor(deps: {
    lightning: UpstreamLsps1SourceLightning;
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
    const l = deps.lightning;
    this.#waits = new PurchaseWaits({
      // Its probes are recorded as the LSP's own: they never count as payments.
      lightning: {
        channelEvents: (options) => l.channelEvents(options),
        listChannels: (signal) => l.listChannels(signal),
        connectPeer: (pubkey, host, signal) => l.connectPeer(pubkey, host, signal),
        probe: recordedProbe(l, new PaymentPurposesRepository(deps.database.db)),
      },
      call: (method, params, signal) => this.#call(method, params, signal),
      upstream: deps.settings,
      timeoutMs: deps.settings.timeoutMs,
      pollIntervalMs: deps.settings.pollIntervalMs,
      log: deps.log,
    });
  }

  /**
   * Runs until `signal` aborts (a job's run: the runner restarts one that returns): reads the
   * upstream's answers and channel events, and resumes every unfinished purchase; `acquire`
   * works from the moment the purchases are resumed.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#life = signal;
    const ready = Promise.withResolvers<void>();
    this.#ready = ready.promise;
    const events = this.#waits.run(signal);
    await this.#client.start(signal);
    for (const r of await this.#repo().active()) {
      if (r.upstreamPubkey !== this.#settings.pubkey) {
        this.#log.warn(
          { purchase: r.id, upstream: r.upstreamPubkey },
          'purchase from another upstream left as is',
        );
        continue;
      }
      this.#log.info({ purchase: r.id, state: r.state }, 'resuming liquidity purchase');
      this.#drive(r.id, r.amountSat).catch(() => {});
    }
    ready.resolve();
    await Promise.all([events, untilAborted(signal)]);
  }

  /** Resolves once the running source has resumed its purchases (from {@link run}). */
  ready(): Promise<void> {
    return this.#ready;
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
    const onchain = payableOnchain(order, size);
    const estimate = await this.#lightning.estimateSendFee(
      { address: onchain.address, amount: onchain.orderTotal, targetConf: s.paymentTargetConf },
      signal,
    );
    const record = await this.#repo().insert({
      id: randomUUID(),
      upstreamPubkey: s.pubkey,
      amountSat: amount,
      maxFeeSat: limits.maxFee,
      orderId: order.id,
      lspBalanceSat: order.lspBalance,
      clientBalanceSat: order.clientBalance,
      feeTotalSat: onchain.feeTotal,
      orderTotalSat: onchain.orderTotal,
      payAddress: onchain.address,
      refundAddress,
    });
    const cost = onchain.feeTotal + estimate.fee;
    this.#log.info(
      { purchase: record.id, order: order.id, amount: Number(amount), fee: Number(onchain.feeTotal) },
      'upstream order placed',
    );
    // Until the fee is accepted nothing is spent: any failure here leaves the order unpaid.
    let blockHeight: number;
    try {
      if (cost > limits.maxFee) {
        throw new LspError(
          ErrorCode.FeeRateExceeded,
          `buying ${amount} sat of outbound from the upstream costs ${cost} sat (its fee ${onchain.feeTotal} + on-chain ${estimate.fee}), above the limit of ${limits.maxFee} sat`,
          { purchase: record.id, fee: Number(cost), maxFee: Number(limits.maxFee) },
        );
      }
      const [wallet, tip] = await Promise.all([
        this.#lightning.walletBalance(signal),
        this.#lightning.getInfo(signal),
      ]);
      blockHeight = tip.blockHeight;
      const needed = onchain.orderTotal + estimate.fee;
      if (wallet.confirmed - wallet.reservedForAnchors < needed) {
        throw new LspError(
          ErrorCode.LspInsufficientFunds,
          `the wallet cannot pay the upstream order: ${needed} sat needed`,
          { purchase: record.id, needed: Number(needed) },
        );
      }
      if (signal.aborted) throw stopped(signal);
    } catch (err) {
      await this.#apply(record, { type: 'refused', reason: errorMessage(err) });
      throw err;
    }
    if (!(await this.#apply(record, { type: 'fee_accepted' })))
      throw new LspError(ErrorCode.Conflict, `purchase ${record.id} was taken over before it was paid`);
    await this.#pay({ ...record, state: 'paying' }, estimate.satPerVbyte, blockHeight);
    return record.id;
  }

  /** Sends the on-chain payment (once) and records it paid, or failed when it did not go out. */
  async #pay(record: LiquidityPurchaseRecord, satPerVbyte: bigint, blockHeight: number): Promise<void> {
    let event: PurchaseEvent;
    try {
      const { txid } = await this.#lightning.sendCoins(
        {
          address: record.payAddress,
          amount: record.orderTotalSat,
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
      const state = r.state;
      if (state === 'completed') return acquiredOf(r);
      if (FINAL_PURCHASE_STATES.includes(state)) {
        const message = `liquidity purchase ${state}: ${r.failure ?? ''}`;
        throw new LspError(ErrorCode.LspInsufficientFunds, message, { purchase: id, state });
      }
      const stale = Date.now() - r.updatedAt.getTime() > STALE_AFTER_MS;
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
    switch (r.state) {
      case 'ordered':
        return { type: 'refused', reason: 'interrupted before it was paid' };
      case 'paying': {
        const sent = await this.#findPayment(r, 0);
        return sent
          ? { type: 'paid', txid: sent.txid, onchainFee: sent.fee }
          : { type: 'not_sent', reason: 'interrupted before the payment went out' };
      }
      case 'paid':
        return this.#waits.channelFunded(r, life);
      default:
        return this.#waits.channelUsable(r, life);
    }
  }

  /**
   * Applies an event through the one driver, from the record's state; false when the purchase
   * had moved on. The machine has no effects: each state's work is this runner's next step.
   */
  async #apply(r: LiquidityPurchaseRecord, event: PurchaseEvent): Promise<boolean> {
    const step = await applyStep(purchaseMachine, r, event, undefined, {
      db: this.#database.db,
      log: this.#log,
      persist: ({ ok: _ok, effects: _effects, ...transition }, db) =>
        new LiquidityPurchasesRepository(db).transition(r.id, r.state, transition),
      effects: {},
    });
    return step !== undefined;
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
    return findPurchasePayment(txs, { id: r.id, payAddress: r.payAddress });
  }

  #repo(): LiquidityPurchasesRepository {
    return new LiquidityPurchasesRepository(this.#database.db);
  }
}

/** The liquidity a completed purchase gave. */
function acquiredOf(r: LiquidityPurchaseRecord): AcquiredLiquidity {
  const [txid, index] = (r.fundingOutpoint ?? '').split(':');
  const channelPoint: ChannelPoint = { txid: parseHex32(txid ?? ''), outputIndex: Number(index) };
  return {
    outbound: sat(r.outboundSat ?? 0n),
    fee: sat(r.feeTotalSat + (r.onchainFeeSat ?? 0n)),
    channelPoint,
    reference: `lsps1:${r.upstreamPubkey}:${r.orderId}`,
  };
}
