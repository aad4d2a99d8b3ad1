/**
 * What LND knows about channels, leases, invoices and payments, read once per audit and looked
 * up by channel point, memo, txid and hash.
 */
import {
  type Channel,
  type ClosedChannel,
  ErrorCode,
  formatChannelPoint,
  type Hex32,
  type InvoiceStatus,
  isLspError,
  type LightningBackend,
  type OutputLease,
  type PaymentResult,
  type PendingChannel,
} from '@blgv/core';

const CALL_TIMEOUT_MS = 15_000;

/** One channel as the audit sees it, wherever LND lists it. */
export interface SeenChannel {
  readonly where: 'open' | 'pending' | 'closed';
  readonly capacity: bigint;
  /** What the initiator gave the other side (open and pending channels). */
  readonly push: bigint | undefined;
  readonly memo: string;
}

/** LND's view, read at the start of an audit. */
export class LndSnapshot {
  readonly #lightning: LightningBackend;
  readonly #byPoint = new Map<string, SeenChannel>();
  readonly #byMemo = new Map<string, SeenChannel>();
  readonly #liveTxids = new Set<string>();
  readonly leases: readonly OutputLease[];

  private constructor(
    lightning: LightningBackend,
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
      });
    for (const c of pending) {
      // Pending: the initiator's commitment holds the rest; the other side holds the push.
      const seen = { where: 'pending', capacity: c.capacity, push: c.remoteBalance, memo: c.memo } as const;
      this.#add(formatChannelPoint(c.channelPoint), seen);
    }
    for (const c of open) {
      const seen = { where: 'open', capacity: c.capacity, push: c.pushAmount, memo: c.memo } as const;
      this.#add(formatChannelPoint(c.channelPoint), seen);
    }
  }

  /** Reads LND. */
  static async read(lightning: LightningBackend): Promise<LndSnapshot> {
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
