/**
 * What LND knows about channels, leases, invoices, payments, wallet transactions and forwards,
 * read once per audit and looked up by channel point, memo, txid and hash.
 */
import {
  type Channel,
  type ChannelsPort,
  type ClosedChannel,
  ErrorCode,
  type ForwardingEvent,
  type FundingPort,
  formatChannelPoint,
  type Hex32,
  type InvoiceStatus,
  type InvoicesPort,
  isLspError,
  type OnchainTransaction,
  type OutputLease,
  type PaymentResult,
  type PaymentsPort,
  type PendingChannel,
  type Scid,
  type WalletPort,
} from '@blgv/core';

const CALL_TIMEOUT_MS = 15_000;
/** Forwarding events read per call. */
const FORWARDS_PAGE = 10_000;

/** One channel as the audit sees it, wherever LND lists it. */
export interface SeenChannel {
  readonly where: 'open' | 'pending' | 'closed';
  readonly capacity: bigint;
  /** What the initiator gave the other side (open and pending channels). */
  readonly push: bigint | undefined;
  readonly memo: string;
  /** Its short channel ids, aliases included (open channels). */
  readonly scids: readonly Scid[];
  /** HTLCs in flight on it (open channels). */
  readonly pendingHtlcs: number;
}

/**
 * The Lightning calls an audit's snapshot makes: the channels in every state, the leases, and,
 * as checks ask, the wallet's transactions, forwards, invoices and payments.
 */
export type LndSnapshotLightning = Pick<
  ChannelsPort,
  'closedChannels' | 'forwardingHistory' | 'listChannels' | 'pendingChannels'
> &
  Pick<FundingPort, 'listLeases'> &
  Pick<WalletPort, 'listOnchainTransactions'> &
  Pick<InvoicesPort, 'lookupInvoice'> &
  Pick<PaymentsPort, 'trackPayment'>;

/** LND's view, read at the start of an audit. */
export class LndSnapshot {
  readonly #lightning: LndSnapshotLightning;
  readonly #byPoint = new Map<string, SeenChannel>();
  readonly #byMemo = new Map<string, SeenChannel>();
  readonly #liveTxids = new Set<string>();
  readonly leases: readonly OutputLease[];
  #onchain: { from: number; txs: Promise<OnchainTransaction[]> } | undefined;
  #forwards: { since: number; events: Promise<ForwardingEvent[]> } | undefined;

  private constructor(
    lightning: LndSnapshotLightning,
    open: readonly Channel[],
    pending: readonly PendingChannel[],
    closed: readonly ClosedChannel[],
    leases: readonly OutputLease[],
  ) {
    this.#lightning = lightning;
    this.leases = leases;
    for (const c of closed)
      this.#byPoint.set(formatChannelPoint(c.channelPoint), {
        where: 'closed',
        capacity: c.capacity,
        push: undefined,
        memo: '',
        scids: [],
        pendingHtlcs: 0,
      });
    for (const c of pending) {
      // Pending: the initiator's commitment holds the rest; the other side holds the push.
      const seen = {
        where: 'pending',
        capacity: c.capacity,
        push: c.remoteBalance,
        memo: c.memo,
        scids: [],
        pendingHtlcs: 0,
      } as const;
      this.#add(formatChannelPoint(c.channelPoint), seen);
    }
    for (const c of open) {
      const scids = [c.scid, ...c.aliasScids, ...(c.peerAliasScid === undefined ? [] : [c.peerAliasScid])];
      const seen = {
        where: 'open',
        capacity: c.capacity,
        push: c.pushAmount,
        memo: c.memo,
        scids,
        pendingHtlcs: c.pendingHtlcs,
      } as const;
      this.#add(formatChannelPoint(c.channelPoint), seen);
    }
  }

  /** Reads LND. */
  static async read(lightning: LndSnapshotLightning): Promise<LndSnapshot> {
    const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
    const leases = lightning.listLeases(signal);
    leases.catch(() => {}); // awaited below; a failure then is the one reported
    // In the order channels move (pending, then open, then closed): one that moves while we
    // read is seen in its later list, never missed between two lists read at once.
    const pending = await lightning.pendingChannels(signal);
    const open = await lightning.listChannels(signal);
    const closed = await lightning.closedChannels(signal);
    return new LndSnapshot(lightning, open, pending, closed, await leases);
  }

  /** The channel at `txid:index`, open, pending or closed. */
  channel(txid: string, outputIndex: number): SeenChannel | undefined {
    return this.#byPoint.get(`${txid}:${outputIndex}`);
  }

  /** An open or pending channel tagged with `memo`. */
  liveByMemo(memo: string): SeenChannel | undefined {
    return this.#byMemo.get(memo);
  }

  /** True when an open or pending channel is funded by `txid`. */
  hasLiveTxid(txid: string): boolean {
    return this.#liveTxids.has(txid);
  }

  /** An invoice's state, or `undefined` when LND does not know it (other errors end the audit). */
  async invoice(paymentHash: Hex32): Promise<InvoiceStatus | undefined> {
    try {
      return await this.#lightning.lookupInvoice(paymentHash, AbortSignal.timeout(CALL_TIMEOUT_MS));
    } catch (err) {
      // Not known to LND: the audit reports it. Anything else ends the audit (it cannot judge).
      if (isLspError(err, ErrorCode.NotFound)) return undefined;
      throw err;
    }
  }

  /** The wallet's transactions confirmed at or above `startHeight`, and unconfirmed ones (read once). */
  onchain(startHeight: number): Promise<OnchainTransaction[]> {
    if (!this.#onchain || this.#onchain.from > startHeight) {
      const txs = this.#lightning.listOnchainTransactions(
        { startHeight },
        AbortSignal.timeout(CALL_TIMEOUT_MS),
      );
      this.#onchain = { from: startHeight, txs };
    }
    return this.#onchain.txs;
  }

  /** Every forward the node settled since `since` (read once, a page at a time). */
  forwards(since: Date): Promise<ForwardingEvent[]> {
    if (!this.#forwards || this.#forwards.since > since.getTime()) {
      this.#forwards = { since: since.getTime(), events: this.#readForwards(since) };
    }
    return this.#forwards.events;
  }

  async #readForwards(since: Date): Promise<ForwardingEvent[]> {
    const end = new Date(Date.now() + 60_000);
    const all: ForwardingEvent[] = [];
    for (;;) {
      const page = await this.#lightning.forwardingHistory(
        { start: since, end, offset: all.length, limit: FORWARDS_PAGE },
        AbortSignal.timeout(CALL_TIMEOUT_MS),
      );
      all.push(...page);
      if (page.length < FORWARDS_PAGE) return all;
    }
  }

  /** A payment's final outcome (`undefined`: never sent). */
  payment(paymentHash: Hex32): Promise<PaymentResult | undefined> {
    return this.#lightning.trackPayment(paymentHash, AbortSignal.timeout(CALL_TIMEOUT_MS));
  }

  #add(point: string, seen: SeenChannel): void {
    this.#byPoint.set(point, seen);
    this.#liveTxids.add(point.split(':')[0] ?? '');
    if (seen.memo) this.#byMemo.set(seen.memo, seen);
  }
}
