/**
 * Coins for fundings when the wallet's confirmed coins are all taken. A funding's change is
 * unconfirmed until a block, and a withheld funding keeps its inputs leased until its client
 * settles: with a few confirmed coins, a burst of opens would find the wallet empty. So:
 *
 * - the change of the LSP's own funding transactions may be spent before it confirms (only
 *   ours: no one else can double-spend it), in chains of at most {@link MAX_UNCONFIRMED_CHAIN}
 *   unconfirmed transactions (bitcoind relays at most 25);
 * - an open that still finds no coin while other fundings hold some waits for one of them to
 *   be published, withdrawn or cancelled (or a block), within its deadline.
 *
 * The wallet's unconfirmed outputs from anyone else (a deposit that could still be replaced)
 * are never chosen.
 */
import type { FundingOutput, Outpoint, OutputLease, WalletCoin } from '@blgv/core';
import { errorMessage } from '../error-message.ts';
import { pause } from '../poll.ts';

/** The longest chain of unconfirmed funding transactions a new one may extend. */
export const MAX_UNCONFIRMED_CHAIN = 12;
/** How long a waiting funding goes without looking again (a block may confirm coins). */
const RECHECK_MS = 5_000;
/** How long a funding transaction of ours is remembered as possibly unconfirmed. */
const REMEMBER_MS = 3 * 86_400_000;

/** Upper bounds for a funding transaction's size in vbytes (P2WPKH inputs, P2WSH outputs). */
const TX_OVERHEAD_VB = 11n;
const INPUT_VB = 68n;
const OUTPUT_VB = 43n;

/** A funding transaction of ours and how many unconfirmed transactions it stands on (itself included). */
interface OwnFunding {
  readonly depth: number;
  readonly at: number;
}

/**
 * The inputs for `outputs` at `satPerVbyte`: confirmed coins first, then the change of our own
 * unconfirmed fundings, shallowest chain first, largest first; leased coins never. Undefined
 * when they do not cover the outputs and the fee (with change).
 */
export function chooseInputs(
  coins: readonly WalletCoin[],
  leased: readonly OutputLease[],
  own: ReadonlyMap<string, number>,
  outputs: readonly FundingOutput[],
  satPerVbyte: bigint,
): Outpoint[] | undefined {
  const taken = new Set(leased.map((l) => key(l.outpoint)));
  const depth = (c: WalletCoin) => (c.confirmations > 0 ? 0 : (own.get(c.outpoint.txid) ?? Infinity));
  const candidates = coins
    .filter((c) => !taken.has(key(c.outpoint)) && depth(c) < MAX_UNCONFIRMED_CHAIN)
    .sort((a, b) => depth(a) - depth(b) || (b.amount > a.amount ? 1 : b.amount < a.amount ? -1 : 0));
  const paid = outputs.reduce((s, o) => s + o.amount, 0n);
  const chosen: Outpoint[] = [];
  let sum = 0n;
  for (const c of candidates) {
    chosen.push(c.outpoint);
    sum += c.amount;
    const vbytes = TX_OVERHEAD_VB + INPUT_VB * BigInt(chosen.length) + OUTPUT_VB * BigInt(outputs.length + 1);
    if (sum >= paid + vbytes * satPerVbyte) return chosen;
  }
  return undefined;
}

/** Our own funding transactions that may still be unconfirmed, and fundings waiting for coins. */
export class CoinSupply {
  readonly #own = new Map<string, OwnFunding>();
  /** Attempts between asking the wallet for inputs and recording what they got. */
  readonly #picking = new Set<string>();
  #changed = Promise.withResolvers<void>();

  /** `attempt` is asking the wallet for inputs: coins it gets are not yet on record. */
  picking(attempt: string): void {
    this.#picking.add(attempt);
  }

  /** `attempt` got nothing, or what it got is on record. */
  picked(attempt: string): void {
    this.#picking.delete(attempt);
  }

  /** Whether an attempt other than `attempt` may hold coins not yet on record. */
  othersPicking(attempt: string): boolean {
    return [...this.#picking].some((a) => a !== attempt);
  }

  /** Remembers a funding transaction of ours, built on `inputs`. */
  funded(txid: string, inputs: readonly Outpoint[]): void {
    const now = Date.now();
    for (const [t, f] of this.#own) if (now - f.at > REMEMBER_MS) this.#own.delete(t);
    const below = Math.max(0, ...inputs.map((i) => this.#own.get(i.txid)?.depth ?? 0));
    this.#own.set(txid, { depth: below + 1, at: now });
  }

  /** How deep each of our own funding transactions stands (for {@link chooseInputs}). */
  depths(): ReadonlyMap<string, number> {
    return new Map([...this.#own].map(([t, f]) => [t, f.depth]));
  }

  /** Coins may have come back: a funding published, withdrawn or cancelled. */
  changed(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
  }

  /**
   * Resolves at the next {@link changed}, or after a while in any case (a block may confirm
   * coins); rejects when `signal` aborts.
   */
  async next(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const recheck = new AbortController();
    try {
      await Promise.race([
        this.#changed.promise,
        pause(RECHECK_MS, AbortSignal.any([signal, recheck.signal])),
      ]);
    } finally {
      recheck.abort();
    }
    signal.throwIfAborted();
  }
}

/** True when the wallet could not cover a funding (its coins spent, leased or unconfirmed). */
export function isShortOfCoins(err: unknown): boolean {
  return /insufficient funds|not enough witness outputs/i.test(errorMessage(err));
}

/** True when an input chosen was taken meanwhile (leased or spent by another spend). */
export function isTaken(err: unknown): boolean {
  return /not found in list of non-locked|already locked|unknown output/i.test(errorMessage(err));
}

function key(o: Outpoint): string {
  return `${o.txid}:${o.outputIndex}`;
}
