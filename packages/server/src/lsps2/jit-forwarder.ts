/**
 * The LSPS2 forwarder: LND's HTLC interceptor for the LSP node. HTLCs for other channels are
 * resumed at once. HTLCs for a JIT scid are held until they cover the payment; then one
 * zero-conf, scid-alias, private channel is opened to the client, the JIT scid is added as an
 * alias of it (so LND routes the scid there), and each part is resumed with its share of the
 * opening fee deducted and marked in TLV 65537. Every step is persisted first (see
 * `nextJitState`); after a restart LND replays the HTLCs it still holds and the forwarder picks
 * up from the stored state. A channel found in `opening` with no funding in LND is not opened
 * again: its HTLCs are failed back.
 */
import {
  decideJitPayment,
  type FeeSchedule,
  FINAL_JIT_STATES,
  formatScid,
  type HeldPart,
  type HtlcInterceptor,
  type InterceptedHtlc,
  type JitChannelEvent,
  type JitChannelState,
  type JitTerms,
  type LightningBackend,
  type Msat,
  msat,
  nextJitState,
  type PartForward,
  parseHex32,
  parsePubkey,
  type Scid,
  sat,
  scid,
  splitFee,
} from '@blgv/core';
import {
  type Database,
  isUniqueViolation,
  type JitChannelRecord,
  Lsps2JitChannelsRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import { forwardingFees } from '../channels/forwarding-policy.ts';
import { activeChannel } from './channel-open.ts';
import { isAliasScid } from './jit-scid.ts';

/** TLV type of bLIP-25 `extra_fee`: what the LSP deducted from an HTLC. */
export const EXTRA_FEE_TLV = 65537n;

/** Forwarder limits (from config). */
export interface JitForwarderLimits {
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
  readonly mppTimeoutSeconds: number;
}

const MEMO_PREFIX = 'lsps2:';
const OPEN_TIMEOUT_MS = 60_000;

/** The HTLCs held for one JIT channel, in arrival order. */
interface Held {
  readonly parts: Map<string, InterceptedHtlc>;
  readonly firstAt: Date;
  timer: NodeJS.Timeout | undefined;
  /** Evaluations of one JIT channel run one after another. */
  queue: Promise<void>;
  /** True while this process is opening the channel. */
  opening: boolean;
}

const key = (h: InterceptedHtlc) => `${h.incomingScid}:${h.incomingHtlcId}`;

/** Runs the interceptor and the JIT channels' state machine. */
export class JitForwarder {
  readonly #database: Database;
  readonly #lightning: LightningBackend;
  readonly #schedule: FeeSchedule;
  readonly #limits: JitForwarderLimits;
  readonly #log: Logger;
  readonly #held = new Map<string, Held>();
  #interceptor: HtlcInterceptor | undefined;
  #signal: AbortSignal = AbortSignal.abort();

  constructor(deps: {
    database: Database;
    lightning: LightningBackend;
    schedule: FeeSchedule;
    limits: JitForwarderLimits;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
  }

  /** Intercepts HTLCs until `signal` aborts; `onConnected` fires each time LND takes us on. */
  async run(signal: AbortSignal, onConnected?: () => void): Promise<void> {
    this.#signal = signal;
    const interceptor = this.#lightning.interceptHtlcs({
      signal,
      onConnected: () => {
        this.#log.info('HTLC interceptor connected');
        onConnected?.();
      },
    });
    this.#interceptor = interceptor;
    void this.#recoverOpenings().catch((err: unknown) => this.#log.error({ err }, 'JIT recovery failed'));
    for await (const htlc of interceptor.htlcs) {
      this.#onHtlc(htlc).catch((err: unknown) => {
        this.#log.error(
          { err, scid: formatScid(htlc.outgoingScid) },
          'HTLC handling failed; failing it back',
        );
        void this.#fail([htlc]);
      });
    }
    for (const h of this.#held.values()) clearTimeout(h.timer);
  }

  async #onHtlc(htlc: InterceptedHtlc): Promise<void> {
    const record = isAliasScid(htlc.outgoingScid)
      ? await this.#repo().byScid(htlc.outgoingScid.toString())
      : undefined;
    if (!record) return this.#resolve({ action: 'resume', ...ids(htlc) });
    let held = this.#held.get(record.id);
    if (!held) {
      held = {
        parts: new Map(),
        firstAt: new Date(),
        timer: undefined,
        queue: Promise.resolve(),
        opening: false,
      };
      this.#held.set(record.id, held);
    }
    held.parts.set(key(htlc), htlc);
    const h = held;
    h.queue = h.queue.then(() => this.#evaluate(record.id, h));
    await h.queue;
  }

  /** Acts on the parts held for one JIT channel according to its stored state. */
  async #evaluate(id: string, held: Held): Promise<void> {
    const record = await this.#repo().get(id);
    if (!record || held.parts.size === 0) return;
    const parts = [...held.parts.values()];
    const state = record.state as JitChannelState;
    if (state === 'completed') return this.#release(id, held, 'resume');
    if (FINAL_JIT_STATES.includes(state)) return this.#release(id, held, 'fail');
    if (state === 'forwarding') return this.#forwardHeld(record, held);
    if (state === 'opening') {
      // This process is opening it: the part waits. Otherwise we were restarted mid-open.
      if (!held.opening) await this.#resumeOpening(record, held);
      return;
    }
    const decision = decideJitPayment(terms(record), parts.map(toPart), held.firstAt);
    if (decision.kind === 'wait') {
      held.timer ??= setTimeout(() => this.#timeout(id, held), this.#limits.mppTimeoutSeconds * 1000);
      return;
    }
    if (decision.kind === 'fail') {
      this.#log.info({ jit: id, reason: decision.reason, parts: parts.length }, 'JIT payment refused');
      if (decision.reason === 'params_expired') await this.#apply(record, { type: 'params_expired' });
      return this.#release(id, held, 'fail');
    }
    clearTimeout(held.timer);
    const capacity = this.#capacity(decision.paymentSize);
    try {
      const moved = await this.#apply(
        record,
        {
          type: 'payment_arrived',
          paymentHash: decision.paymentHash,
          paymentSize: decision.paymentSize,
          fee: decision.fee,
        },
        { channelCapacitySat: capacity },
      );
      if (!moved) return this.#evaluate(id, held);
    } catch (err) {
      // Another JIT channel already took this payment hash: one payment, one channel.
      if (isUniqueViolation(err)) return this.#release(id, held, 'fail');
      throw err;
    }
    await this.#openThenForward(record, held, () =>
      activeChannel(
        this.#lightning,
        {
          open: {
            ...forwardingFees(this.#schedule),
            remotePubkey: parsePubkey(record.client_pubkey),
            localAmount: sat(capacity),
            private: true,
            zeroConf: true,
            scidAlias: true,
            memo: `${MEMO_PREFIX}${id}`,
          },
        },
        AbortSignal.any([this.#signal, AbortSignal.timeout(OPEN_TIMEOUT_MS)]),
      ),
    );
  }

  /**
   * Gets the channel from `open`, maps the JIT scid onto it and forwards the held parts; an
   * open that fails fails them back.
   */
  async #openThenForward(
    record: JitChannelRecord,
    held: Held,
    open: () => Promise<{ channelPoint: { txid: string; outputIndex: number }; scid: Scid }>,
  ): Promise<void> {
    held.opening = true;
    try {
      const channel = await open();
      await this.#ready(record, channel.channelPoint, channel.scid);
    } catch (err) {
      await this.#openFailed(record, held, err);
      return;
    } finally {
      held.opening = false;
    }
    await this.#forwardHeld((await this.#repo().get(record.id)) ?? record, held);
  }

  /** Maps the JIT scid onto the new channel and records it usable. */
  async #ready(record: JitChannelRecord, point: { txid: string; outputIndex: number }, channelScid: Scid) {
    await this.#lightning
      .addChannelAlias(scid(record.jit_scid), channelScid, this.#signal)
      .catch((err: unknown) => {
        // After a restart the alias may already be there.
        if (!/already exists/i.test(String(err))) throw err;
      });
    await this.#apply(
      { ...record, state: 'opening' },
      { type: 'channel_ready', txid: parseHex32(point.txid), outputIndex: point.outputIndex, channelScid },
    );
    this.#log.info(
      {
        jit: record.id,
        channel: `${point.txid}:${point.outputIndex}`,
        scid: formatScid(scid(record.jit_scid)),
      },
      'JIT channel open; forwarding',
    );
  }

  /** Forwards the held parts with the recorded fee split over them. */
  async #forwardHeld(record: JitChannelRecord, held: Held): Promise<void> {
    const parts = [...held.parts.values()].filter((p) => p.paymentHash === record.payment_hash);
    const total = parts.reduce((s, p) => s + p.outgoingAmount, 0n) as Msat;
    const size = record.payment_size_msat;
    // After a restart LND replays the parts one by one: wait until they cover the payment again.
    if (size !== null && total < size) return;
    const forwards: PartForward<string>[] = splitFee(parts.map(toPart), total, msat(record.fee_msat ?? 0n));
    for (const f of forwards) {
      const htlc = held.parts.get(f.id);
      if (!htlc) continue;
      held.parts.delete(f.id);
      await this.#resolve({
        action: 'resume_modified',
        ...ids(htlc),
        outgoingAmount: f.amount,
        outgoingCustomRecords: new Map([[EXTRA_FEE_TLV, u64(f.extraFee)]]),
      });
    }
    await this.#apply(record, { type: 'forwarded' });
    this.#log.info(
      { jit: record.id, parts: forwards.length, feeMsat: String(record.fee_msat) },
      'JIT payment forwarded',
    );
    // Anything else held for this scid (another payment hash) goes back.
    await this.#release(record.id, held, 'fail');
  }

  /** After a restart mid-open: adopt the channel LND funded, or fail the HTLCs back. */
  async #resumeOpening(record: JitChannelRecord, held: Held): Promise<void> {
    await this.#openThenForward(record, held, async () => {
      const memo = `${MEMO_PREFIX}${record.id}`;
      const [pending, open] = await Promise.all([
        this.#lightning.pendingChannels(this.#signal),
        this.#lightning.listChannels(this.#signal),
      ]);
      const found = [...open, ...pending].find((c) => c.memo === memo);
      if (!found) throw new Error('the open was interrupted before a channel was funded');
      return activeChannel(
        this.#lightning,
        { channelPoint: found.channelPoint },
        AbortSignal.any([this.#signal, AbortSignal.timeout(OPEN_TIMEOUT_MS)]),
      );
    });
  }

  /** JIT channels left in `opening` with no HTLC replayed (e.g. the payer gave up) end here. */
  async #recoverOpenings(): Promise<void> {
    for (const record of await this.#repo().inStates(['opening'])) {
      if (this.#held.has(record.id)) continue;
      const held: Held = {
        parts: new Map(),
        firstAt: new Date(),
        timer: undefined,
        queue: Promise.resolve(),
        opening: false,
      };
      this.#held.set(record.id, held);
      held.queue = held.queue.then(() => this.#resumeOpening(record, held));
    }
  }

  async #openFailed(record: JitChannelRecord, held: Held, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    this.#log.warn({ jit: record.id, reason }, 'JIT channel open failed; failing the HTLCs back');
    await this.#apply({ ...record, state: 'opening' }, { type: 'open_failed', reason });
    await this.#release(record.id, held, 'fail');
  }

  #timeout(id: string, held: Held): void {
    held.queue = held.queue.then(async () => {
      const record = await this.#repo().get(id);
      if (record?.state !== 'awaiting_payment') return;
      this.#log.info(
        { jit: id, parts: held.parts.size },
        'JIT parts did not cover the payment in time; failing them back',
      );
      await this.#release(id, held, 'fail');
    });
  }

  /** Resumes or fails every part held for a JIT channel and forgets them. */
  async #release(id: string, held: Held, how: 'resume' | 'fail'): Promise<void> {
    clearTimeout(held.timer);
    const parts = [...held.parts.values()];
    held.parts.clear();
    if (this.#held.get(id) === held) this.#held.delete(id);
    if (how === 'fail') await this.#fail(parts);
    else for (const p of parts) await this.#resolve({ action: 'resume', ...ids(p) });
  }

  async #fail(parts: readonly InterceptedHtlc[]): Promise<void> {
    for (const p of parts)
      await this.#resolve({ action: 'fail', ...ids(p), failure: 'temporary_channel_failure' }).catch(
        (err: unknown) => this.#log.warn({ err }, 'could not fail an HTLC back'),
      );
  }

  async #resolve(r: Parameters<HtlcInterceptor['resolve']>[0]): Promise<void> {
    if (!this.#interceptor) throw new Error('the interceptor is not running');
    await this.#interceptor.resolve(r);
  }

  /** Persists a transition (only from the state read); false when it had already moved on. */
  async #apply(
    record: JitChannelRecord,
    event: JitChannelEvent,
    extra: { channelCapacitySat?: bigint } = {},
  ): Promise<boolean> {
    const from = record.state as JitChannelState;
    const t = nextJitState(from, event);
    if (!t) return false;
    const r = t.record as Partial<Record<string, unknown>>;
    const moved = await this.#repo().transition(record.id, from, {
      state: t.state,
      ...(typeof r.paymentHash === 'string' ? { paymentHash: r.paymentHash } : {}),
      ...(typeof r.fee === 'bigint' ? { feeMsat: r.fee } : {}),
      ...(typeof r.txid === 'string' ? { fundingTxid: r.txid } : {}),
      ...(typeof r.outputIndex === 'number' ? { fundingOutputIndex: r.outputIndex } : {}),
      ...(typeof r.channelScid === 'bigint' ? { channelScid: r.channelScid.toString() } : {}),
      ...(typeof r.reason === 'string' ? { failure: r.reason } : {}),
      ...extra,
    });
    if (moved) this.#log.info({ jit: record.id, from, to: t.state }, 'JIT channel transition');
    return moved;
  }

  /** The channel to open for a payment: twice the payment, within the configured bounds. */
  #capacity(paymentSize: Msat): bigint {
    const double = ((paymentSize + 999n) / 1000n) * 2n;
    const min = BigInt(this.#limits.minChannelSize);
    const max = BigInt(this.#limits.maxChannelSize);
    return double < min ? min : double > max ? max : double;
  }

  #repo() {
    return new Lsps2JitChannelsRepository(this.#database.db);
  }
}

function ids(h: InterceptedHtlc) {
  return { incomingScid: h.incomingScid, incomingHtlcId: h.incomingHtlcId };
}

function toPart(h: InterceptedHtlc): HeldPart<string> {
  return { id: key(h), paymentHash: h.paymentHash, amount: h.outgoingAmount };
}

function terms(r: JitChannelRecord): JitTerms {
  return {
    minFeeMsat: msat(r.min_fee_msat),
    proportional: r.proportional,
    paymentSize: r.payment_size_msat === null ? undefined : msat(r.payment_size_msat),
    minPaymentSize: msat(r.min_payment_size_msat),
    maxPaymentSize: msat(r.max_payment_size_msat),
    validUntil: r.valid_until,
  };
}

function u64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, value);
  return b;
}
