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
import type {
  FundedPsbt,
  FundingOutput,
  FundingPort,
  FundPsbtRequest,
  Outpoint,
  OutputLease,
  WalletCoin,
} from '@blgv/core';
import { assertLeaseHeld } from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { pause } from '../poll.ts';
import { CALL_TIMEOUT_MS } from './funding-publication.ts';
import type { FundingGuard } from './funding-request.ts';

/** The longest chain of unconfirmed funding transactions a new one may extend. */
export const MAX_UNCONFIRMED_CHAIN = 12;
/** How long a waiting funding goes without looking again (a block may confirm coins). */
const RECHECK_MS = 5_000;
/** How often in a row an attempt looks at the wallet again after an input it chose was taken. */
const MAX_RACES = 5;
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

/** What this process's fundings met of the wallet's coins, since it started (for `/metrics`). */
export interface CoinStats {
  /** Attempts that found the wallet's coins held by other fundings and waited. */
  readonly waits: number;
  /** Fundings built on the unconfirmed change of our own. */
  readonly fromChange: number;
  /** Attempts that failed for want of coins (at once, or after waiting). */
  readonly short: number;
}

/** Our own funding transactions that may still be unconfirmed, and fundings waiting for coins. */
export class CoinSupply {
  readonly #own = new Map<string, OwnFunding>();
  readonly #stats = { waits: 0, fromChange: 0, short: 0 };
  /** Attempts between asking the wallet for inputs and recording what they got. */
  readonly #picking = new Set<string>();
  #changed = Promise.withResolvers<void>();

  /** Counts one of {@link CoinStats}. */
  count(what: keyof CoinStats): void {
    this.#stats[what]++;
  }

  /** What this process's fundings met so far. */
  stats(): CoinStats {
    return { ...this.#stats };
  }

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

/** What funding a transaction from the wallet needs of an attempt. */
export interface WalletFunding {
  readonly lightning: Pick<FundingPort, 'fundPsbt' | 'listLeases' | 'listUnspent'>;
  readonly coins: CoinSupply;
  readonly guard: FundingGuard | undefined;
  readonly log: Logger;
  /** Whether another funding holds wallet coins (they come back, or their change comes). */
  othersHoldCoins(): Promise<boolean>;
}

/**
 * The transaction for `request`, from the wallet's confirmed coins; when they do not cover it,
 * with the change of the LSP's own fundings still unconfirmed ({@link chooseInputs}); when that
 * does not either while other fundings hold coins, again once one of them is published,
 * withdrawn or cancelled, until `deadline`. `attempt` names the funding attempt asking.
 */
export async function fundFromWallet(
  deps: WalletFunding,
  attempt: string,
  request: FundPsbtRequest,
  deadline: AbortSignal,
): Promise<FundedPsbt> {
  try {
    return await fundOrWait(deps, attempt, request, deadline);
  } catch (err) {
    deps.coins.picked(attempt); // nothing got; what one gets stays picking until it is on record
    throw err;
  }
}

async function fundOrWait(
  deps: WalletFunding,
  attempt: string,
  request: FundPsbtRequest,
  deadline: AbortSignal,
): Promise<FundedPsbt> {
  const { lightning, coins, log } = deps;
  const started = Date.now();
  for (let waits = 0, races = 0; ; ) {
    // Nothing of the wallet is leased for a job whose lease this replica lost meanwhile
    // (`lease_lost`): the replica holding it now has cancelled this attempt.
    assertLeaseHeld('funding a transaction');
    await deps.guard?.beforeFunding(AbortSignal.timeout(CALL_TIMEOUT_MS));
    coins.picking(attempt);
    let short: unknown;
    try {
      const funded = await lightning.fundPsbt(request, AbortSignal.timeout(CALL_TIMEOUT_MS));
      coins.funded(funded.txid, funded.lockedInputs);
      return funded;
    } catch (err) {
      if (!isShortOfCoins(err)) throw err;
      short = err;
    }
    const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
    const [unspent, leases] = await Promise.all([
      lightning.listUnspent(signal),
      lightning.listLeases(signal),
    ]);
    const inputs = chooseInputs(unspent, leases, coins.depths(), request.outputs, request.satPerVbyte);
    if (inputs) {
      try {
        const funded = await lightning.fundPsbt({ ...request, inputs }, AbortSignal.timeout(CALL_TIMEOUT_MS));
        coins.funded(funded.txid, inputs);
        coins.count('fromChange');
        log.info(
          { funding: attempt, inputs: inputs.length, waitedMs: Date.now() - started },
          'funded with the change of our own unconfirmed fundings',
        );
        return funded;
      } catch (err) {
        // Another spend took an input between the look and the ask: look again.
        if (isTaken(err) && races++ < MAX_RACES) {
          log.debug({ funding: attempt, inputs, err: errorMessage(err) }, 'an input was taken');
          continue;
        }
        if (!isShortOfCoins(err)) throw err;
        short = err;
      }
    }
    coins.picked(attempt);
    if (!(await deps.othersHoldCoins())) {
      coins.count('short');
      throw short;
    }
    if (waits++ === 0) {
      coins.count('waits');
      log.info(
        { funding: attempt },
        "the wallet's coins are held by other fundings; waiting for one to be published or given up",
      );
    }
    try {
      await coins.next(deadline);
    } catch {
      coins.count('short');
      throw new Error(
        `${errorMessage(short)} (waited ${Math.round((Date.now() - started) / 1000)} s for coins)`,
      );
    }
  }
}
