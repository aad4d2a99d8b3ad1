/**
 * Forwarding a JIT payment over its new channel and the forward's end: the held parts go on
 * with the recorded opening fee split over them (each marked in TLV 65537, bLIP-25
 * `extra_fee`), and the channel is `completed` only once they settle (through
 * {@link ForwardSettlements}, or LND's forwarding history for ends that were missed).
 *
 * Over a channel whose funding is withheld (`awaiting_preimage`) the end decides the funding:
 * settled, it is released; failed, it is withdrawn. That end is judged from LND's own state of
 * the channel ({@link judgeWithheld}), never from a missed or late event alone.
 */
import {
  type ChannelsPort,
  type HtlcInterceptionPort,
  type Msat,
  msat,
  type PartForward,
  splitFee,
} from '@blgv/core';
import { type Database, type JitChannelRecord, Lsps2JitChannelsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { type ForwardOutcome, ForwardSettlements } from './forward-settlements.ts';
import { type Held, type HeldHtlcs, htlcIds, htlcKey, toPart } from './held-htlcs.ts';
import type { ApplyJitEvent } from './jit-step.ts';

/** TLV type of bLIP-25 `extra_fee`: what the LSP deducted from an HTLC. */
export const EXTRA_FEE_TLV = 65537n;

/**
 * The Lightning calls JIT payment forwarding makes: the channels a payment goes over, and the
 * HTLCs' final resolutions and the forwarding history its settlements follow.
 */
export type JitPaymentForwardingLightning = Pick<HtlcInterceptionPort, 'htlcResolutions'> &
  Pick<ChannelsPort, 'forwardingHistory' | 'listChannels'>;

/** Forwards JIT payments over their channels and completes the channels once they settle. */
export class JitPaymentForwarding {
  readonly #database: Database;
  readonly #lightning: Pick<ChannelsPort, 'listChannels'>;
  readonly #held: HeldHtlcs;
  readonly #apply: ApplyJitEvent;
  readonly #log: Logger;
  readonly #settlements: ForwardSettlements;
  /**
   * JIT id -> how each part of its payment goes on, decided when the payment was forwarded (the
   * fee split once over its parts), until the forward ends. A part that comes again (its
   * resolve failed and LND replays it) goes on as decided; one the decision did not cover goes
   * on whole: the fee was taken.
   */
  readonly #plans = new Map<string, Map<string, PartForward<string>>>();
  #signal: AbortSignal = AbortSignal.abort();

  constructor(deps: {
    database: Database;
    lightning: JitPaymentForwardingLightning;
    /** The HTLCs held for JIT channels (resolved through the interceptor). */
    held: HeldHtlcs;
    /** Writes a JIT channel's step (the forwarder's one driver call). */
    apply: ApplyJitEvent;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#held = deps.held;
    this.#apply = deps.apply;
    this.#log = deps.log;
    this.#settlements = new ForwardSettlements({
      lightning: deps.lightning,
      log: deps.log,
      onOutcome: (id, outcome) => this.#forwardEnded(id, outcome),
    });
  }

  /** Follows LND's final HTLC resolutions until `signal` aborts. */
  run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    return this.#settlements.run(signal);
  }

  /**
   * Forwards the held parts with the recorded fee split over them (the `forward_htlcs` effect,
   * and a part arriving for a channel `forwarding`). Once the payment was forwarded, a part of
   * it held again goes on as the split decided, or whole (the fee was taken once): a part whose
   * resolve failed, which LND replays, or one more part of a payment of no fixed size. False
   * while parts wait (short of a fixed size: after a restart LND replays them one by one).
   */
  async forwardHeld(record: JitChannelRecord, held: Held | undefined): Promise<boolean> {
    const parts = [...(held?.parts.values() ?? [])].filter((p) => p.paymentHash === record.paymentHash);
    // Nothing of the payment is held (LND failed it back while no server ran): a funded channel
    // waits for the payment to come again; it is not forwarded, nor its fee earned. One whose
    // funding is withheld has its forward judged (gone: the funding withdrawn).
    if (!held || parts.length === 0) {
      this.#log.warn(
        { jit: record.id, paymentHash: record.paymentHash, state: record.state },
        record.state === 'awaiting_preimage'
          ? 'JIT channel usable, but its payment is not held any more; its forward is judged'
          : 'JIT channel open, but its payment is not held any more; waiting for it to come again',
      );
      return true;
    }
    const size = record.paymentSizeMsat;
    const planned = this.#plans.get(record.id);
    const unplanned = parts.filter((p) => !planned?.has(htlcKey(p)));
    // Parts outside the plan that make a fixed-size payment by themselves are the payment sent
    // again (the forward before failed, its end missed): a new forward, its fee split anew.
    if (planned && size !== null && sumOf(unplanned) >= size) this.#plans.delete(record.id);
    else if (planned) {
      const again = parts
        .map(toPart)
        .map((p) => planned.get(p.id) ?? { id: p.id, amount: p.amount, extraFee: msat(0n) });
      this.#log.info(
        { jit: record.id, parts: again.length, beyond: unplanned.length },
        'parts of a JIT payment already forwarded go on (as decided, or whole: its fee was taken)',
      );
      await this.#resume(record.id, held, parts, again);
      return true;
    }
    const total = sumOf(parts);
    // After a restart LND replays the parts one by one: wait until they cover the payment again.
    if (size !== null && total < size) return false;
    const forwards: PartForward<string>[] = splitFee(parts.map(toPart), total, record.feeMsat ?? msat(0n));
    this.#plans.set(record.id, new Map(forwards.map((f) => [f.id, f])));
    await this.#resume(record.id, held, parts, forwards);
    this.#log.info(
      { jit: record.id, parts: forwards.length, feeMsat: String(record.feeMsat) },
      record.state === 'awaiting_preimage'
        ? 'JIT payment forwarded; its funding released once it settles'
        : 'JIT payment forwarded; completed once it settles',
    );
    // Anything else held for this scid (another payment hash) goes back; the scid now leads to
    // the channel, so unknown_next_peer is not ours to give.
    await this.#held.release(record.id, held, 'temporary_channel_failure');
    return true;
  }

  /** Lets the parts go on as `forwards` say, told how they end before they go. */
  async #resume(
    id: string,
    held: Held,
    parts: Parameters<ForwardSettlements['expect']>[1],
    forwards: readonly PartForward<string>[],
  ): Promise<void> {
    // Told how they end before they go: completed (the fee earned) only once they settle.
    this.#settlements.expect(id, parts);
    for (const f of forwards) {
      const htlc = held.parts.get(f.id);
      if (!htlc) continue;
      held.parts.delete(f.id);
      await this.#held.resolve({
        action: 'resume_modified',
        ...htlcIds(htlc),
        outgoingAmount: f.amount,
        outgoingCustomRecords: new Map([[EXTRA_FEE_TLV, u64(f.extraFee)]]),
      });
    }
  }

  /**
   * Forwards whose end was missed (a restart, the resolutions stream reconnecting): a channel
   * `forwarding` whose settled forwards in LND's history carry its opening fee is completed; one
   * `awaiting_preimage` is judged ({@link judgeWithheld}).
   */
  async settleFromHistory(signal: AbortSignal): Promise<void> {
    for (const r of await this.#repo().inStates(['awaiting_preimage']))
      await this.judgeWithheld(r.id, signal);
    const forwarding = (await this.#repo().inStates(['forwarding'])).filter(
      (r) => !this.#settlements.pending(r.id),
    );
    if (forwarding.length === 0) return;
    const channels = await this.#lightning.listChannels(signal);
    for (const r of forwarding) {
      const channel = channels.find(
        (c) => c.channelPoint.txid === r.fundingTxid && c.channelPoint.outputIndex === r.fundingOutputIndex,
      );
      const scids = new Set<string>([
        r.jitScid,
        ...(r.channelScid ? [r.channelScid] : []),
        ...(channel ? [channel.scid, ...channel.aliasScids].map(String) : []),
      ]);
      const since = new Date(r.createdAt.getTime() - 60_000);
      if (await this.#settlements.settledInHistory(scids, since, r.feeMsat ?? msat(0n), signal))
        await this.#forwardEnded(r.id, 'settled');
    }
  }

  /**
   * The end of the forward over a channel whose funding is withheld, judged from LND, in turn
   * with the channel's parts (none is forwarded meanwhile):
   *
   * - the client holds funds in the channel: it was paid over it, so it settled and the LSP
   *   holds the preimage: `forwarded` (its `release_funding` publishes the funding);
   * - a part of the payment is held here, or an HTLC of it is on any channel of the LSP's node
   *   (the payer's, held or forwarded; the client's): not ended, judged again later;
   * - otherwise the payment is gone and the client was never paid: `forward_failed` (its
   *   `withdraw_funding` abandons the channel and releases the inputs).
   *
   * The channel's balances and HTLCs are read in one listing, so a settle is never taken for a
   * failure; a channel LND does not list is waited for.
   */
  judgeWithheld(id: string, signal: AbortSignal): Promise<void> {
    return this.#held.serially(id, async () => {
      const record = await this.#repo().get(id);
      if (record?.state !== 'awaiting_preimage') return;
      const verdict = await this.#verdict(record, signal);
      if (verdict !== 'pending') this.#plans.delete(id);
      if (verdict === 'settled') {
        await this.#apply(record, { type: 'forwarded' });
        this.#log.info(
          { jit: id, feeMsat: String(record.feeMsat) },
          'JIT payment settled; releasing its funding',
        );
      } else if (verdict === 'failed') {
        this.#log.warn({ jit: id }, 'JIT payment never settled by the client; withdrawing its funding');
        await this.#apply(record, {
          type: 'forward_failed',
          reason: 'the client never settled the payment forwarded to it',
        });
      }
    });
  }

  async #verdict(r: JitChannelRecord, signal: AbortSignal): Promise<'settled' | 'pending' | 'failed'> {
    const held = [...(this.#held.get(r.id)?.parts.values() ?? [])];
    if (held.some((p) => p.paymentHash === r.paymentHash)) return 'pending';
    const channels = await this.#lightning.listChannels(signal);
    const channel = channels.find(
      (c) => c.channelPoint.txid === r.fundingTxid && c.channelPoint.outputIndex === r.fundingOutputIndex,
    );
    if (!channel) {
      this.#log.warn(
        { jit: r.id },
        'the channel of a JIT payment awaiting its preimage is not listed; waiting',
      );
      return 'pending';
    }
    if (channel.remoteBalance > 0n) return 'settled';
    const inFlight =
      channel.pendingHtlcs > 0 || channels.some((c) => c.htlcs.some((h) => h.paymentHash === r.paymentHash));
    return inFlight ? 'pending' : 'failed';
  }

  /**
   * A forward's end: settled, the channel is `completed` (its opening fee earned), or, its
   * funding withheld, `releasing`; failed back by the client, a funded channel stays
   * `forwarding` for the payment to come again, and one whose funding is withheld is judged.
   */
  async #forwardEnded(id: string, outcome: ForwardOutcome): Promise<void> {
    // Failed, a payment that comes again is a new forward, its fee split anew.
    this.#plans.delete(id);
    const record = await this.#repo().get(id);
    if (record?.state === 'awaiting_preimage') {
      // Settled: the LSP holds the preimage. Failed: judged from LND before anything is withdrawn.
      if (outcome === 'settled') await this.#apply(record, { type: 'forwarded' });
      else await this.judgeWithheld(id, this.#signal);
      return;
    }
    if (record?.state !== 'forwarding') return;
    if (outcome === 'settled') {
      await this.#apply(record, { type: 'forwarded' });
      this.#log.info({ jit: id, feeMsat: String(record.feeMsat) }, 'JIT payment settled; opening fee earned');
    } else {
      this.#log.warn(
        { jit: id },
        'JIT payment failed back after it was forwarded; waiting for it to come again',
      );
    }
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}

/** What `parts` ask to forward together. */
function sumOf(parts: readonly { readonly outgoingAmount: Msat }[]): Msat {
  return parts.reduce((s, p) => s + p.outgoingAmount, 0n) as Msat;
}

function u64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, value);
  return b;
}
