/**
 * A withheld funding shared by a batch of JIT channels (`lsps2.batchWithheld`): what becomes of
 * it, and of each member's channel, as the members end.
 *
 * - The first member whose client settles releases it (`JitChannelFunding.release`): it is
 *   published, and every member's channel with it.
 * - A member whose client never settles (`withdrawn`) gives the funding up only when no other
 *   member can still settle: then nothing reaches the chain, as for a funding of its own. While
 *   another member still may, the funding stays withheld for it.
 * - A member withdrawn whose batch's funding is (or then gets) published has a channel on chain
 *   its client never paid for: the LSP closes it (cooperatively; force-closed when the client
 *   does not answer), at its own cost, its share of the funding and the close. Its client counts
 *   as never having settled (`maxUnsettledPerClient`).
 *
 * Each member's effect reads the others after its own step has committed, so of two members
 * withdrawn at once the later always sees the earlier: the last one gives the funding up.
 * A funding of one member goes the same way (no other member: it is given up).
 */
import { type ChannelPoint, type ChannelsPort, parseHex32 } from '@blgv/core';
import { type Database, type JitChannelRecord, Lsps2JitChannelsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { retryUntilDone } from '../jobs/retry.ts';

/** States of a member whose client may still settle. */
const MAY_SETTLE = new Set(['withheld', 'awaiting_preimage']);
/** States of a member whose client settled (the funding is released, or being released). */
const SETTLED = new Set(['releasing', 'completed']);
/** How long a cooperative close may take to be under way before the channel is force-closed. */
const COOP_CLOSE_MS = 30_000;

/** The Lightning calls closing an unpaid member's channel makes. */
export type WithheldBatchLightning = Pick<ChannelsPort, 'closeChannel' | 'listChannels'>;

/** Decides a shared withheld funding's fate as its members end; closes unpaid members' channels. */
export class WithheldBatch {
  readonly #database: Database;
  readonly #funder: Pick<ChannelFunder, 'withdraw' | 'published'>;
  readonly #lightning: WithheldBatchLightning;
  readonly #log: Logger;
  readonly #signal: () => AbortSignal;
  /** Members whose channels this process is closing. */
  readonly #closing = new Set<string>();

  constructor(deps: {
    database: Database;
    funder: Pick<ChannelFunder, 'withdraw' | 'published'>;
    lightning: WithheldBatchLightning;
    log: Logger;
    /** The running forwarder's signal. */
    signal: () => AbortSignal;
  }) {
    this.#database = deps.database;
    this.#funder = deps.funder;
    this.#lightning = deps.lightning;
    this.#log = deps.log;
    this.#signal = deps.signal;
  }

  /** `member` is withdrawn (its client never settled): see the module comment. */
  async withdraw(member: JitChannelRecord, reason: string): Promise<void> {
    const fundingId = fundingOf(member);
    const others = (await this.#repo().byFunding(fundingId)).filter((o) => o.id !== member.id);
    const settled = others.some((o) => SETTLED.has(o.state));
    if (!settled && others.some((o) => MAY_SETTLE.has(o.state))) {
      this.#log.info(
        { jit: member.id, funding: fundingId, reason },
        'JIT channel never settled; its batch’s funding stays withheld for the others',
      );
      return;
    }
    if (!settled && (await this.#funder.withdraw(fundingId, reason))) {
      this.#log.info({ jit: member.id, reason }, 'JIT channel never settled; its funding withdrawn');
      return;
    }
    if (others.length === 0)
      this.#log.error(
        { jit: member.id, funding: fundingId },
        'a withdrawn JIT channel’s funding was released',
      );
    await this.#closeUnpaid(member);
  }

  /** `settled` released its batch's funding: the members withdrawn before have their channels closed. */
  async closeWithdrawn(settled: JitChannelRecord): Promise<void> {
    for (const o of await this.#repo().byFunding(fundingOf(settled)))
      if (o.id !== settled.id && o.state === 'withdrawn') this.#closeUnpaid(o);
  }

  /** After a restart: members withdrawn whose batch's funding went out, their channels still open. */
  async recover(): Promise<void> {
    const unpaid = await this.#repo().withFundingIn(['withdrawn'], ['publishing', 'published']);
    if (unpaid.length === 0) return;
    const open = new Set(
      (await this.#lightning.listChannels(AbortSignal.timeout(COOP_CLOSE_MS))).map((c) =>
        pointKey(c.channelPoint),
      ),
    );
    for (const r of unpaid) if (open.has(`${r.fundingTxid}:${r.fundingOutputIndex}`)) this.#closeUnpaid(r);
  }

  /**
   * Closes a withdrawn member's channel once its funding is out: started here and retried until
   * it is closing, without holding up the caller (a restart's {@link recover} starts it again);
   * one already closing or closed is left alone.
   */
  #closeUnpaid(member: JitChannelRecord): void {
    if (this.#closing.has(member.id)) return;
    this.#closing.add(member.id);
    const signal = this.#signal();
    this.#close(member, signal)
      .catch((err: unknown) => {
        if (!signal.aborted)
          this.#log.error({ err, jit: member.id }, 'closing an unpaid JIT channel stopped');
      })
      .finally(() => this.#closing.delete(member.id));
  }

  async #close(member: JitChannelRecord, signal: AbortSignal): Promise<void> {
    const fundingId = fundingOf(member);
    const point: ChannelPoint = {
      txid: parseHex32(member.fundingTxid ?? ''),
      outputIndex: member.fundingOutputIndex ?? 0,
    };
    await retryUntilDone(
      async () => {
        await this.#funder.published(fundingId, signal);
        const open = (await this.#lightning.listChannels(AbortSignal.timeout(COOP_CLOSE_MS))).some(
          (c) => pointKey(c.channelPoint) === pointKey(point),
        );
        if (!open) return;
        const closing = await this.#lightning
          .closeChannel({ channelPoint: point }, AbortSignal.timeout(COOP_CLOSE_MS))
          .catch(async (err: unknown) => {
            this.#log.warn(
              { jit: member.id, err: errorMessage(err) },
              'the cooperative close of an unpaid JIT channel failed; force-closing it',
            );
            return this.#lightning.closeChannel(
              { channelPoint: point, force: true },
              AbortSignal.timeout(COOP_CLOSE_MS),
            );
          });
        this.#log.warn(
          {
            jit: member.id,
            client: member.clientPubkey,
            funding: fundingId,
            closingTxid: closing.closingTxid,
          },
          'a JIT channel its client never paid for went on chain with its batch; closed',
        );
      },
      { what: 'closing an unpaid JIT channel', signal, log: this.#log, subject: { jit: member.id } },
    );
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}

function pointKey(p: ChannelPoint): string {
  return `${p.txid}:${p.outputIndex}`;
}

function fundingOf(r: JitChannelRecord): string {
  if (!r.fundingId || !r.fundingTxid || r.fundingOutputIndex === null)
    throw new Error(`JIT channel ${r.id} is ${r.state} without its funding`);
  return r.fundingId;
}
