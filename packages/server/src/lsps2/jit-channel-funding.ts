/**
 * Funding a JIT channel for a payment and making it usable: its capacity, the funder call
 * through the one commit point (the `committed` step written in the funding transaction, its
 * `publish` performed once that commits), then, past that point, publishing, waiting until the
 * channel is active, mapping the JIT scid onto it as an alias and recording it ready (the
 * `publish` effect's work).
 *
 * When the client trusts the LSP (bLIP-52 `client_trusts_lsp`) the funding is committed
 * withheld (the `withheld` step): the channel is made usable the same way without publishing
 * (`activate`), within the open timeout or not at all (`activation_failed`); once the forward
 * settles the funding is released, signed and published (`release_funding`), and when the
 * client never settles it is withdrawn (`withdraw_funding`: the channel abandoned, the inputs
 * back in the wallet). Knows nothing of the HTLCs held for it.
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
  sat,
  scid,
  type WalletPort,
} from '@blgv/core';
import {
  type Database,
  type JitChannelRecord,
  Lsps2JitChannelsRepository,
  UnpaidChannelsRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import { forwardingFees } from '../channels/forwarding-policy.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { FundingBatcher } from '../funding/funding-batcher.ts';
import { WithheldBatch, type WithheldBatchLightning } from '../funding/withheld-batch.ts';
import { retryUntilDone } from '../jobs/retry.ts';
import { activeChannel } from './channel-open.ts';
import { jitFundingOwner, jitMember, jitMembers } from './jit-batch-members.ts';
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
  /** Opens ready within this many ms share a funding transaction (see {@link FundingBatcher}). */
  readonly batchWindowMs: number;
  /** The most channels in one such transaction. */
  readonly maxBatchChannels: number;
  /** How long a batch waits for the one before it to pass its commit point. */
  readonly batchMaxWaitMs: number;
  /** Whether withheld fundings are batched too (see `funding/withheld-batch.ts`). */
  readonly batchWithheld: boolean;
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
  WithheldBatchLightning &
  Pick<WalletPort, 'estimateFee'>;

/** Funds JIT channels through the {@link ChannelFunder} and makes them usable. */
export class JitChannelFunding {
  readonly #database: Database;
  readonly #lightning: JitChannelFundingLightning;
  readonly #funder: ChannelFunder;
  readonly #batcher: FundingBatcher;
  /** What becomes of a withheld funding as its members end (one member, or a batch). */
  readonly #withheld: WithheldBatch;
  readonly #schedule: FeeSchedule;
  readonly #limits: JitFundingLimits;
  readonly #apply: ApplyJitEvent;
  readonly #signal: () => AbortSignal;
  readonly #log: Logger;
  /** JIT channels whose funding this process is releasing. */
  readonly #releasing = new Set<string>();

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
    this.#batcher = new FundingBatcher({
      funder: deps.funder,
      limits: {
        windowMs: deps.limits.batchWindowMs,
        maxChannels: deps.limits.maxBatchChannels,
        maxWaitMs: deps.limits.batchMaxWaitMs,
        withheld: deps.limits.batchWithheld,
      },
      log: deps.log,
    });
    this.#withheld = new WithheldBatch({
      ...deps,
      members: jitMembers(deps.database),
      unpaid: new UnpaidChannelsRepository(deps.database.db),
    });
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
   * Negotiates and commits the channel's funding, of the capacity its `opening` record holds,
   * withheld when `withhold`; when it will not be funded, why, and whether the client refused
   * it. The `committed` (or `withheld`) step is written in the funder's transaction with its
   * `afterCommit`, so its effect (the channel made usable) is performed after the commit,
   * before this resolves.
   */
  async fund(record: JitChannelRecord, withhold: boolean): Promise<OpenFailure | undefined> {
    const capacity = record.channelCapacitySat;
    if (capacity === null) throw new Error(`JIT channel ${record.id} is opening without its capacity`);
    const owner = jitFundingOwner(record.id);
    // Opens ready together (and published at their commit point) share one transaction.
    const result = await this.#batcher.fund(
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
      {
        feeRate: await this.#feeRate(),
        deadlineMs: this.#limits.openTimeoutSeconds * 1000,
        signal: this.#signal(),
        withhold,
        commit: async (trx, c, after) => {
          const event: JitChannelEvent = {
            type: withhold ? 'withheld' : 'committed',
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
   * from the state stored then. A channel whose funding is withheld goes to {@link #activateWithheld}.
   */
  async activate(committed: JitChannelRecord): Promise<void> {
    if (committed.state === 'withheld') return this.#activateWithheld(committed);
    const id = committed.id;
    await retryUntilDone(
      async () => {
        const record = await this.#repo().get(id);
        if (record?.state !== 'publishing') return;
        await this.#funder.published(fundingOf(record).fundingId, this.#signal());
        await this.#makeUsable(record, AbortSignal.timeout(OPEN_TIMEOUT_MS));
      },
      {
        what: 'making a funded JIT channel usable',
        signal: this.#signal(),
        log: this.#log,
        subject: { jit: id },
      },
    );
  }

  /**
   * The `activate` effect: the channel made usable as {@link activate} does, but its funding
   * withheld (nothing published), and only within the open timeout: a channel the client signed
   * but never made usable by then is given up (`activation_failed`, its parts failed back, the
   * funding withdrawn).
   */
  async #activateWithheld(withheld: JitChannelRecord): Promise<void> {
    const id = withheld.id;
    const seconds = this.#limits.openTimeoutSeconds;
    const deadline = AbortSignal.timeout(seconds * 1000);
    try {
      await retryUntilDone(
        async () => {
          const record = await this.#repo().get(id);
          if (record?.state === 'withheld') await this.#makeUsable(record, deadline);
        },
        {
          what: 'making a JIT channel usable, its funding withheld',
          signal: AbortSignal.any([this.#signal(), deadline]),
          log: this.#log,
          subject: { jit: id },
        },
      );
    } catch (err) {
      if (this.#signal().aborted || !deadline.aborted) throw err;
      const record = await this.#repo().get(id);
      if (record?.state !== 'withheld') return;
      this.#log.warn({ jit: id }, 'JIT channel not usable in time; its withheld funding is withdrawn');
      await this.#apply(record, {
        type: 'activation_failed',
        reason: `the channel did not become usable within ${seconds} s of its commit`,
      });
    }
  }

  /**
   * The `release_funding` effect: the client settled, so the LSP holds the preimage; the withheld
   * funding is released (signed and published) and the channel recorded `released`. Started
   * here and retried until done (from the state stored each time) without holding up the step
   * that asked for it; after a restart {@link recoverWithheld} starts it again.
   */
  release(releasing: JitChannelRecord): void {
    const id = releasing.id;
    if (this.#releasing.has(id)) return;
    this.#releasing.add(id);
    const signal = this.#signal();
    retryUntilDone(
      async () => {
        const record = await this.#repo().get(id);
        if (record?.state !== 'releasing') return;
        await this.#funder.release(fundingOf(record).fundingId, signal);
        await this.#apply(record, { type: 'released' });
        this.#log.info(
          { jit: id, funding: record.fundingTxid },
          'JIT payment settled; its funding published',
        );
        // Members of its batch withdrawn before it have their channels on chain now.
        await this.#withheld.released(jitMember(record));
      },
      { what: 'releasing a JIT channel’s funding', signal, log: this.#log, subject: { jit: id } },
    )
      .catch((err: unknown) => {
        if (!signal.aborted) this.#log.error({ err, jit: id }, 'releasing a JIT channel’s funding stopped');
      })
      .finally(() => this.#releasing.delete(id));
  }

  /**
   * The `withdraw_funding` effect: the client never settled (or never made the channel usable):
   * the withheld funding is withdrawn (its channel abandoned, its inputs released, nothing on
   * chain) unless another member of its batch may still settle; one its batch released has
   * its channel closed (`funding/withheld-batch.ts`). One that fails here is finished by
   * {@link recoverWithheld}.
   */
  withdraw(withdrawn: JitChannelRecord): Promise<void> {
    return this.#withheld.withdraw(
      jitMember(withdrawn),
      withdrawn.failure ?? 'the client never settled the payment',
    );
  }

  /**
   * Finishes what a crash (or a failed effect) left of withheld fundings: JIT channels
   * `releasing` are released, `withdrawn` ones whose funding is still withheld are withdrawn.
   */
  async recoverWithheld(): Promise<void> {
    for (const r of await this.#repo().inStates(['releasing'])) this.release(r);
    for (const r of await this.#repo().withWithheldFunding(['withdrawn'])) await this.withdraw(r);
    await this.#withheld.recover();
  }

  /** The funding fee rate: the node's 6-block estimate within the configured bounds. */
  async #feeRate(): Promise<bigint> {
    const { satPerVbyte } = await this.#lightning.estimateFee(6, AbortSignal.timeout(10_000));
    return boundedFeeRate(satPerVbyte, this.#limits);
  }

  /**
   * Waits (until `deadline`) for the committed channel to be active, maps the JIT scid onto it
   * and records it usable (`channel_ready`, from the state read).
   */
  async #makeUsable(record: JitChannelRecord, deadline: AbortSignal): Promise<void> {
    const { txid, outputIndex } = fundingOf(record);
    const channel = await activeChannel(
      this.#lightning,
      { channelPoint: { txid: parseHex32(txid), outputIndex } },
      AbortSignal.any([this.#signal(), deadline]),
    );
    await this.#lightning
      .addChannelAlias(scid(record.jitScid), channel.scid, this.#signal())
      .catch((err: unknown) => {
        // After a restart the alias may already be there.
        if (!/already exists/i.test(String(err))) throw err;
      });
    await this.#apply(record, { type: 'channel_ready', channelScid: channel.scid });
    this.#log.info(
      {
        jit: record.id,
        channel: `${txid}:${outputIndex}`,
        scid: formatScid(scid(record.jitScid)),
        withheld: record.state === 'withheld',
      },
      record.state === 'withheld'
        ? 'JIT channel usable, its funding withheld until the preimage; forwarding'
        : 'JIT channel open; forwarding',
    );
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}

/** The funding a JIT channel past its commit point was committed in. */
function fundingOf(r: JitChannelRecord): { fundingId: string; txid: string; outputIndex: number } {
  if (!r.fundingId || !r.fundingTxid || r.fundingOutputIndex === null)
    throw new Error(`JIT channel ${r.id} is ${r.state} without its funding`);
  return { fundingId: r.fundingId, txid: r.fundingTxid, outputIndex: r.fundingOutputIndex };
}
