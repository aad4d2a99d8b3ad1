/**
 * One wallet scan for every order that waits for an on-chain payment: the orders' watchers
 * read the node's transactions through here, and reads within `maxAgeMs` of a scan (from a
 * height at or below theirs) share it. However many orders wait, the node is asked at most
 * once per interval, from the lowest height any of them needs.
 */
import type { OnchainTransaction, WalletPort } from '@blgv/core';

/** A scan and what it covers. */
interface Scan {
  readonly at: number;
  readonly fromHeight: number;
  readonly transactions: Promise<OnchainTransaction[]>;
}

/** Deadline of one scan (it serves many callers, so none of their signals ends it). */
const SCAN_TIMEOUT_MS = 30_000;
/** A height asked for is remembered this long, so later scans still cover it. */
const FLOOR_MEMORY_MS = 10 * 60_000;

/** The shared scan of the node's on-chain transactions. */
export class WalletScan {
  readonly #lightning: Pick<WalletPort, 'listOnchainTransactions'>;
  #last: Scan | undefined;
  /** Lowest height asked for lately, and when. */
  #floor: { height: number; at: number } | undefined;

  constructor(lightning: Pick<WalletPort, 'listOnchainTransactions'>) {
    this.#lightning = lightning;
  }

  /**
   * The node's transactions from `fromHeight` on (and unconfirmed ones), from a scan at most
   * `maxAgeMs` old.
   */
  read(fromHeight: number, maxAgeMs: number): Promise<OnchainTransaction[]> {
    const now = Date.now();
    if (!this.#floor || fromHeight <= this.#floor.height || now - this.#floor.at > FLOOR_MEMORY_MS)
      this.#floor = { height: fromHeight, at: now };
    const last = this.#last;
    if (last && now - last.at <= maxAgeMs && last.fromHeight <= fromHeight) return last.transactions;
    const scanFrom = Math.min(fromHeight, this.#floor.height);
    const transactions = this.#lightning.listOnchainTransactions(
      { startHeight: scanFrom },
      AbortSignal.timeout(SCAN_TIMEOUT_MS),
    );
    const scan = { at: now, fromHeight: scanFrom, transactions };
    this.#last = scan;
    // A failed scan is not shared: the next read asks again.
    transactions.catch(() => {
      if (this.#last === scan) this.#last = undefined;
    });
    return transactions;
  }
}
