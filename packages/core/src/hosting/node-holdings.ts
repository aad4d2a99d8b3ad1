/**
 * What a hosted node holds of its tenant's money, as its LND reports it: channels in every
 * phase of their life (open, opening, closing, force-closed with funds time-locked) and the
 * on-chain wallet (confirmed, unconfirmed, leased). A node may be removed only when it holds
 * nothing: {@link holdsNothing}. {@link describeHoldings} says what it holds, in words for the
 * tenant.
 */
import type { ChannelPoint, ClosingChannel } from '../lightning/types.ts';
import type { Sat } from '../money.ts';

/** One channel of the node, open or on its way open. */
export interface HeldChannel {
  readonly channelPoint: ChannelPoint;
  readonly remotePubkey: string;
  readonly capacity: Sat;
  /** The node's own balance in it. */
  readonly localBalance: Sat;
  /** The peer is connected (a cooperative close needs it). */
  readonly active: boolean;
}

/** Everything a node holds, read at one moment. */
export interface NodeHoldings {
  readonly open: readonly HeldChannel[];
  /** Funding not confirmed yet. */
  readonly opening: readonly HeldChannel[];
  /** Closing: waiting for the close to confirm, or force-closed and not fully swept. */
  readonly closing: readonly ClosingChannel[];
  /** Confirmed on-chain funds, spendable (LND leaves leased ones out: see `locked`). */
  readonly confirmed: Sat;
  /** On-chain funds in unconfirmed transactions. */
  readonly unconfirmed: Sat;
  /** On-chain funds leased against other spends (a transaction in progress). */
  readonly locked: Sat;
  /** The chain height when read. */
  readonly height: number;
}

/** True when the node holds no channel in any phase and no coin on chain. */
export function holdsNothing(h: NodeHoldings): boolean {
  return (
    h.open.length === 0 &&
    h.opening.length === 0 &&
    h.closing.length === 0 &&
    h.confirmed === 0n &&
    h.unconfirmed === 0n &&
    h.locked === 0n
  );
}

/** Funds time-locked or unswept in closing channels. */
export function limboOf(h: NodeHoldings): Sat {
  return h.closing.reduce((sum, c) => sum + c.limboBalance, 0n) as Sat;
}

/** The holdings in a compact form for the tenant and the record of a deletion. */
export interface HoldingsSummary {
  readonly openChannels: number;
  readonly openingChannels: number;
  readonly closingChannels: number;
  /** Our funds in channels (open and opening: the node's balance; closing: limbo). */
  readonly channelSat: Sat;
  readonly timeLockedSat: Sat;
  readonly onchainConfirmedSat: Sat;
  readonly onchainUnconfirmedSat: Sat;
}

/** Summarises holdings. */
export function summariseHoldings(h: NodeHoldings): HoldingsSummary {
  const local = [...h.open, ...h.opening].reduce((sum, c) => sum + c.localBalance, 0n);
  const limbo = limboOf(h);
  return {
    openChannels: h.open.length,
    openingChannels: h.opening.length,
    closingChannels: h.closing.length,
    channelSat: (local + limbo) as Sat,
    timeLockedSat: limbo,
    onchainConfirmedSat: h.confirmed,
    onchainUnconfirmedSat: h.unconfirmed,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const sats = (n: bigint) => `${n.toLocaleString('en-US')} sat`;

/** What the node holds, one phrase per kind, e.g. `1 open channel (500,000 sat capacity)`. */
export function describeHoldings(h: NodeHoldings): string[] {
  const out: string[] = [];
  const capacity = (cs: readonly { capacity: Sat }[]) => sats(cs.reduce((s, c) => s + c.capacity, 0n));
  if (h.open.length > 0) out.push(`${plural(h.open.length, 'open channel')} (${capacity(h.open)} capacity)`);
  if (h.opening.length > 0)
    out.push(`${plural(h.opening.length, 'channel')} opening (${capacity(h.opening)} capacity)`);
  const waiting = h.closing.filter((c) => c.kind === 'waiting_close');
  if (waiting.length > 0)
    out.push(
      `${plural(waiting.length, 'channel')} waiting for its close to confirm (${sats(limboOf({ ...h, closing: waiting }))} of ours)`,
    );
  for (const c of h.closing.filter((c) => c.kind === 'force_closing')) {
    const blocks = c.blocksTilMaturity ?? 0;
    out.push(
      blocks > 0
        ? `a force-closed channel with ${sats(c.limboBalance)} time-locked until block ${c.maturityHeight} (${plural(blocks, 'block')} from now)`
        : `a force-closed channel with ${sats(c.limboBalance)} waiting to be swept back to the wallet`,
    );
  }
  if (h.confirmed > 0n) out.push(`${sats(h.confirmed)} on chain`);
  if (h.unconfirmed > 0n) out.push(`${sats(h.unconfirmed)} on chain, unconfirmed`);
  if (h.locked > 0n) out.push(`${sats(h.locked)} on chain leased by a transaction in progress`);
  return out;
}
