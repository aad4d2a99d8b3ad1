/**
 * What a resolved close cost the node that funded the channel and held all of it (a channel
 * whose client never paid): its capacity less what came back to the node's wallet.
 *
 * - A cooperative close: its settled output came back; the rest was the close's fee (so too a
 *   force close LND told no resolutions of: its outputs counted before their sweeps).
 * - A force close LND resolved output by output: each output swept to the wallet came back
 *   less its share of its sweep's fee. A sweep can spend other inputs too (other channels'
 *   outputs, the wallet's coins): its fee is split over its inputs by value, rounded up. An
 *   output nobody swept for the node (an anchor left to others) came back not at all. So the
 *   commitment's fee, its anchors and the sweeps' shares are all in the cost.
 * - Abandoned (never on chain): nothing was spent.
 */
import { formatChannelPoint } from '../lightning/backend.ts';
import type { ClosedChannel, OnchainTransaction } from '../lightning/types.ts';
import { type Sat, sat } from '../money.ts';

/** A close's cost, and the sweeps whose fee could not be split (some input's value unknown). */
export interface CloseCost {
  readonly cost: Sat;
  /** Sweeps counted at the whole value of this channel's outputs in them, their fee unknown. */
  readonly unsplitSweeps: readonly string[];
}

/**
 * The cost of `closed` (resolved: its `settledBalance` known). `walletTxs` are the node's
 * wallet transactions from the close's height on: the sweeps, and what their other inputs spent.
 */
export function closeCost(closed: ClosedChannel, walletTxs: readonly OnchainTransaction[]): CloseCost {
  if (closed.closeType === 'ABANDONED') return { cost: sat(0n), unsplitSweeps: [] };
  const resolutions = closed.resolutions ?? [];
  if (resolutions.length === 0) {
    // A cooperative close (or a force close LND told no resolutions of): what settled came back.
    const settled = closed.settledBalance ?? sat(0n);
    return { cost: sat(closed.capacity > settled ? closed.capacity - settled : 0n), unsplitSweeps: [] };
  }
  const swept = resolutions.filter(
    (r) => (r.outcome === 'claimed' || r.outcome === 'timeout') && r.sweepTxid,
  );
  // Every output value known: the wallet's transactions' outputs, and this channel's own.
  const values = new Map<string, bigint>();
  for (const tx of walletTxs)
    for (const o of tx.outputs)
      values.set(formatChannelPoint({ txid: tx.txid, outputIndex: o.outputIndex }), o.amount);
  for (const r of resolutions) values.set(formatChannelPoint(r.outpoint), r.amount);
  const byTxid = new Map(walletTxs.map((tx) => [tx.txid as string, tx]));

  let back = 0n;
  const unsplit = new Set<string>();
  for (const r of swept) {
    const sweep = byTxid.get(r.sweepTxid as string);
    const inputs = sweep?.inputs.map((i) => values.get(formatChannelPoint(i)));
    if (!sweep || !inputs || inputs.some((v) => v === undefined)) {
      unsplit.add(r.sweepTxid as string);
      back += r.amount;
      continue;
    }
    const inTotal = (inputs as bigint[]).reduce((a, b) => a + b, 0n);
    const outTotal = sweep.outputs.reduce((a, o) => a + o.amount, 0n);
    const fee = inTotal > outTotal ? inTotal - outTotal : 0n;
    const share = inTotal === 0n ? 0n : (fee * r.amount + inTotal - 1n) / inTotal;
    back += r.amount - share;
  }
  return { cost: sat(closed.capacity > back ? closed.capacity - back : 0n), unsplitSweeps: [...unsplit] };
}
