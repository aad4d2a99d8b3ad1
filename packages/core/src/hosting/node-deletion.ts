/**
 * Deleting a hosted node without losing a coin: what the keeper does next for a node in
 * `deleting`, decided from what the node holds now and what the deletion has done so far (a pure
 * function; the keeper performs the actions and records what it did).
 *
 * ```
 * closing_channels --every channel closed--> waiting_for_closes --closes resolved, time locks swept-->
 *   sweeping --sweep published--> waiting_for_sweep --sweep confirmed, nothing left--> removing
 * ```
 *
 * Channels are closed cooperatively first; one still open `forceCloseAfterMs` after its first
 * cooperative attempt (its peer does not come) is force-closed. Every close must resolve,
 * time-locked outputs included, before the wallet is swept (LND sweeps them to the wallet at
 * maturity). The sweep sends everything confirmed to the tenant's address; the node is removed
 * only once no channel and no coin is left and every sweep has `sweepConfirmations`. Anything
 * that cannot go on (funds but no address) is `blocked`, with the reason: the node then stays,
 * and nothing is lost.
 */
import type { Hex32 } from '../ids.ts';
import type { ChannelPoint } from '../lightning/types.ts';
import type { Sat } from '../money.ts';
import { describeHoldings, holdsNothing, type NodeHoldings } from './node-holdings.ts';

/** What the tenant asked for when deleting. */
export interface DeletionRequest {
  readonly closeChannels: boolean;
  readonly sweepAddress: string | null;
}

/** What the deletion did to one channel. */
export interface ChannelCloseRecord {
  /** When a cooperative close was first asked (ISO time). */
  readonly coopAskedAt: string;
  /** When the last cooperative close was asked (ISO time). */
  readonly coopLastAskedAt: string;
  /** When a force close was asked (ISO time). */
  readonly forcedAt?: string;
}

/** A sweep to the tenant's address, as the node's wallet lists it. */
export interface SweepRecord {
  readonly txid: Hex32;
  /** What it paid the sweep address. */
  readonly amount: Sat;
  readonly address: string;
  readonly confirmations: number;
}

/** What a deletion has done so far (persisted by the keeper between looks). */
export interface DeletionProgress extends DeletionRequest {
  /** Channel point (`txid:index`) -> what was asked of it. */
  readonly closes: Readonly<Record<string, ChannelCloseRecord>>;
  readonly sweeps: readonly SweepRecord[];
  /** A sweep paid `sweepAddress` back into the node's own wallet: it is one of the node's addresses. */
  readonly sweepAddressIsOwn?: boolean;
}

/** Settings of deletions (from config). */
export interface DeletionSettings {
  /** How long a channel's peer has to come for a cooperative close before it is force-closed. */
  readonly forceCloseAfterMs: number;
  /** Confirmations every sweep needs before the node is removed. */
  readonly sweepConfirmations: number;
}

/** Where a deletion is. */
export type DeletionPhase =
  | 'closing_channels'
  | 'waiting_for_closes'
  | 'sweeping'
  | 'waiting_for_sweep'
  | 'removing'
  | 'blocked';

/** Something the keeper does for a deletion. */
export type DeletionAction =
  | { readonly type: 'close'; readonly channelPoint: ChannelPoint; readonly force: boolean }
  | { readonly type: 'sweep'; readonly address: string }
  | { readonly type: 'remove' };

/** What to do now, and what to tell the tenant. */
export interface DeletionPlan {
  readonly phase: DeletionPhase;
  readonly actions: readonly DeletionAction[];
  /** Why the node is not removed yet, one phrase each. */
  readonly reasons: readonly string[];
}

/** How long between two cooperative close requests of a channel whose peer is connected. */
export const COOP_CLOSE_RETRY_MS = 60_000;

const pointKey = (p: ChannelPoint) => `${p.txid}:${p.outputIndex}`;

/** What the keeper does next for a deleting node. */
export function planDeletion(
  progress: DeletionProgress,
  holdings: NodeHoldings,
  now: Date,
  settings: DeletionSettings,
): DeletionPlan {
  const reasons = describeHoldings(holdings);
  if (holdings.open.length > 0) {
    if (!progress.closeChannels)
      return blocked([
        ...reasons,
        'the deletion was asked without closeChannels: delete again with closeChannels and a sweepAddress',
      ]);
    const actions: DeletionAction[] = [];
    for (const c of holdings.open) {
      const record = progress.closes[pointKey(c.channelPoint)];
      if (!record) {
        actions.push({ type: 'close', channelPoint: c.channelPoint, force: false });
        continue;
      }
      if (record.forcedAt) continue;
      const waited = now.getTime() - Date.parse(record.coopAskedAt);
      if (waited >= settings.forceCloseAfterMs) {
        actions.push({ type: 'close', channelPoint: c.channelPoint, force: true });
        reasons.push(`force-closing a channel whose peer did not close it within ${seconds(waited)}`);
      } else if (!c.active || now.getTime() - Date.parse(record.coopLastAskedAt) >= COOP_CLOSE_RETRY_MS) {
        // An offline peer cannot close cooperatively: ask again each look until it comes.
        actions.push({ type: 'close', channelPoint: c.channelPoint, force: false });
        if (!c.active)
          reasons.push(
            `a channel's peer is offline: force-closing in ${seconds(settings.forceCloseAfterMs - waited)} unless it comes back`,
          );
      }
    }
    return { phase: 'closing_channels', actions, reasons };
  }
  if (holdings.opening.length > 0 || holdings.closing.length > 0 || holdings.unconfirmed > 0n)
    return { phase: 'waiting_for_closes', actions: [], reasons };
  if (holdings.locked > 0n)
    return {
      phase: 'sweeping',
      actions: [],
      reasons: [...reasons, 'leased coins are swept once their lease ends'],
    };
  if (holdings.confirmed > 0n) {
    if (!progress.sweepAddress)
      return blocked([...reasons, 'no sweepAddress: delete again with a sweepAddress for the funds']);
    if (progress.sweepAddressIsOwn)
      return blocked([
        ...reasons,
        `${progress.sweepAddress} is one of the node's own addresses: delete again with an address outside the node`,
      ]);
    return {
      phase: 'sweeping',
      actions: [{ type: 'sweep', address: progress.sweepAddress }],
      reasons: [...reasons, `sweeping to ${progress.sweepAddress}`],
    };
  }
  if (!holdsNothing(holdings)) return { phase: 'waiting_for_closes', actions: [], reasons };
  const unconfirmedSweeps = progress.sweeps.filter((s) => s.confirmations < settings.sweepConfirmations);
  if (unconfirmedSweeps.length > 0)
    return {
      phase: 'waiting_for_sweep',
      actions: [],
      reasons: unconfirmedSweeps.map(
        (s) =>
          `sweep ${s.txid} (${s.amount.toLocaleString('en-US')} sat to ${s.address}) has ${s.confirmations} of ${settings.sweepConfirmations} confirmations`,
      ),
    };
  return { phase: 'removing', actions: [{ type: 'remove' }], reasons: [] };
}

function blocked(reasons: readonly string[]): DeletionPlan {
  return { phase: 'blocked', actions: [], reasons };
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 1000))} s`;
}
