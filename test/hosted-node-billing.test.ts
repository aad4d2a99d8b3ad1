/**
 * Hosted nodes that live on their own: a tenant that cannot pay the next month sees its node
 * suspended after the grace period (refused through the LSP, yet kept online to guard its
 * coins) and its own again, with its data, once it has topped up, each month charged exactly
 * once; a funded node with autopilot on opens its channel to the LSP by itself, and one whose try at the LSP failed is started again by the
 * keeper and opens it then. Months are 30 seconds here, so the story sees several.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import {
  type HostingLsp,
  type Network,
  nodeRest,
  startHostingLsp,
  startNetwork,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const MONTH = 50_000;
const PERIOD_SECONDS = 30;

const ctx = { net: undefined as unknown as Network };
let hosting: HostingLsp;

before(async () => {
  ctx.net = await startNetwork();
  // The LSP's node has an announced channel, so a node that syncs the graph from it knows it.
  await ctx.net.h.openChannel(ctx.net.alice, ctx.net.lsp, sat(3_000_000));
  hosting = await startHostingLsp(ctx.net, { billingPeriodSeconds: PERIOD_SECONDS, gracePeriodSeconds: 2 });
});

after(async () => {
  await hosting?.stop();
  await ctx.net?.h.stop();
});

/** The node answers `getinfo` through its endpoint (it runs and is unlocked). */
async function answers(endpoint: string, macaroon: string): Promise<boolean> {
  const r = await nodeRest(endpoint, macaroon, 'GET', '/v1/getinfo').catch(() => ({ status: 0 }));
  return r.status === 200;
}

test('a tenant without funds for the next month is suspended after the grace period, and runs again after a top-up', async () => {
  const { h, alice } = ctx.net;
  const poor = (await hosting.lsp.newTenant('poor')).client;
  await topUp(h, alice, poor, MONTH);
  const node = await poor.nodes.create({ alias: 'one-month' });
  assert.equal((await poor.getBalance()).balance, 0, 'the first month took the whole balance');
  const mac = node.macaroon ?? '';
  assert.ok(await answers(node.endpoint, mac));

  // The month runs out, the balance cannot pay the next, the grace period passes.
  const suspended = await h.waitFor(
    async () => {
      const n = await poor.nodes.get(node.nodeId);
      return n.status === 'suspended' ? n : undefined;
    },
    { what: 'the unpaid node suspended', timeoutMs: (PERIOD_SECONDS + 60) * 1000 },
  );
  assert.equal(suspended.paidUntil, node.paidUntil, 'nothing was charged for the unpaid month');
  // Refused to its tenant (its endpoint answers 503; it cannot be started or stopped)...
  await h.waitFor(async () => (await nodeRest(node.endpoint, mac, 'GET', '/v1/getinfo')).status === 503, {
    what: 'the suspended node refused to its tenant',
  });
  assert.equal(await answers(node.endpoint, mac), false);
  await assert.rejects(poor.nodes.start(node.nodeId), (err: { status?: number }) => err.status === 409);
  await assert.rejects(poor.nodes.stop(node.nodeId), (err: { status?: number }) => err.status === 409);
  // ...but online on the network, where it guards its coins (an HTLC in flight claimed in time,
  // a revoked commitment punished): a peer reaches it.
  await h.waitFor(
    () =>
      alice.lnd.connectPeer(node.pubkey as never, node.p2pHost ?? '', within(10_000)).then(
        () => true,
        (err: unknown) => /already connected/.test(String(err)),
      ),
    { what: 'the suspended node reachable by a peer' },
  );

  // A top-up pays the month owed: the node runs again, unlocked, with its data.
  await topUp(h, alice, poor, 3 * MONTH);
  await h.waitFor(async () => (await poor.nodes.get(node.nodeId)).status === 'running', {
    what: 'the node running again after the top-up',
  });
  const info = await h.waitFor(
    async () => {
      const r = await nodeRest<{ identity_pubkey: string }>(node.endpoint, mac, 'GET', '/v1/getinfo');
      return r.status === 200 ? r.body : undefined;
    },
    { what: 'the resumed node unlocked and answering', timeoutMs: 120_000 },
  );
  assert.equal(info.identity_pubkey, node.pubkey, 'the same node, its data kept');

  const months = (await poor.getLedger()).entries.filter((e) => e.kind === 'hosting_monthly_fee');
  assert.ok(months.length >= 2, `the first month and the one owed (${months.length} charged)`);
  assert.ok(
    months.every((e) => e.amount === -MONTH),
    'each month exactly the monthly fee',
  );
  const references = new Set(months.map((e) => e.reference));
  assert.equal(references.size, months.length, 'no month charged twice');
  await assertCleanAudit(hosting.lsp);
});

/** An autopilot node of a new tenant, with months paid for the whole story. */
async function autopilotNode(name: string, maxChannels = 1) {
  const { h, alice } = ctx.net;
  const tenant = (await hosting.lsp.newTenant(name)).client;
  // Months are short here: enough for the whole story, so the node is not suspended meanwhile.
  await topUp(h, alice, tenant, 20 * MONTH);
  const node = await tenant.nodes.create({
    alias: name,
    autopilot: { enabled: true, maxChannels, allocationPercent: 60, maxChannelSize: 200_000 },
  });
  return { tenant, node, mac: node.macaroon ?? '' };
}

/** Autopilot picks among the nodes it knows: the LSP (a peer) gossips itself, with its address. */
async function lspInGraph(endpoint: string, mac: string): Promise<void> {
  const { h, lsp } = ctx.net;
  await h
    .waitFor(
      async () => {
        const r = await nodeRest<{ node?: { addresses?: unknown[] } }>(
          endpoint,
          mac,
          'GET',
          `/v1/graph/node/${lsp.pubkey}`,
        );
        return r.status === 200 && (r.body.node?.addresses ?? []).length > 0;
      },
      { what: "the LSP, with its address, in the node's graph", timeoutMs: 120_000, intervalMs: 500 },
    )
    .catch(async (err: unknown) => {
      // Say what the node does see: its peers and its graph.
      const peers = await nodeRest(endpoint, mac, 'GET', '/v1/peers');
      const graph = await nodeRest<{ nodes?: unknown[]; edges?: unknown[] }>(
        endpoint,
        mac,
        'GET',
        '/v1/graph',
      );
      throw new Error(
        `${String(err)}; peers: ${JSON.stringify(peers.body)}; graph: ${JSON.stringify(graph.body).slice(0, 2_000)}`,
      );
    });
}

/** The customer funds the node's wallet from elsewhere, and a block confirms it. */
async function fund(endpoint: string, mac: string): Promise<void> {
  const { h, alice } = ctx.net;
  const address = await nodeRest<{ address: string }>(endpoint, mac, 'GET', '/v1/newaddress');
  assert.equal(address.status, 200);
  await alice.lnd.sendCoins({ address: address.body.address, amount: sat(500_000) }, within());
  await h.mine(1);
}

/** The node's log: where LND's autopilot says what it tried. */
const nodeLog = (nodeId: string) => join(hosting.dataDir, nodeId, 'lnd.out.log');

/** Waits for the node's channel to the LSP, pending or open. */
async function channelToLsp(
  node: { endpoint: string; nodeId: string },
  mac: string,
): Promise<{ peer: string; capacity: string }> {
  const { h, lsp } = ctx.net;
  const { endpoint } = node;
  let seen: unknown[] = [];
  // A block is mined only while the node's funds wait for one: LND refuses to open a channel
  // while its wallet catches up with a new block, and a block every few seconds kept autopilot's
  // tries failing.
  return h
    .waitFor(
      async () => {
        const b = await nodeRest<{ unconfirmed_balance: string }>(
          endpoint,
          mac,
          'GET',
          '/v1/balance/blockchain',
        );
        if (Number(b.body.unconfirmed_balance) > 0) await h.mine(1);
        const r = await nodeRest<{
          pending_open_channels?: { channel: { remote_node_pub: string; capacity: string } }[];
        }>(endpoint, mac, 'GET', '/v1/channels/pending');
        const open = await nodeRest<{ channels?: { remote_pubkey: string; capacity: string }[] }>(
          endpoint,
          mac,
          'GET',
          '/v1/channels',
        );
        const pending = (r.body.pending_open_channels ?? []).map((p) => ({
          peer: p.channel.remote_node_pub,
          capacity: p.channel.capacity,
        }));
        const active = (open.body.channels ?? []).map((c) => ({
          peer: c.remote_pubkey,
          capacity: c.capacity,
        }));
        seen = [...pending, ...active];
        return [...pending, ...active].find((c) => c.peer === lsp.pubkey);
      },
      { what: "autopilot's channel to the LSP", timeoutMs: 180_000, intervalMs: 2_000 },
    )
    .catch((err: unknown) => {
      // Say what the node has instead, and what its autopilot tried.
      const tried = readFileSync(nodeLog(node.nodeId), 'utf8')
        .split('\n')
        .filter((l) => l.includes('ATPL'))
        .slice(-15);
      throw new Error(
        `${String(err)}; the LSP is ${lsp.pubkey}; channels: ${JSON.stringify(seen)}; autopilot: ${tried.join(' | ')}`,
      );
    });
}

test('a funded node with autopilot on opens a channel to the LSP by itself', async () => {
  // Two slots: should its first try at the LSP fail (its wallet catching up with a block), the
  // keeper starts its agent again and the LSP still gets the second (the story below).
  const { tenant, node, mac } = await autopilotNode('autopiloted', 2);
  await lspInGraph(node.endpoint, mac);
  await fund(node.endpoint, mac);
  const opened = await channelToLsp(node, mac);
  assert.ok(BigInt(opened.capacity) >= 20_000n && BigInt(opened.capacity) <= 200_000n, opened.capacity);
  const charged = (await tenant.getLedger()).entries.filter((e) => e.kind !== 'topup');
  assert.ok(
    charged.every((e) => e.kind === 'hosting_monthly_fee' && e.amount === -MONTH),
    'the channel autopilot opened is paid by the node itself: the tenant is charged only its months',
  );
  await assertCleanAudit(hosting.lsp);
});

test('an autopilot whose one try at the LSP failed is started again, and opens its channel to the LSP', async () => {
  const { h, lsp } = ctx.net;
  // Two channels: with the LSP away, autopilot opens its first elsewhere; one slot stays free.
  const { node, mac } = await autopilotNode('retried', 2);
  await lspInGraph(node.endpoint, mac);
  // The LSP's node is away when the customer's funds confirm: autopilot's try at it fails, and
  // LND's agent never tries a node again after that.
  const log = nodeLog(node.nodeId);
  const failedTry = new RegExp(`Unable to (connect to|open channel to) ${lsp.pubkey}`);
  await lsp.stop();
  try {
    await fund(node.endpoint, mac);
    await h.waitFor(() => failedTry.test(readFileSync(log, 'utf8')), {
      what: "autopilot's failed try at the LSP, in the node's log",
      timeoutMs: 60_000,
    });
  } finally {
    await lsp.start();
  }
  // Back: the keeper sees a node that could open to the LSP and has not, and starts its agent again.
  const opened = await channelToLsp(node, mac);
  assert.ok(BigInt(opened.capacity) >= 20_000n && BigInt(opened.capacity) <= 200_000n, opened.capacity);
  await assertCleanAudit(hosting.lsp);
});

test("deleting an autopilot node stops its agent first: it opens nothing with what the deletion's closes free", async () => {
  const { h, alice, lsp } = ctx.net;
  // The story before stopped and started the LSP's node: alice's channel to it carries the
  // top-up once it is back (a few months: the rest of her channel went to the nodes above).
  await h.waitCanPay(alice, lsp);
  const tenant = (await hosting.lsp.newTenant('autopilot-deleted')).client;
  await topUp(h, alice, tenant, 3 * MONTH);
  const node = await tenant.nodes.create({
    alias: 'autopilot-deleted',
    autopilot: { enabled: true, maxChannels: 1, allocationPercent: 60, maxChannelSize: 200_000 },
  });
  const mac = node.macaroon ?? '';
  const active = async () =>
    (await nodeRest<{ active?: boolean }>(node.endpoint, mac, 'GET', '/v2/autopilot/status')).body.active ===
    true;
  await h.waitFor(active, { what: 'its autopilot agent running' });
  await fund(node.endpoint, mac);
  const deleting = await tenant.nodes.remove(node.nodeId, {
    closeChannels: true,
    sweepAddress: await alice.lnd.newAddress(within()),
  });
  assert.equal(deleting.status, 'deleting');
  await h.waitFor(async () => !(await active()), {
    what: "its autopilot agent stopped by the deletion's look",
    timeoutMs: 60_000,
  });
  await assertCleanAudit(hosting.lsp);
});
