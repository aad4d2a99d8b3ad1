/**
 * Story: rebalancing (issue 20, item 4), on the regtest graph of five nodes besides the LSP.
 * The LSP's channel to dave is 90 % dave's: below the 30 % target outbound share; its channel to
 * carol is all the LSP's. The routing-rebalance job refills the one from the other by a circular
 * payment lsp → carol → dave → lsp (an invoice of the LSP node itself, out over the carol channel,
 * in from dave), with LND's fee limit at the economic bound: what the dave channel earns at its
 * fee rate for the amount, times `econRatio`.
 *
 * With a ratio of 0.01 the bound is below what the circle costs: the rebalance is refused, the
 * channels do not move and nothing is spent. With 0.5 it is made: the target amount moves at a
 * cost within the bound; the cost is in the figures beside routing revenue, in /metrics, and in
 * the audit's totals, and the audit is clean. Every attempt is in the event log with its reason.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Channel, economicBound, formatChannelPoint, refillNeeded, sat } from '@blgv/core';
import { LspApiError } from '@blgv/lsp-client';
import type { EventResponse } from '@blgv/protocol';
import {
  type Network,
  type RoutingGraph,
  startNetwork,
  startRoutingGraph,
  startTestLsp,
  type TestLsp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const TOKEN = 'routing-rebalance-metrics-token';
const TARGET_SHARE = 0.3;
/** The schedule's routing fee rate (`fees.routing.feeRatePpm`, the default). */
const SCHEDULE_PPM = 100n;

let net: Network;
let graph: RoutingGraph;
let lsp: TestLsp | undefined;

before(async () => {
  net = await startNetwork();
  graph = await startRoutingGraph(net);
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** An LSP with the rebalance job on at `econRatio` (a pass every second). */
function startLsp(econRatio: number): Promise<TestLsp> {
  return startTestLsp(net, {
    file: {
      monitoring: { intervalMs: 500, prometheusToken: TOKEN },
      routing: {
        rebalance: {
          enabled: true,
          intervalSeconds: 1,
          targetOutboundShare: TARGET_SHARE,
          econRatio,
          dailyBudgetSat: 10_000,
          minAmountSat: 10_000,
        },
      },
    },
  });
}

/** The LSP node's channel to `peer`, as it is now. */
async function channelTo(peer: { pubkey: string }): Promise<Channel> {
  const channels = await net.lsp.lnd.listChannels(within());
  const c = channels.find((ch) => ch.remotePubkey === peer.pubkey);
  assert.ok(c, 'the LSP has a channel to the peer');
  return c;
}

/** The LSP's own fee rate on `c` (what the channel earns forwarding out). */
async function lspFeeRate(c: Channel): Promise<bigint> {
  const edge = await net.lsp.lnd.channelEdge(c.scid, within());
  const own = edge ? (edge.node1 === net.lsp.pubkey ? edge.node1Policy : edge.node2Policy) : undefined;
  assert.ok(own, 'the LSP has a policy on its channel');
  return own.feeRatePpm;
}

/** The `rebalance` events in `state`, oldest first. */
async function rebalanceEvents(on: TestLsp, state: string): Promise<EventResponse[]> {
  const { events } = await on.admin.listEvents({ subjectKind: 'rebalance', limit: 1000 });
  return events.filter((e) => e.state === state);
}

const fact = (e: EventResponse, name: string) => String((e.facts as Record<string, unknown>)[name]);

test('a rebalance that would cost more than the economic bound is not made, and nothing is spent', async (t) => {
  const [toDave, toCarol] = [await channelTo(graph.dave), await channelTo(graph.carol)];
  lsp = await startLsp(0.01);
  const on = lsp;
  const refused = await net.h.waitFor(async () => (await rebalanceEvents(on, 'refused'))[0], {
    what: 'a refused rebalance',
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  assert.equal(fact(refused, 'target_channel_point'), formatChannelPoint(toDave.channelPoint));
  assert.equal(fact(refused, 'source_channel_point'), formatChannelPoint(toCarol.channelPoint));
  assert.match(fact(refused, 'reason'), /no route within the fee limit of \d+ msat \(0\.01 x what/);
  assert.match(fact(refused, 'reason'), /nothing spent/);
  // Its attempt was recorded before it was sent, with its fee limit: the bound at 0.01.
  const sending = (await rebalanceEvents(on, 'sending')).find((e) => e.subjectId === refused.subjectId);
  assert.ok(sending, 'the attempt was logged before sending');
  const amount = BigInt(fact(refused, 'amount_sat'));
  assert.equal(amount, refillNeeded(toDave, 300_000n));
  // The fee limit is the bound at 0.01 (at most: the schedule's fee may be set after the job read LND's).
  const limit = BigInt(fact(refused, 'max_fee_msat'));
  t.diagnostic(`refused: ${amount} sat at a fee limit of ${limit} msat`);
  assert.ok(limit > 0n && limit <= economicBound(sat(amount), SCHEDULE_PPM, 10_000n));
  assert.equal((await rebalanceEvents(on, 'succeeded')).length, 0);
  // Nothing moved, nothing was spent.
  const [daveAfter, carolAfter] = [await channelTo(graph.dave), await channelTo(graph.carol)];
  assert.equal(daveAfter.localBalance, toDave.localBalance);
  assert.equal(carolAfter.localBalance, toCarol.localBalance);
  const figures = await on.admin.admin.figures('24h');
  assert.deepEqual(figures.costs.rebalancing, { count: 0, movedSat: 0, feeMsat: '0' });
  const report = await assertCleanAudit(on);
  assert.equal(report.totals.rebalanceCostsMsat, 0);
  await on.stop();
  lsp = undefined;
});

test('a circular rebalance moves the target amount at a cost within the ratio, booked as the LSP’s expense', async (t) => {
  const [toDave, toCarol] = [await channelTo(graph.dave), await channelTo(graph.carol)];
  const need = refillNeeded(toDave, 300_000n);
  assert.ok(need > 0n, 'the dave channel is below its target share');
  // The forwarding-policy job set the schedule's fee (100 ppm) on the LSP's channels.
  await net.h.waitFor(async () => (await lspFeeRate(toDave)) === SCHEDULE_PPM || undefined, {
    what: "the schedule's fee on the dave channel",
    timeoutMs: 30_000,
    intervalMs: 250,
  });
  const bound = economicBound(need, SCHEDULE_PPM, 500_000n);
  lsp = await startLsp(0.5);
  const on = lsp;
  const made = await net.h.waitFor(async () => (await rebalanceEvents(on, 'succeeded'))[0], {
    what: 'a rebalance made',
    timeoutMs: 90_000,
    intervalMs: 250,
  });
  const amount = BigInt(fact(made, 'amount_sat'));
  const fee = BigInt(fact(made, 'fee_msat'));
  assert.equal(amount, need, 'it moves what brings the channel to its target share');
  assert.equal(BigInt(fact(made, 'max_fee_msat')), bound);
  t.diagnostic(`made: ${amount} sat moved for ${fee} msat (bound ${bound} msat)`);
  assert.ok(fee > 0n && fee <= bound, `cost ${fee} msat within the bound of ${bound} msat`);
  assert.match(fact(made, 'reason'), /^made; cost \d+ msat within the fee limit/);
  // The money went round: the dave channel gained the amount, the carol one gave it and the fee
  // (once both channels' last commitment updates are through: the preimage comes back first).
  const [daveAfter, carolAfter] = await net.h.waitFor(
    async () => {
      const both = [await channelTo(graph.dave), await channelTo(graph.carol)] as const;
      const settled = both.every((c) => c.pendingHtlcs === 0) && both[0].localBalance !== toDave.localBalance;
      return settled ? both : undefined;
    },
    { what: 'the rebalance settled on both channels', timeoutMs: 30_000, intervalMs: 100 },
  );
  assert.equal(daveAfter.localBalance - toDave.localBalance, amount);
  const given = toCarol.localBalance - carolAfter.localBalance - amount;
  assert.ok(
    given >= fee / 1000n && given <= (fee + 999n) / 1000n,
    `carol channel gave ${given} sat beyond the amount`,
  );
  // The dave channel is at its target now: no further rebalance is needed (none is made).
  assert.equal(refillNeeded(daveAfter, 300_000n), 0n);
  // The operator's list: the made one (newest first), the same as its event.
  const { rebalances } = await on.admin.admin.rebalances({ state: 'succeeded' });
  assert.equal(rebalances.length, 1);
  assert.equal(rebalances[0]?.id, made.subjectId);
  assert.equal(rebalances[0]?.targetChannelPoint, formatChannelPoint(toDave.channelPoint));
  assert.equal(rebalances[0]?.sourceChannelPoint, formatChannelPoint(toCarol.channelPoint));
  assert.equal(rebalances[0]?.amountSat, Number(amount));
  assert.equal(rebalances[0]?.feeMsat, fee.toString());
  const bad = await on.admin.admin.rebalances({ limit: 0 }).then(
    () => assert.fail('limit 0 is refused'),
    (err: unknown) => err as LspApiError,
  );
  assert.ok(bad instanceof LspApiError);
  assert.equal(bad.status, 400);
  assert.match(bad.message, /limit/, 'the message names the field');
  // The cost beside routing revenue in the figures, and in /metrics.
  const figures = await on.admin.admin.figures('24h');
  assert.deepEqual(figures.costs.rebalancing, {
    count: 1,
    movedSat: Number(amount),
    feeMsat: fee.toString(),
  });
  assert.ok('routing' in figures.revenue.bySource);
  const res = await fetch(`${on.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, new RegExp(`^lsp_rebalance_cost_msat_total ${fee}$`, 'm'));
  assert.match(text, /^lsp_rebalances_total 1$/m);
  // Its payment counts as rebalancing, not as a payment made for someone.
  const byPurpose = await net.h.waitFor(
    async () => {
      const f = await on.admin.admin.figures('24h');
      return f.payments.byPurpose.rebalance.succeeded >= 1 ? f.payments : undefined;
    },
    { what: 'the monitor to see the rebalance', timeoutMs: 30_000, intervalMs: 250 },
  );
  assert.equal(byPurpose.succeeded, 0, 'no tenant payment counted');
  // No tenant was charged; the audit agrees with LND and reports the expense.
  const report = await assertCleanAudit(on);
  assert.equal(report.totals.rebalanceCostsMsat, Number(fee));
  assert.equal(Object.keys(report.totals.ledgerByKind).length, 0, 'nothing in any tenant ledger');
});
