/**
 * Story: fees that follow liquidity, on the routing graph (five nodes besides the LSP, skewed
 * liquidity). The LSP node has a full channel to carol (it opened it and kept everything) and a
 * drained one to dave (it pushed 90 % to dave). The operator turns the routing-fees policy on at
 * runtime, first in dry-run: the job records what it would set and the node's fees stay the
 * schedule's. Live, the full channel's fee falls below the schedule's and the drained one's
 * rises. Alice then pays carol through the LSP, draining the channel to carol below its target
 * share: within one window its fee rises again, and no channel is changed twice within a window.
 * Every change is in the event log with its reason; bad settings are a 400 naming the field. With
 * inbound fees on, the drained channel gets an inbound discount.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Channel, formatChannelPoint, msat, sat } from '@blgv/core';
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

let net: Network;
let graph: RoutingGraph;
let lsp: TestLsp;
/** The LSP's channel to carol: all the LSP's at first. */
let toCarol: Channel;
/** The LSP's channel to dave: 90 % dave's. */
let toDave: Channel;

const WINDOW_SECONDS = 12;
const SCHEDULE_PPM = 100n;

before(async () => {
  net = await startNetwork();
  graph = await startRoutingGraph(net, {
    extra: () => [{ from: net.alice, to: net.lsp, amount: sat(3_000_000) }],
  });
  const [first, second] = graph.channels;
  assert.ok(first && second, "the graph's first channels are the LSP's to carol and to dave");
  [toCarol, toDave] = [first, second];
  lsp = await startTestLsp(net, {
    file: {
      routing: { fees: { enabled: false, intervalSeconds: 1, windowSeconds: WINDOW_SECONDS, minStepPpm: 5 } },
    },
  });
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** The LSP's own forwarding policy on `c`, as the LSP node's graph has it. */
async function lspPolicy(c: Channel) {
  const edge = await net.lsp.lnd.channelEdge(c.scid, within());
  assert.ok(edge, 'the LSP node knows its channel');
  const own = edge.node1 === net.lsp.pubkey ? edge.node1Policy : edge.node2Policy;
  assert.ok(own, 'the LSP has a policy on its channel');
  return own;
}

/** The `routing_fee` events of `c`, oldest first. */
async function feeEvents(c: Channel, state: 'applied' | 'dry_run'): Promise<EventResponse[]> {
  const { events } = await lsp.admin.listEvents({ subjectKind: 'routing_fee', limit: 1000 });
  return events.filter(
    (e) => fact(e, 'channel_point') === formatChannelPoint(c.channelPoint) && e.state === state,
  );
}

/** A fact of an event, as the string the log keeps. */
function fact(e: EventResponse, name: string): string {
  return String((e.facts as Record<string, unknown>)[name]);
}

/** Every two applied changes of `c` are at least a window apart. */
async function assertOncePerWindow(c: Channel) {
  const applied = await feeEvents(c, 'applied');
  for (let i = 1; i < applied.length; i++) {
    const gap = Date.parse(applied[i]?.at ?? '') - Date.parse(applied[i - 1]?.at ?? '');
    assert.ok(gap >= WINDOW_SECONDS * 1000, `changes ${i - 1} and ${i} are ${gap} ms apart`);
  }
}

test('bad settings are a 400 naming the field, and nothing changes', async () => {
  const before = await lsp.admin.admin.routingPolicy();
  const refusals: [Record<string, unknown>, string][] = [
    [{ minPpm: 500 }, 'minPpm'],
    [{ maxPpm: 10 }, 'maxPpm'],
    [{ windowSeconds: 0 }, 'windowSeconds'],
    [{ targetOutboundPercent: 150 }, 'targetOutboundPercent'],
    [{ dryRun: 'yes' }, 'dryRun'],
  ];
  for (const [body, field] of refusals) {
    const err = await lsp.admin.admin.setRoutingPolicy(body as never).then(
      () => assert.fail(`${JSON.stringify(body)} was accepted`),
      (e: { status?: number; details?: Record<string, unknown>; message?: string }) => e,
    );
    assert.equal(err.status, 400, JSON.stringify(body));
    assert.ok(
      err.details?.field === field || (err.message ?? '').includes(field),
      `${JSON.stringify(body)}: ${err.message} names ${field}`,
    );
  }
  assert.deepEqual(await lsp.admin.admin.routingPolicy(), before);
  assert.equal(before.midpointPpm, Number(SCHEDULE_PPM), "the schedule's fee rate is the midpoint");
  assert.equal(before.baseFeeMsat, 1000);
  assert.equal(before.enabled, false);
});

test('dry-run records what it would set and changes nothing on the node', async () => {
  const policy = await lsp.admin.admin.setRoutingPolicy({ enabled: true, dryRun: true });
  assert.equal(policy.dryRun, true);
  const [would] = await net.h.waitFor(
    async () => {
      const e = await feeEvents(toCarol, 'dry_run');
      return e.length > 0 ? e : undefined;
    },
    { what: 'a dry-run record for the full channel' },
  );
  assert.ok(would);
  assert.ok(BigInt(fact(would, 'fee_rate_ppm')) < SCHEDULE_PPM, 'it would lower the full channel’s fee');
  assert.match(fact(would, 'reason'), /above the target 50\.0%/);
  const drained = await net.h.waitFor(async () => (await feeEvents(toDave, 'dry_run'))[0], {
    what: 'a dry-run record for the drained channel',
  });
  assert.ok(BigInt(fact(drained, 'fee_rate_ppm')) > SCHEDULE_PPM, 'it would raise the drained one’s');
  assert.equal((await lspPolicy(toCarol)).feeRatePpm, SCHEDULE_PPM, 'the node still has the schedule’s fee');
  assert.equal((await lspPolicy(toDave)).feeRatePpm, SCHEDULE_PPM);
  assert.deepEqual(await feeEvents(toCarol, 'applied'), []);
});

test("live: the full channel's fee falls, the drained one's rises", async () => {
  await lsp.admin.admin.setRoutingPolicy({ dryRun: false });
  const low = await net.h.waitFor(
    async () => {
      const p = await lspPolicy(toCarol);
      return p.feeRatePpm < SCHEDULE_PPM ? p : undefined;
    },
    { what: 'the full channel’s fee to fall' },
  );
  const change = await net.h.waitFor(async () => (await feeEvents(toCarol, 'applied'))[0], {
    what: 'the change in the event log (placed a moment after it commits)',
  });
  assert.equal(fact(change, 'fee_rate_ppm'), low.feeRatePpm.toString());
  assert.equal(fact(change, 'previous_fee_rate_ppm'), SCHEDULE_PPM.toString());
  assert.match(fact(change, 'reason'), /outbound share \d+\.\d% above the target/);
  await net.h.waitFor(async () => ((await lspPolicy(toDave)).feeRatePpm > SCHEDULE_PPM ? true : undefined), {
    what: 'the drained channel’s fee to rise',
  });
});

test('a channel drained by payments through it gets a higher fee within one window, once per window', async () => {
  const [first] = await feeEvents(toCarol, 'applied');
  assert.ok(first);
  const fell = BigInt(fact(first, 'fee_rate_ppm'));
  // alice -> lsp -> carol: 1,400,000 sat out of the LSP's 2,000,000 sat channel to carol leaves
  // it below its target.
  const invoice = await graph.carol.lnd.addInvoice({ amount: msat(1_400_000_000n), memo: 'drain' }, within());
  const paid = await net.h.waitFor(
    async () => {
      const r = await net.alice.lnd.sendPayment(
        { paymentRequest: invoice.paymentRequest, feeLimit: msat(10_000_000n), timeoutSeconds: 30 },
        within(60_000),
      );
      return r.status === 'succeeded' ? r : undefined;
    },
    { what: 'alice to pay carol through the LSP' },
  );
  const paidAt = Date.now();
  assert.equal(paid.status, 'succeeded');
  const raised = await net.h.waitFor(
    async () => {
      const p = await lspPolicy(toCarol);
      return p.feeRatePpm > SCHEDULE_PPM ? p : undefined;
    },
    { what: 'the drained channel’s fee to rise', timeoutMs: (WINDOW_SECONDS + 10) * 1000 },
  );
  assert.ok(raised.feeRatePpm > fell);
  assert.ok(Date.now() - paidAt < (WINDOW_SECONDS + 10) * 1000, 'within one window (and a pass) of draining');
  // The event log places an event a moment after its change commits: wait for the raise's.
  const last = await net.h.waitFor(
    async () => {
      const e = (await feeEvents(toCarol, 'applied')).at(-1);
      return e && fact(e, 'fee_rate_ppm') === raised.feeRatePpm.toString() ? e : undefined;
    },
    { what: "the raise's event in the log" },
  );
  assert.match(fact(last, 'reason'), /outbound share \d+\.\d% below the target 50\.0%/);
  assert.match(fact(last, 'reason'), /flow out 1400000 sat/);
  assert.equal(fact(last, 'fee_rate_ppm'), raised.feeRatePpm.toString());
  await assertOncePerWindow(toCarol);
  await assertOncePerWindow(toDave);
});

test('with inbound fees on, the drained channel gets an inbound discount LND accepts', async () => {
  const policy = await lsp.admin.admin.setRoutingPolicy({ inboundMaxDiscountPpm: 20 });
  assert.equal(policy.inboundMaxDiscountPpm, 20);
  const discounted = await net.h.waitFor(
    async () => {
      const p = await lspPolicy(toCarol);
      return p.inboundFeeRatePpm < 0n ? p : undefined;
    },
    { what: 'an inbound discount on the drained channel', timeoutMs: (WINDOW_SECONDS + 10) * 1000 },
  );
  assert.ok(discounted.inboundFeeRatePpm >= -20n, 'no more than the maximum discount');
  const last = await net.h.waitFor(
    async () => {
      const e = (await feeEvents(toCarol, 'applied')).at(-1);
      return e && fact(e, 'inbound_fee_rate_ppm') === discounted.inboundFeeRatePpm.toString() ? e : undefined;
    },
    { what: "the discount's event in the log" },
  );
  assert.match(fact(last, 'reason'), /inbound 0 -> -\d+ ppm/);
  await assertOncePerWindow(toCarol);
  await assertCleanAudit(lsp);
});
