/**
 * Opening many channels at once on a regtest network, for the routing graphs of stories and
 * benchmarks: every channel is funded by one block, opened at once, and announced by one more
 * round of mining.
 */
import { type Channel, msat, type Sat, sat } from '@blgv/core';
import type { Harness, LndNode } from '@blgv/regtest';

/** One channel to open: `from` funds `amount` and pushes `push` to `to`. */
export interface ChannelSpec {
  readonly from: LndNode;
  readonly to: LndNode;
  readonly amount: Sat;
  readonly push?: Sat;
  /** Unannounced: `to` stays out of the graph (reached through its invoices' route hints). */
  readonly private?: boolean;
}

/** Confirmations for a channel to be announced. */
const ANNOUNCE_CONFS = 6;
/** Spare coins per channel for its funding fee. */
const FEE_SPARE = sat(100_000);

/**
 * Funds, opens and announces every channel of `specs` at once; resolves with each channel as
 * its funder sees it (in `specs`' order) once both ends see it active.
 */
export async function openChannels(h: Harness, specs: readonly ChannelSpec[]): Promise<Channel[]> {
  // One confirmed coin per channel: a wallet funds one channel per coin at a time.
  await h.fund(...specs.map((s) => [s.from, sat(s.amount + FEE_SPARE)] as const));
  await Promise.all(uniquePairs(specs).map(([a, b]) => h.connect(a, b)));
  // Each funder opens its channels one after another, largest first (LND spends its largest
  // coin first, so each channel takes the coin granted for it); funders open at once.
  const byFunder = new Map<LndNode, ChannelSpec[]>();
  for (const s of specs) byFunder.set(s.from, [...(byFunder.get(s.from) ?? []), s]);
  const points = new Map<ChannelSpec, Awaited<ReturnType<LndNode['lnd']['openChannel']>>['channelPoint']>();
  await Promise.all(
    [...byFunder.values()].map(async (own) => {
      for (const s of [...own].sort((a, b) => (a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0))) {
        const { channelPoint } = await s.from.lnd.openChannel(
          {
            remotePubkey: s.to.pubkey,
            localAmount: s.amount,
            pushAmount: s.push ?? sat(0),
            private: s.private ?? false,
          },
          AbortSignal.timeout(60_000),
        );
        points.set(s, channelPoint);
      }
    }),
  );
  await h.mine(ANNOUNCE_CONFS);
  return Promise.all(
    specs.map(async (spec) => {
      const point = points.get(spec);
      if (!point) throw new Error(`no channel point for ${spec.from.name} -> ${spec.to.name}`);
      await h.waitChannelActive(spec.to, point);
      return h.waitChannelActive(spec.from, point);
    }),
  );
}

/** Waits until `from`'s graph gives a route to each of `to` (LND's graph-only estimate). */
export async function waitGraphSynced(h: Harness, from: LndNode, to: readonly LndNode[]): Promise<void> {
  const targets = [...new Set(to.filter((n) => n !== from))];
  await Promise.all(
    targets.map((node) =>
      h.waitFor(
        async () => {
          try {
            await from.lnd.estimateRouteFee(
              { destination: node.pubkey, amount: sat(1_000) },
              AbortSignal.timeout(5_000),
            );
            return true;
          } catch {
            return false;
          }
        },
        { what: `${from.name}'s graph to give a route to ${node.name}`, intervalMs: 200, timeoutMs: 180_000 },
      ),
    ),
  );
}

/**
 * Waits until `from`'s links forward all the way to `to`: `from` pays `to` an invoice `to`
 * cancelled, until it fails at `to` (moving nothing) rather than on the way.
 */
export async function waitReaches(h: Harness, from: LndNode, to: LndNode): Promise<void> {
  const probe = await to.lnd.addInvoice(
    { amount: msat(10_000_000n), memo: 'graph probe' },
    AbortSignal.timeout(10_000),
  );
  await to.lnd.cancelInvoice(probe.paymentHash, AbortSignal.timeout(10_000));
  await h.waitFor(
    async () => {
      const r = await from.lnd.sendPayment(
        { paymentRequest: probe.paymentRequest, feeLimit: msat(100_000n), timeoutSeconds: 10 },
        AbortSignal.timeout(30_000),
      );
      return r.status === 'failed' && r.reason === 'incorrect_payment_details';
    },
    { what: `${from.name} to reach ${to.name}`, intervalMs: 250, timeoutMs: 120_000 },
  );
}

function uniquePairs(specs: readonly ChannelSpec[]): [LndNode, LndNode][] {
  const seen = new Set<string>();
  const pairs: [LndNode, LndNode][] = [];
  for (const s of specs) {
    const key = [s.from.name, s.to.name].sort().join('-');
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([s.from, s.to]);
  }
  return pairs;
}
