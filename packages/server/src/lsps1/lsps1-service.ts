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
  channelNetworkFee,
  type FeeSchedule,
  type InvoicesPort,
  type Pubkey,
  parseHex32,
  parsePubkey,
  quoteChannelOpening,
  sat,
  satToMsat,
  type WalletPort,
} from '@blgv/core';
import { type CreateOrderParams, Lsps1Error, type Lsps1Info, type Lsps1Order } from '@blgv/protocol';
import { type Database, Lsps1OrdersRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { Admission } from '../lsps0/admission.ts';
import type { OrderOwner } from '../lsps0/order-owner.ts';
import { RpcError } from '../lsps0/rpc-error.ts';
import type { Lsps1Limits } from './lsps1-limits.ts';
import { NO_ONCHAIN_OPTION, OnchainPayments, type OnchainPaymentsLightning } from './lsps1-onchain.ts';
import { lsps1Options, optionMismatch } from './lsps1-options.ts';
import { orderToWire } from './lsps1-wire.ts';
import { isSegwitAddress } from './onchain-address.ts';
import type { OrderReceipts } from './order-receipts.ts';
import { OrderRunner, type OrderRunnerLightning } from './order-runner.ts';

export type { Lsps1Limits } from './lsps1-limits.ts';

/** Confirmations we use for every LSPS1 channel (the funding must confirm; no zero-conf). */
const REQUIRED_CONFIRMATIONS = 1;

/**
 * The Lightning calls the LSPS1 service makes: an order's hold invoice and fee estimate, and
 * those of its on-chain payments and its order runner.
 */
export type Lsps1ServiceLightning = Pick<InvoicesPort, 'addHoldInvoice'> &
  Pick<WalletPort, 'estimateFee'> &
  OnchainPaymentsLightning &
  OrderRunnerLightning;

/** The LSPS1 service. */
export class Lsps1Service {
  readonly #database: Database;
  readonly #lightning: Lsps1ServiceLightning;
  readonly #box: SecretBox;
  readonly #schedule: FeeSchedule;
  readonly #limits: Lsps1Limits;
  readonly #log: Logger;
  readonly #onchain: OnchainPayments | undefined;
  readonly #options: Lsps1Info;
  readonly #admission: Admission;
  readonly #runner: OrderRunner;

  constructor(deps: {
    database: Database;
    lightning: Lsps1ServiceLightning;
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
    this.#box = deps.box;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#admission = new Admission(
      'unpaid orders',
      { perOwner: deps.limits.maxUnpaidOrdersPerClient, total: deps.limits.maxUnpaidOrders },
      (kind, owner) => new Lsps1OrdersRepository(deps.database.db).countUnpaid(kind, owner),
      deps.database.nodeLocks,
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
    this.#runner = new OrderRunner({ ...deps, onchain: this.#onchain });
  }

  /** `lsps1.get_info`: the options every order is checked against. */
  info(): Lsps1Info {
    return this.#options;
  }

  /**
   * `lsps1.create_order`: the request first (the order against the advertised options, `100`
   * naming the option it falls outside of; the token, `102`; the client node and the refund
   * address, `-32602`), then the caps on unpaid orders (`client_rejected`), then the work:
   * the hold invoice and the order's record.
   */
  async createOrder(owner: OrderOwner, p: CreateOrderParams): Promise<Lsps1Order> {
    const clientPubkey = await this.#check(owner, p);
    return this.#admission.admit(owner, () => this.#createOrder(owner, p, clientPubkey));
  }

  /** Refuses a request that is wrong in itself, whoever asks; answers the node to open to. */
  async #check(owner: OrderOwner, p: CreateOrderParams): Promise<Pubkey> {
    const mismatch = optionMismatch(this.#options, {
      lspBalance: BigInt(p.lsp_balance_sat),
      clientBalance: BigInt(p.client_balance_sat),
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
    if (p.refund_onchain_address !== undefined) {
      // Without on-chain payments the address is never used, but it must still be one.
      if (this.#onchain)
        await this.#onchain.checkRefundAddress(p.refund_onchain_address, AbortSignal.timeout(15_000));
      else if (!isSegwitAddress(p.refund_onchain_address))
        throw new RpcError(-32602, 'invalid params', {
          property: 'refund_onchain_address',
          message: 'not a SegWit address',
        });
    }
    return clientPubkey;
  }

  async #createOrder(owner: OrderOwner, p: CreateOrderParams, clientPubkey: Pubkey): Promise<Lsps1Order> {
    const l = this.#limits;
    const lspBalance = BigInt(p.lsp_balance_sat);
    const clientBalance = BigInt(p.client_balance_sat);
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
      p.refund_onchain_address && this.#onchain && this.#limits.onchain?.enabled
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
    this.#runner.drive(id);
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
   * Drives every unfinished order until `signal` aborts (see {@link OrderRunner.run}).
   */
  run(signal: AbortSignal): Promise<void> {
    return this.#runner.run(signal);
  }

  /** The funding fee rate for a confirmation target, within the configured bounds. */
  async #feeRate(targetConf: number, signal: AbortSignal): Promise<bigint> {
    const target = Math.min(Math.max(targetConf, 1), 1008);
    const { satPerVbyte } = await this.#lightning.estimateFee(target, signal);
    return boundedFeeRate(satPerVbyte, this.#limits);
  }
}
