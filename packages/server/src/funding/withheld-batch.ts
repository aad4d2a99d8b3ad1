/**
 * A withheld funding shared by a batch of channels (JIT channels, `lsps2.batchWithheld`; or
 * wrapped invoices' channels): what becomes of it, and of each member's channel, as the members
 * end. The members are their owners' records ({@link WithheldMembers}: one kind per batch).
 *
 * - The first member whose client settles releases it: it is published, and every member's
 *   channel with it.
 * - A member whose client never settles (`unpaid`) gives the funding up only when no other
 *   member can still settle: then nothing reaches the chain, as for a funding of its own. While
 *   another member still may, the funding stays withheld for it.
 * - An unpaid member whose batch's funding is (or then gets) published has a channel on chain
 *   its client never paid for: the LSP closes it (cooperatively; force-closed when the client
 *   does not answer), at its own cost, its share of the funding and the close. Its client counts
 *   as never having settled (`maxUnsettledPerClient`, `maxUnsettledPerWallet`).
 *
 * Each member's effect reads the others after its own step has committed, so of two members
 * given up at once the later always sees the earlier: the last one gives the funding up. A
 * funding of one member goes the same way (no other member: it is given up).
 */
import {
  type ChannelPoint,
  type ChannelsPort,
  closeCost,
  formatChannelPoint,
  parseHex32,
  type Sat,
  type WalletPort,
} from '@blgv/core';
import type { NewUnpaidChannel, UnpricedClose } from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { retryUntilDone } from '../jobs/retry.ts';
import { pause } from '../poll.ts';
import type { ChannelFunder } from './channel-funder.ts';

/** How long a cooperative close may take to be under way before the channel is force-closed. */
const COOP_CLOSE_MS = 30_000;
/**
 * How soon a close is first looked at for its cost, and the longest between looks (a force
 * close resolves only once its time lock has run out).
 */
const PRICE_FIRST_MS = 2_000;
const PRICE_MAX_MS = 300_000;

/** One member of a withheld funding, as its owner's record tells. */
export interface WithheldMember {
  /** Its owner's record (a JIT channel's, a wrapped invoice's id). */
  readonly id: string;
  /** Its channel's owner in the funding (`jit:<id>`, `wrapped:<id>`). */
  readonly owner: string;
  readonly fundingId: string;
  readonly channelPoint: ChannelPoint;
  /** The client's node. */
  readonly client: string;
  /**
   * `may_settle`: its client may still settle; `settled`: it did (the funding released, or being
   * released); `unpaid`: it never will; `other`: none of these (not past the commit point).
   */
  readonly standing: 'may_settle' | 'settled' | 'unpaid' | 'other';
}

/** Where one kind of member's records are read. */
export interface WithheldMembers {
  /** What their owners in a funding begin with (`jit:`, `wrapped:`): this kind's unpaid channels. */
  readonly ownerPrefix: string;
  /** The members of a funding. */
  ofFunding(fundingId: string): Promise<WithheldMember[]>;
  /** Unpaid members whose funding went out (publishing or published). */
  unpaidWentOut(): Promise<WithheldMember[]>;
}

/** The Lightning calls closing an unpaid member's channel makes. */
export type WithheldBatchLightning = Pick<ChannelsPort, 'closeChannel' | 'closedChannels' | 'listChannels'> &
  Pick<WalletPort, 'listOnchainTransactions'>;

/** Where an unpaid member's channel is recorded as the LSP's expense (once; again: nothing). */
export interface UnpaidChannelsLog {
  record(c: NewUnpaidChannel): Promise<void>;
  /** Which of these channel owners are recorded. */
  recorded(owners: readonly string[]): Promise<Set<string>>;
  /** The unpaid channels (of owners beginning with `ownerPrefix`) whose close is not priced yet. */
  unpricedCloses(ownerPrefix: string): Promise<UnpricedClose[]>;
  /** Records what a close cost, once: true when this call recorded it. */
  recordCloseFee(owner: string, fee: Sat): Promise<boolean>;
}

/** Decides a shared withheld funding's fate as its members end; closes unpaid members' channels. */
export class WithheldBatch {
  readonly #members: WithheldMembers;
  readonly #funder: Pick<ChannelFunder, 'withdraw' | 'published'>;
  readonly #lightning: WithheldBatchLightning;
  readonly #unpaid: UnpaidChannelsLog;
  readonly #log: Logger;
  readonly #signal: () => AbortSignal;
  /** Members whose channels this process is closing. */
  readonly #closing = new Set<string>();
  /** Closes (by owner) this process is waiting on to record their cost. */
  readonly #pricing = new Set<string>();

  constructor(deps: {
    members: WithheldMembers;
    funder: Pick<ChannelFunder, 'withdraw' | 'published'>;
    lightning: WithheldBatchLightning;
    unpaid: UnpaidChannelsLog;
    log: Logger;
    /** The running owner's signal. */
    signal: () => AbortSignal;
  }) {
    this.#members = deps.members;
    this.#funder = deps.funder;
    this.#lightning = deps.lightning;
    this.#unpaid = deps.unpaid;
    this.#log = deps.log;
    this.#signal = deps.signal;
  }

  /** `member` will never be paid for (its client never settled): see the module comment. */
  async withdraw(member: WithheldMember, reason: string): Promise<void> {
    const others = (await this.#members.ofFunding(member.fundingId)).filter((o) => o.id !== member.id);
    const settled = others.some((o) => o.standing === 'settled');
    if (!settled && others.some((o) => o.standing === 'may_settle')) {
      this.#log.info(
        { member: member.id, funding: member.fundingId, reason },
        'never settled; its batch’s funding stays withheld for the others',
      );
      return;
    }
    if (!settled && (await this.#funder.withdraw(member.fundingId, reason))) {
      this.#log.info({ member: member.id, reason }, 'never settled; its funding withdrawn');
      return;
    }
    if (others.length === 0)
      this.#log.error({ member: member.id, funding: member.fundingId }, 'a withdrawn funding was released');
    this.#closeUnpaid(member);
  }

  /** `settled` released its batch's funding: the members unpaid before have their channels closed. */
  async released(settled: Pick<WithheldMember, 'id' | 'fundingId'>): Promise<void> {
    for (const o of await this.#members.ofFunding(settled.fundingId))
      if (o.id !== settled.id && o.standing === 'unpaid') this.#closeUnpaid(o);
  }

  /**
   * After a restart: unpaid members whose batch's funding went out and whose channels are still
   * open are closed; those closed but not yet recorded as the LSP's expense (a crash between the
   * close and its record, or closed before such records were kept) are recorded; closes whose
   * cost is not recorded yet are waited on again.
   */
  async recover(): Promise<void> {
    await this.#priceUnpriced();
    const unpaid = await this.#members.unpaidWentOut();
    if (unpaid.length === 0) return;
    const open = new Set(
      (await this.#lightning.listChannels(AbortSignal.timeout(COOP_CLOSE_MS))).map((c) =>
        formatChannelPoint(c.channelPoint),
      ),
    );
    const recorded = await this.#unpaid.recorded(unpaid.map((m) => m.owner));
    for (const m of unpaid)
      if (open.has(formatChannelPoint(m.channelPoint)) || !recorded.has(m.owner)) this.#closeUnpaid(m);
  }

  /**
   * Closes an unpaid member's channel once its funding is out: started here and retried until
   * it is closing, without holding up the caller (a restart's {@link recover} starts it again);
   * one already closing or closed is left alone. Either way the channel is then recorded as the
   * LSP's expense (its share of the funding), retried until recorded.
   */
  #closeUnpaid(member: WithheldMember): void {
    if (this.#closing.has(member.id)) return;
    this.#closing.add(member.id);
    const signal = this.#signal();
    this.#close(member, signal)
      .catch((err: unknown) => {
        if (!signal.aborted) this.#log.error({ err, member: member.id }, 'closing an unpaid channel stopped');
      })
      .finally(() => this.#closing.delete(member.id));
  }

  async #close(member: WithheldMember, signal: AbortSignal): Promise<void> {
    const point = member.channelPoint;
    let closingTxid: string | null = null;
    let looked = false;
    await retryUntilDone(
      async () => {
        await this.#funder.published(member.fundingId, signal);
        if (!looked) {
          const open = (await this.#lightning.listChannels(AbortSignal.timeout(COOP_CLOSE_MS))).some(
            (c) => formatChannelPoint(c.channelPoint) === formatChannelPoint(point),
          );
          if (open) closingTxid = (await this.#closeChannel(member)).closingTxid;
          looked = true;
        }
        await this.#unpaid.record({
          owner: member.owner,
          clientPubkey: member.client,
          fundingId: member.fundingId,
          channelPoint: formatChannelPoint(point),
          closingTxid,
        });
      },
      { what: 'closing an unpaid channel', signal, log: this.#log, subject: { member: member.id } },
    );
    await this.#priceUnpriced();
  }

  /** Waits on every close of this kind whose cost is not recorded yet ({@link #priceClose}). */
  async #priceUnpriced(): Promise<void> {
    for (const c of await this.#unpaid.unpricedCloses(this.#members.ownerPrefix)) this.#priceClose(c);
  }

  /**
   * Waits (in the background, looking less and less often) for an unpaid channel's close to be
   * resolved (the LSP's, or one its client made: the LSP funded it, so the fee is its own either
   * way), and records what it cost: the channel's capacity less what came back to the LSP's
   * wallet ({@link closeCost}: a force close's outputs net of their sweeps' fees).
   */
  #priceClose(close: UnpricedClose): void {
    if (this.#pricing.has(close.owner)) return;
    this.#pricing.add(close.owner);
    const signal = this.#signal();
    const look = async () => {
      for (let wait = PRICE_FIRST_MS; !signal.aborted; wait = Math.min(wait * 2, PRICE_MAX_MS)) {
        await pause(wait, signal);
        if (signal.aborted) return;
        const closed = (
          await this.#lightning.closedChannels(AbortSignal.timeout(COOP_CLOSE_MS)).catch(() => [])
        ).find(
          (c) => formatChannelPoint(c.channelPoint) === close.channelPoint && c.settledBalance !== undefined,
        );
        if (closed?.settledBalance === undefined) continue;
        // A force close's sweeps, and what their other inputs spent, are among the wallet's
        // transactions from the close on (a cooperative close needs none).
        const walletTxs = closed.resolutions?.some((r) => r.sweepTxid)
          ? await this.#lightning
              .listOnchainTransactions(
                { startHeight: closed.closeHeight ?? 0 },
                AbortSignal.timeout(COOP_CLOSE_MS),
              )
              .catch(() => undefined)
          : [];
        if (!walletTxs) continue;
        const { cost: fee, unsplitSweeps } = closeCost(closed, walletTxs);
        if (unsplitSweeps.length > 0)
          this.#log.warn(
            { owner: close.owner, sweeps: unsplitSweeps },
            "an unpaid channel's sweep spent inputs of unknown value: its fee is left out of the close's cost",
          );
        // A write that fails (the database away) is tried again at the next look.
        const recorded = await this.#unpaid.recordCloseFee(close.owner, fee).catch((err: unknown) => {
          this.#log.warn(
            { err: errorMessage(err), owner: close.owner },
            "recording an unpaid channel's close failed",
          );
          return undefined;
        });
        if (recorded === undefined) continue;
        if (recorded)
          this.#log.info(
            { owner: close.owner, channel: close.channelPoint, closeFee: Number(fee) },
            "an unpaid channel's close resolved; its cost recorded",
          );
        return;
      }
    };
    look()
      .catch((err: unknown) => {
        if (!signal.aborted)
          this.#log.warn({ err, owner: close.owner }, "recording an unpaid channel's close stopped");
      })
      .finally(() => this.#pricing.delete(close.owner));
  }

  /** Closes the channel cooperatively, or by force when the client does not answer. */
  async #closeChannel(member: WithheldMember): Promise<{ closingTxid: string }> {
    const point = member.channelPoint;
    const closing = await this.#lightning
      .closeChannel({ channelPoint: point }, AbortSignal.timeout(COOP_CLOSE_MS))
      .catch(async (err: unknown) => {
        this.#log.warn(
          { member: member.id, err: errorMessage(err) },
          'the cooperative close of an unpaid channel failed; force-closing it',
        );
        return this.#lightning.closeChannel(
          { channelPoint: point, force: true },
          AbortSignal.timeout(COOP_CLOSE_MS),
        );
      });
    this.#log.warn(
      {
        member: member.id,
        client: member.client,
        funding: member.fundingId,
        closingTxid: closing.closingTxid,
      },
      'a channel its client never paid for went on chain with its batch; closed',
    );
    return closing;
  }
}

/** What a member's record holds of it: its id, state and funding fields. */
export interface MemberRecord<S extends string> {
  readonly id: string;
  readonly state: S;
  readonly fundingId: string | null;
  readonly fundingTxid: string | null;
  readonly fundingOutputIndex: number | null;
}

/**
 * A record past its commit point as a member of its funding; `standings` says what each of its
 * owner's states means (any other is `other`).
 */
export function withheldMember<S extends string>(
  r: MemberRecord<S>,
  owner: string,
  client: string,
  standings: Partial<Record<S, WithheldMember['standing']>>,
): WithheldMember {
  if (!r.fundingId) throw new Error(`${r.id} is ${r.state} without its funding`);
  return {
    id: r.id,
    owner,
    fundingId: r.fundingId,
    channelPoint: { txid: parseHex32(r.fundingTxid ?? ''), outputIndex: r.fundingOutputIndex ?? 0 },
    client,
    standing: standings[r.state] ?? 'other',
  };
}

/** {@link WithheldMembers} from an owner's two reads and its record-to-member mapping. */
export function withheldMembers<R>(
  ownerPrefix: string,
  read: { ofFunding(fundingId: string): Promise<R[]>; unpaidWentOut(): Promise<R[]> },
  member: (r: R) => WithheldMember,
): WithheldMembers {
  return {
    ownerPrefix,
    ofFunding: async (fundingId) => (await read.ofFunding(fundingId)).map(member),
    unpaidWentOut: async () => (await read.unpaidWentOut()).map(member),
  };
}
