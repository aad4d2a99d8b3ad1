/**
 * LSPS2 `get_info` and `buy`: a fee menu priced from the fee schedule and the channel's
 * on-chain cost (never below it at the current estimate), signed with a promise, and JIT scids
 * recorded for the forwarder, which does the rest when the payment arrives.
 */
import { randomUUID } from 'node:crypto';
import {
  boundedFeeRate,
  type ChannelsPort,
  type FeeSchedule,
  formatScid,
  jitMinFee,
  type Msat,
  msat,
  openingFee,
  type Pubkey,
  parsePubkey,
  type WalletPort,
} from '@blgv/core';
import {
  Lsps0Error,
  type Lsps2BuyParams,
  type Lsps2BuyResult,
  Lsps2Error,
  type Lsps2Info,
} from '@blgv/protocol';
import { type Database, isUniqueViolation, Lsps2JitChannelsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { Admission } from '../lsps0/admission.ts';
import type { OrderOwner } from '../lsps0/order-owner.ts';
import { RpcError } from '../lsps0/rpc-error.ts';
import type { FeePromises } from './fee-promise.ts';
import { randomJitScid } from './jit-scid.ts';

/** LSPS2 limits (from config). */
export interface Lsps2Limits {
  readonly paramsValidSeconds: number;
  readonly minPaymentSizeMsat: number;
  readonly maxPaymentSizeMsat: number;
  readonly minLifetimeBlocks: number;
  readonly maxClientToSelfDelay: number;
  readonly cltvExpiryDelta: number;
  /** Bounds of the funding fee rate (sat/vB) the on-chain cost is priced at. */
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
  /** Buys waiting for their payment one client, and all together, may have at once. */
  readonly maxOpenBuysPerClient: number;
  /** Such buys one tenant (buying for the client nodes it serves) may have at once. */
  readonly maxOpenBuysPerTenant: number;
  /** Channels a client never settled count against it this many days. */
  readonly unsettledForgetDays: number;
  readonly maxOpenBuys: number;
  /** bLIP-52 `client_trusts_lsp` answered (and honoured) for the menu served. */
  readonly clientTrustsLsp: boolean;
  /** Channels a client may have been opened and never settled before its buys are refused. */
  readonly maxUnsettledPerClient: number;
}

/** What a valid `lsps2.buy` asks for. */
interface CheckedBuy {
  readonly client: Pubkey;
  readonly validUntil: Date;
  readonly minSize: Msat;
  readonly maxSize: Msat;
  /** `undefined`: the size is the payer's (no `payment_size_msat`). */
  readonly paymentSize: Msat | undefined;
}

/** The Lightning calls the LSPS2 methods make: a fee estimate, and the channels (what the node can receive). */
export type Lsps2ServiceLightning = Pick<WalletPort, 'estimateFee'> & Pick<ChannelsPort, 'listChannels'>;

/** The LSPS2 methods. */
export class Lsps2Service {
  readonly #database: Database;
  readonly #lightning: Lsps2ServiceLightning;
  readonly #schedule: FeeSchedule;
  readonly #limits: Lsps2Limits;
  readonly #promises: FeePromises;
  readonly #log: Logger;
  readonly #admission: Admission;

  constructor(deps: {
    database: Database;
    lightning: Lsps2ServiceLightning;
    schedule: FeeSchedule;
    limits: Lsps2Limits;
    promises: FeePromises;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#admission = new Admission(
      'open JIT channel buys',
      {
        perOwner: deps.limits.maxOpenBuysPerClient,
        perTenant: deps.limits.maxOpenBuysPerTenant,
        total: deps.limits.maxOpenBuys,
      },
      (kind, owner) => new Lsps2JitChannelsRepository(deps.database.db).countOpenBuys(kind, owner),
      deps.database.nodeLocks,
    );
    this.#promises = deps.promises;
    this.#log = deps.log;
  }

  /**
   * `lsps2.get_info`: one menu entry priced from the schedule's channel-opening fees, its
   * `min_fee_msat` never below the base fee plus the channel's network fee at the node's
   * current 6-block estimate (so no channel is sold below its on-chain cost).
   */
  async info(token: string | undefined): Promise<Lsps2Info> {
    if (token !== undefined && token !== '')
      throw new RpcError(Lsps2Error.UnrecognizedOrStaleToken, 'unrecognized or stale token');
    const l = this.#limits;
    const estimate = await this.#lightning.estimateFee(6, AbortSignal.timeout(10_000));
    const feeRate = boundedFeeRate(estimate.satPerVbyte, l);
    const validUntil = new Date(Math.ceil(Date.now() / 1000) * 1000 + l.paramsValidSeconds * 1000);
    return {
      opening_fee_params_menu: [
        this.#promises.sign({
          min_fee_msat: jitMinFee(this.#schedule, feeRate).toString(),
          proportional: Number(this.#schedule.channelOpening.capacityFeePpm),
          valid_until: validUntil.toISOString(),
          min_lifetime: l.minLifetimeBlocks,
          max_client_to_self_delay: l.maxClientToSelfDelay,
          min_payment_size_msat: String(l.minPaymentSizeMsat),
          max_payment_size_msat: String(l.maxPaymentSizeMsat),
        }),
      ],
    };
  }

  /**
   * `lsps2.buy`: the request first (the promise and validity, 201; the client node, -32602;
   * the payment size against the menu entry: 202 below its minimum or when the fee would eat
   * it, 203 above its maximum, when the fee overflows 64 bits, or beyond what the LSP can
   * receive now), then the client's channels never settled and the caps on open buys (both
   * `client_rejected`), then it hands out a JIT scid, with the trust model it is served under.
   */
  async buy(owner: OrderOwner, p: Lsps2BuyParams): Promise<Lsps2BuyResult> {
    const checked = await this.#check(owner, p);
    return this.#admission.admit(owner, async () => {
      await this.#checkUnsettled(checked.client);
      return this.#buy(owner, p, checked);
    });
  }

  /**
   * Refuses a client that was opened `maxUnsettledPerClient` channels it never settled the
   * payment on (each cost the LSP a negotiation and inputs locked while it held the HTLC).
   */
  async #checkUnsettled(client: Pubkey): Promise<void> {
    const unsettled = await new Lsps2JitChannelsRepository(this.#database.db).countWithdrawn(
      client,
      this.#limits.unsettledForgetDays,
    );
    if (unsettled < this.#limits.maxUnsettledPerClient) return;
    this.#log.info({ client, unsettled }, 'JIT buy refused: too many channels never settled');
    throw new RpcError(Lsps0Error.ClientRejected, 'Client rejected', {
      message: `the client node was opened ${unsettled} JIT channels it never settled the payment on; the LSP sells it no more`,
    });
  }

  /** Refuses a request that is wrong in itself, whoever asks. */
  async #check(owner: OrderOwner, p: Lsps2BuyParams): Promise<CheckedBuy> {
    const params = p.opening_fee_params;
    const validUntil = new Date(params.valid_until);
    if (!this.#promises.verify(params))
      throw new RpcError(
        Lsps2Error.InvalidOpeningFeeParams,
        'invalid_opening_fee_params: the promise does not match the parameters',
      );
    if (Number.isNaN(validUntil.getTime()) || validUntil.getTime() <= Date.now())
      throw new RpcError(
        Lsps2Error.InvalidOpeningFeeParams,
        'invalid_opening_fee_params: valid_until has passed',
      );
    const client = this.#client(owner, p);
    const minSize = msat(params.min_payment_size_msat);
    const maxSize = msat(params.max_payment_size_msat);
    let paymentSize: Msat | undefined;
    if (p.payment_size_msat !== undefined) {
      paymentSize = msat(p.payment_size_msat);
      if (paymentSize < minSize)
        throw new RpcError(
          Lsps2Error.PaymentSizeTooSmall,
          'payment_size_too_small: below min_payment_size_msat',
        );
      if (paymentSize > maxSize)
        throw new RpcError(
          Lsps2Error.PaymentSizeTooLarge,
          'payment_size_too_large: above max_payment_size_msat',
        );
      const fee = openingFee(
        { minFeeMsat: msat(params.min_fee_msat), proportional: BigInt(params.proportional) },
        paymentSize,
      );
      if (fee === undefined)
        throw new RpcError(
          Lsps2Error.PaymentSizeTooLarge,
          'payment_size_too_large: the opening fee overflows',
        );
      // The client must receive something: a fee that eats the payment is "too small".
      if (fee >= paymentSize)
        throw new RpcError(
          Lsps2Error.PaymentSizeTooSmall,
          'payment_size_too_small: the opening fee is not below the payment size',
        );
      const inbound = await this.#inbound();
      if (paymentSize > inbound)
        throw new RpcError(
          Lsps2Error.PaymentSizeTooLarge,
          'payment_size_too_large: more than the LSP can receive from the network now',
        );
    }
    return { client, validUntil, minSize, maxSize, paymentSize };
  }

  async #buy(owner: OrderOwner, p: Lsps2BuyParams, checked: CheckedBuy): Promise<Lsps2BuyResult> {
    const params = p.opening_fee_params;
    const { client, validUntil, minSize, maxSize, paymentSize } = checked;
    const repo = new Lsps2JitChannelsRepository(this.#database.db);
    for (let attempt = 0; ; attempt++) {
      const jitScid = randomJitScid();
      try {
        const row = await repo.insert({
          id: randomUUID(),
          ownerKind: owner.kind,
          owner: owner.kind === 'node' ? owner.pubkey : owner.tenantId,
          clientPubkey: client,
          jitScid: jitScid.toString(),
          minFeeMsat: msat(params.min_fee_msat),
          proportional: BigInt(params.proportional),
          validUntil,
          minLifetime: params.min_lifetime,
          maxClientToSelfDelay: params.max_client_to_self_delay,
          minPaymentSizeMsat: minSize,
          maxPaymentSizeMsat: maxSize,
          paymentSizeMsat: paymentSize ?? null,
          clientTrustsLsp: this.#limits.clientTrustsLsp,
        });
        this.#log.info(
          {
            jit: row.id,
            client,
            scid: formatScid(jitScid),
            paymentSizeMsat: paymentSize?.toString() ?? 'variable',
            clientTrustsLsp: row.clientTrustsLsp,
          },
          'JIT channel bought',
        );
        return {
          jit_channel_scid: formatScid(jitScid),
          lsp_cltv_expiry_delta: this.#limits.cltvExpiryDelta,
          client_trusts_lsp: row.clientTrustsLsp,
        };
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }

  /**
   * What the LSP node can receive now, in msat: over its active channels, what the other side
   * holds above the reserve it must keep (bLIP-52: refuse a payment it cannot receive).
   */
  async #inbound(): Promise<Msat> {
    const channels = await this.#lightning.listChannels(AbortSignal.timeout(10_000));
    let total = 0n;
    for (const c of channels) {
      if (c.active && c.remoteBalance > c.remoteReserve) total += c.remoteBalance - c.remoteReserve;
    }
    return (total * 1000n) as Msat;
  }

  #client(owner: OrderOwner, p: Lsps2BuyParams): Pubkey {
    if (owner.kind === 'node') return owner.pubkey;
    if (p.client_node_pubkey) return parsePubkey(p.client_node_pubkey);
    throw new RpcError(-32602, 'invalid params', {
      property: 'client_node_pubkey',
      message: 'over HTTP, lsps2.buy needs client_node_pubkey: the node the JIT channel opens to',
    });
  }
}
