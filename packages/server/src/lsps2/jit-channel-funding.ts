/**
 * Funding a JIT channel for a payment and making it usable: its capacity, the funder call
 * through the one commit point (the `committed` step written in the funding transaction, its
 * `publish` performed once that commits), then, past that point, publishing, waiting until the
 * channel is active, mapping the JIT scid onto it as an alias and recording it ready (the
 * `publish` effect's work). Knows nothing of the HTLCs held for it.
 */
import {
  boundedFeeRate,
  type ChannelsPort,
  type FeeSchedule,
  formatScid,
  type JitChannelEvent,
  jitChannelCapacity,
  type Msat,
  parseHex32,
  parsePubkey,
  type Scid,
  sat,
  scid,
  type WalletPort,
} from '@blgv/core';
import { type Database, type JitChannelRecord, Lsps2JitChannelsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { forwardingFees } from '../channels/forwarding-policy.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { retryUntilDone } from '../jobs/retry.ts';
import { activeChannel } from './channel-open.ts';
import type { ApplyJitEvent } from './jit-step.ts';

/** The limits a JIT channel is funded within (from config). */
export interface JitFundingLimits {
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
  /** How long the client has to accept, and then to sign, the channel. */
  readonly openTimeoutSeconds: number;
  /** The most `to_self_delay` a client may ask of us (bLIP-52 `max_client_to_self_delay`). */
  readonly maxClientToSelfDelay: number;
  /** Bounds of the funding fee rate (sat/vB). */
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
}

/** Why a JIT channel will not be funded. */
export interface OpenFailure {
  readonly reason: string;
  /** The client refused the channel (bLIP-52: `unknown_next_peer`). */
  readonly refused: boolean;
}

const MEMO_PREFIX = 'lsps2:';
const OPEN_TIMEOUT_MS = 60_000;

/**
 * The Lightning calls JIT channel funding makes: a fee rate for the funding, and waiting for the
 * channel to be active before mapping the JIT scid onto it.
 */
export type JitChannelFundingLightning = Pick<
  ChannelsPort,
  'addChannelAlias' | 'channelEvents' | 'listChannels'
> &
  Pick<WalletPort, 'estimateFee'>;

/** Funds JIT channels through the {@link ChannelFunder} and makes them usable. */
export class JitChannelFunding {
  readonly #database: Database;
  readonly #lightning: JitChannelFundingLightning;
  readonly #funder: ChannelFunder;
  readonly #schedule: FeeSchedule;
  readonly #limits: JitFundingLimits;
  readonly #apply: ApplyJitEvent;
  readonly #signal: () => AbortSignal;
  readonly #log: Logger;

  constructor(deps: {
    database: Database;
    lightning: JitChannelFundingLightning;
    funder: ChannelFunder;
    schedule: FeeSchedule;
    limits: JitFundingLimits;
    /** Writes a JIT channel's step (the forwarder's one driver call). */
    apply: ApplyJitEvent;
    /** The running forwarder's signal. */
    signal: () => AbortSignal;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#funder = deps.funder;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#apply = deps.apply;
    this.#signal = deps.signal;
    this.#log = deps.log;
  }

  /** The channel to open for a payment: twice the payment, within the configured bounds. */
  capacity(paymentSize: Msat): bigint {
    return jitChannelCapacity(paymentSize, this.#limits);
  }

  /**
   * Negotiates and commits the channel's funding, of the capacity its `opening` record holds;
   * when it will not be funded, why, and whether the client refused it. The `committed` step is
   * written in the funder's transaction with its `afterCommit`, so its `publish` (the channel
   * made usable) is performed after the commit, before this resolves.
   */
  async fund(record: JitChannelRecord): Promise<OpenFailure | undefined> {
    const capacity = record.channelCapacitySat;
    if (capacity === null) throw new Error(`JIT channel ${record.id} is opening without its capacity`);
    const owner = `jit:${record.id}`;
    const result = await this.#funder.fund(
      [
        {
          owner,
          open: {
            ...forwardingFees(this.#schedule),
            remotePubkey: parsePubkey(record.clientPubkey),
            localAmount: sat(capacity),
            private: true,
            zeroConf: true,
            scidAlias: true,
            // bLIP-52: the client's to_self_delay is at most the max_client_to_self_delay offered.
            maxLocalCsv: this.#limits.maxClientToSelfDelay,
            memo: `${MEMO_PREFIX}${record.id}`,
          },
        },
      ],
      {
        feeRate: await this.#feeRate(),
        deadlineMs: this.#limits.openTimeoutSeconds * 1000,
        signal: this.#signal(),
        commit: async (trx, c, after) => {
          const event: JitChannelEvent = {
            type: 'committed',
            fundingId: c.fundingId,
            txid: c.txid,
            outputIndex: c.channels[0]?.outputIndex ?? 0,
          };
          if (!(await this.#apply(record, event, {}, trx, after)))
            throw new Error(`JIT channel ${record.id} left opening before its commit`);
        },
      },
    );
    if (result.committed) return undefined;
    return {
      reason: result.failed.get(owner) ?? 'the channel could not be funded',
      refused: result.refused.has(owner),
    };
  }

  /**
   * The `publish` effect, after the commit point: publishes the funding, waits until the
   * channel is active, maps the JIT scid onto it and records it ready (`channel_ready`, whose
   * effect forwards the held parts); retried until done (the channel is funded), each attempt
   * from the state stored then.
   */
  async activate(publishing: JitChannelRecord): Promise<void> {
    const id = publishing.id;
    await retryUntilDone(
      async () => {
        const record = await this.#repo().get(id);
        if (record?.state !== 'publishing') return;
        if (!record.fundingId || !record.fundingTxid || record.fundingOutputIndex === null)
          throw new Error(`JIT channel ${id} is publishing without its funding`);
        await this.#funder.published(record.fundingId, this.#signal());
        const channel = await activeChannel(
          this.#lightning,
          {
            channelPoint: { txid: parseHex32(record.fundingTxid), outputIndex: record.fundingOutputIndex },
          },
          AbortSignal.any([this.#signal(), AbortSignal.timeout(OPEN_TIMEOUT_MS)]),
        );
        await this.#ready(record, channel.channelPoint, channel.scid);
      },
      {
        what: 'making a funded JIT channel usable',
        signal: this.#signal(),
        log: this.#log,
        subject: { jit: id },
      },
    );
  }

  /** The funding fee rate: the node's 6-block estimate within the configured bounds. */
  async #feeRate(): Promise<bigint> {
    const { satPerVbyte } = await this.#lightning.estimateFee(6, AbortSignal.timeout(10_000));
    return boundedFeeRate(satPerVbyte, this.#limits);
  }

  /** Maps the JIT scid onto the new channel and records it usable. */
  async #ready(record: JitChannelRecord, point: { txid: string; outputIndex: number }, channelScid: Scid) {
    await this.#lightning
      .addChannelAlias(scid(record.jitScid), channelScid, this.#signal())
      .catch((err: unknown) => {
        // After a restart the alias may already be there.
        if (!/already exists/i.test(String(err))) throw err;
      });
    await this.#apply({ ...record, state: 'publishing' }, { type: 'channel_ready', channelScid });
    this.#log.info(
      {
        jit: record.id,
        channel: `${point.txid}:${point.outputIndex}`,
        scid: formatScid(scid(record.jitScid)),
      },
      'JIT channel open; forwarding',
    );
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}
