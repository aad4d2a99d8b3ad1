/**
 * Story: two LSP server processes (replicas) on one Postgres, one LND and one hosting
 * directory. Replica A holds every job's lease: the keeper of hosted nodes, the webhooks, the
 * channel runner. While it is in the middle of its work (a webhook POST it waits on, a channel
 * sale it negotiates with a client node that has not accepted yet) it is frozen with SIGSTOP, past its lease (a stalled VM, a GC pause), and a
 * hosted node dies meanwhile. Replica B takes every job over, restarts the node, delivers the
 * webhooks and settles the sale A left (cancelled before its commit point: refunded). Then A is resumed (SIGCONT): it stops acting before anything
 * it tries lands. No node is started twice, no webhook is sent twice by A, no channel is funded
 * twice, every write A tried after its lease ran out is refused, and the audit is clean.
 *
 * Everything is seen as a customer and an operator see it: the API (jobs, channels, ledger,
 * deliveries), the replicas' logs, the webhook receiver, the hosted node's own API.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { AdminJobsResponse, ChannelResponse, WebhookResponse } from '@blgv/protocol';
import { pidAlive } from '@blgv/regtest';
import { hostedNodePid, type Network, nodeRest, topUp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { type ProcessHosting, startProcessHosting } from './support/process-hosting.ts';
import { tcpPortsTo } from './support/process-sockets.ts';
import { type ServerProcess, startServerProcess } from './support/server-process.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

/** Short leases, so the takeover happens within the story. */
const LEASE_SECONDS = 3;
/** The jobs the frozen replica holds and the other takes over. */
const WATCHED = ['hosted-nodes', 'webhooks', 'channel-opening'] as const;

let hosting: ProcessHosting;
let net: Network;
let receiver: WebhookReceiver;
let a: ServerProcess;
let b: ServerProcess;
let key: { keyId: string; secret: string };
let viaA: LSPClient;
let viaB: LSPClient;
let endpoint: WebhookResponse;
let node: { nodeId: string; endpoint: string; macaroon: string };
/** The last event before the webhook endpoint existed: every later one is delivered. */
let startCursor: string;
const streams = new AbortController();
/** Proposals bob's node has seen; the first waits for `acceptFirst`. */
let proposals = 0;
const acceptFirst = Promise.withResolvers<void>();

function replica(name: string): Promise<ServerProcess> {
  return startServerProcess({
    node: net.lsp,
    databaseUrl: hosting.databaseUrl,
    secretsKey: hosting.secretsKey,
    // Info lines: each machine transition a replica writes is logged.
    env: { BLGV_CONFIG: hosting.configPath, BLGV_REPLICA: name, LOG_LEVEL: 'info' },
  });
}

before(async () => {
  receiver = await startWebhookReceiver();
  hosting = await startProcessHosting('fencing', {
    // LND pings the streams it serves and closes those of a client that does not answer (a
    // frozen replica's HTLC interceptor, which no other replica could register meanwhile).
    network: { lsp: { extraArgs: ['--grpc.server-ping-time=5s', '--grpc.server-ping-timeout=2s'] } },
    config: {
      jobs: { leaseSeconds: LEASE_SECONDS },
      webhooks: {
        allowPrivateTargets: true,
        caCertPath: receiver.certPath,
        intervalMs: 200,
        retryBaseMs: 300,
        retryMaxMs: 1_500,
      },
    },
    // A transaction the frozen replica left open ends soon (its locks with it).
    pool: { idleInTransactionTimeoutMs: 5_000 },
  });
  net = hosting.net;
  await net.h.connect(net.bob, net.lsp);
  let acceptorUp = false;
  await net.bob.lnd.acceptChannels(
    async () => {
      proposals += 1;
      if (proposals === 1) await acceptFirst.promise;
      return { accept: true };
    },
    { signal: streams.signal, onConnected: () => (acceptorUp = true) },
  );
  await net.h.waitFor(() => acceptorUp, { what: "bob's channel acceptor" });
  // Opens in separate funding transactions each need a confirmed coin of the LSP's.
  await net.h.fund(...Array.from({ length: 4 }, () => [net.lsp, sat(1_000_000)] as const));
  a = await replica('replica-a');
  assert.ok(a.bootstrapKey);
  key = a.bootstrapKey;
  b = await replica('replica-b');
  const tenant = await b.client(key).admin.createTenant('platform');
  const tenantKey = await b.client(key).admin.createKey(tenant.id, 'tenant');
  viaA = a.client(tenantKey);
  viaB = b.client(tenantKey);
  await topUp(net.h, net.alice, viaB, 900_000);
  endpoint = await viaB.webhooks.create({ url: `${receiver.base}/hooks/lsp`, events: ['*'] });
  startCursor = (await viaB.listEvents({ limit: 1000 })).events.at(-1)?.cursor ?? '0';
  const created = await viaB.nodes.create({ alias: 'fenced' });
  assert.equal(created.status, 'running');
  node = { nodeId: created.nodeId, endpoint: created.endpoint, macaroon: created.macaroon ?? '' };
});

after(async () => {
  acceptFirst.resolve();
  streams.abort();
  if (a?.proc.signalCode === null && a.proc.exitCode === null) a.proc.kill('SIGCONT');
  await a?.kill();
  await b?.kill();
  await receiver?.close();
  await hosting?.stop();
});

/** Each watched job's entry as `replica` reports it. */
async function watched(replica: ServerProcess) {
  const jobs: AdminJobsResponse = await replica.client(key).admin.jobs();
  return Object.fromEntries(
    WATCHED.map((name) => {
      const job = jobs.jobs.find((j) => j.name === name);
      assert.ok(job, `job ${name}`);
      return [name, job];
    }),
  ) as Record<(typeof WATCHED)[number], AdminJobsResponse['jobs'][number]>;
}

/** The node's own API answers (through B, with the tenant's macaroon). */
async function nodeAnswers(): Promise<boolean> {
  const res = await nodeRest(node.endpoint, node.macaroon, 'GET', '/v1/getinfo').catch(() => undefined);
  return res?.status === 200;
}

/** Webhook ids answered 2xx, with how many times each. */
function deliveredCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of receiver.received) {
    if (r.answered !== 200) continue;
    const id = r.headers['webhook-id'] ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Lines a replica logged since `from` (an offset in its output) whose message matches. */
function logged(replica: ServerProcess, from: number, msg: RegExp): Record<string, unknown>[] {
  return replica
    .output()
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => msg.test(String(l.msg)));
}

test('a replica frozen past its lease acts no more once resumed: nothing twice, every late write refused', async () => {
  const { h, bob } = net;
  const before = await watched(a);
  for (const name of WATCHED) {
    assert.equal(before[name].holder, 'replica-a', `${name} held by A`);
    assert.ok(before[name].runningHere, `${name} runs in A`);
  }
  assert.ok(
    Object.values(await watched(b)).every((j) => !j.runningHere),
    'B runs none of them',
  );

  // A in the middle of its work: a webhook POST it waits on, and a channel sale it negotiates
  // with bob, whose node has not accepted yet.
  receiver.hold();
  const sale = viaB
    .requestChannel({ clientPubkey: bob.pubkey, clientHost: bob.host, channelSize: 200_000, feeRate: 2 })
    .then(
      (c) => ({ ok: true as const, c }),
      (err: unknown) => ({ ok: false as const, err }),
    );
  await h.waitFor(() => receiver.held() > 0 && proposals > 0, {
    what: 'A to POST a webhook and propose the channel to bob',
    intervalMs: 20,
  });
  a.proc.kill('SIGSTOP');
  // The connections A opened to the receiver before it froze, read from the kernel: some may not
  // have reached the receiver's handlers in this process yet.
  const aPorts = tcpPortsTo(a.proc.pid ?? 0, receiver.port);
  acceptFirst.resolve();
  const frozenAt = a.output().length;
  // A's POST is answered into its frozen socket; what B sends is answered at once.
  const beforeRelease = receiver.received.length;
  receiver.release();
  const heldIds = receiver.received.slice(beforeRelease).map((r) => r.headers['webhook-id'] ?? '');
  assert.ok(heldIds.length > 0);
  assert.ok(
    receiver.received.slice(beforeRelease).every((r) => aPorts.has(r.remotePort)),
    "the held POSTs came on A's connections",
  );

  // The hosted node dies while A, which keeps it, is frozen.
  const deadPid = hostedNodePid(hosting.dataDir, node.nodeId);
  process.kill(deadPid, 'SIGKILL');
  await h.waitFor(() => !pidAlive(deadPid), { what: 'the node process gone', intervalMs: 50 });

  // B takes every job over once A's leases run out (and A's open transaction, if any, is ended).
  const takenOver = await h.waitFor(
    async () => {
      const jobs = await watched(b);
      return WATCHED.every((n) => jobs[n].runningHere && jobs[n].holder === 'replica-b') ? jobs : undefined;
    },
    { what: 'B to take the jobs over', intervalMs: 200, timeoutMs: 90_000 },
  );
  for (const name of WATCHED)
    assert.ok(
      BigInt(takenOver[name].leaseToken ?? '0') > BigInt(before[name].leaseToken ?? '0'),
      `${name}: a greater fencing token`,
    );

  // B restarts the node, settles the sale and delivers every webhook, A's held one again. The
  // sale was short of its commit point (nothing signed, nothing published): B cancels it and
  // refunds the buyer.
  await h.waitFor(nodeAnswers, { what: 'the node restarted by B', intervalMs: 500, timeoutMs: 120_000 });
  const sold = await sale;
  assert.ok(!sold.ok, 'the sale A left before its commit point is cancelled');
  assert.equal((sold.err as { code?: string }).code, 'lightning_rejected');
  const allDelivered = async () => {
    const { deliveries } = await viaB.webhooks.deliveries(endpoint.id, { limit: 100 });
    const events = (await viaB.listEvents({ after: startCursor, limit: 1000 })).events;
    const got = deliveredCounts();
    return deliveries.length > 0 &&
      deliveries.every((d) => d.status === 'delivered') &&
      events.every((e) => got.has(`evt_${e.cursor}`))
      ? true
      : undefined;
  };
  await h.waitFor(allDelivered, { what: 'every webhook delivered by B', intervalMs: 300, timeoutMs: 60_000 });
  for (const id of heldIds)
    assert.equal(deliveredCounts().get(id), 2, `${id}: A's POST before it froze, B's after`);

  // A runs again, long past its lease.
  const resumedAt = a.output().length;
  const receivedBeforeResume = receiver.received.length;
  const resumedAtMs = Date.now();
  a.proc.kill('SIGCONT');
  const opA = a.client(key);
  const stopped = await h.waitFor(
    async () => {
      const jobs = await opA.admin.jobs();
      const refused = jobs.jobs.find((j) => j.name === 'webhooks')?.refusedWritesHere ?? 0;
      return jobs.jobs.every((j) => !j.runningHere) && refused > 0 ? jobs : undefined;
    },
    { what: 'A to stop every job and refuse what it still tried', intervalMs: 200, timeoutMs: 30_000 },
  );
  for (const name of WATCHED) {
    const job = stopped.jobs.find((j) => j.name === name);
    assert.ok((job?.leaseLossesHere ?? 0) >= 1, `${name}: A lost its lease`);
    assert.equal(job?.holder, 'replica-b');
  }
  const webhooksAtA = stopped.jobs.find((j) => j.name === 'webhooks');
  assert.ok((webhooksAtA?.refusedWritesHere ?? 0) >= 1, "A's record of its held POST was refused");
  // What A still tried is refused, by its own clock, before the database is asked. Its log
  // reaches this process through a pipe, after the admin API may have answered: waited for.
  const refusals = await h.waitFor(
    async () => {
      const lines = logged(a, resumedAt, /^job write refused/);
      return lines.length > 0 ? lines : undefined;
    },
    { what: "A's log of the writes it refused", intervalMs: 100, timeoutMs: 30_000 },
  );
  assert.ok(refusals.every((l) => l.by === 'clock'));

  // B keeps serving; A serves the API and leaves the work to B: a sale through A is funded by B.
  const second = await viaA.requestChannel({
    clientPubkey: bob.pubkey,
    clientHost: bob.host,
    channelSize: 150_000,
    feeRate: 2,
  });
  assert.equal(second.status, 'pending');
  await h.waitFor(allDelivered, { what: 'the new events delivered', intervalMs: 300, timeoutMs: 60_000 });

  // No machine step was written by A after it resumed, and it started no node.
  assert.deepEqual(logged(a, resumedAt, / transition$/), [], 'A wrote no transition after its lease ran out');
  assert.deepEqual(logged(a, frozenAt, /^hosted node not running/), [], 'A started no node');
  const starts = logged(b, 0, /^hosted node not running/).filter((l) => l.nodeId === node.nodeId);
  assert.ok(starts.length >= 1, 'B started the node');
  const pid = hostedNodePid(hosting.dataDir, node.nodeId);
  assert.ok(pid !== deadPid && pidAlive(pid), 'one new process runs the node');
  assert.ok(await nodeAnswers());

  // No webhook sent twice by A. Every message arrived once, or twice when A had sent it before
  // it froze (on a connection of its own, opened then) and B again, A's attempt never recorded.
  const byId = Map.groupBy(
    receiver.received.filter((r) => r.answered === 200),
    (r) => r.headers['webhook-id'] ?? '',
  );
  for (const [id, rs] of byId) {
    const fromA = rs.filter((r) => aPorts.has(r.remotePort) && r.at < resumedAtMs).length;
    assert.ok(
      rs.length === 1 || (rs.length === 2 && fromA === 1),
      `${id} arrived ${rs.length} times, ${fromA} of them sent by A before it froze`,
    );
  }
  // After it resumed, A sent nothing that had been delivered already.
  const late = receiver.received.slice(receivedBeforeResume);
  const deliveredBefore = new Set(
    receiver.received
      .slice(0, receivedBeforeResume)
      .filter((r) => r.answered === 200)
      .map((r) => r.headers['webhook-id']),
  );
  assert.deepEqual(
    late.filter((r) => deliveredBefore.has(r.headers['webhook-id'])).map((r) => r.headers['webhook-id']),
    [],
    'nothing already delivered was sent again',
  );

  // No channel funded twice: each sale is one channel at bob and one charge, or failed and refunded.
  const { channels } = await viaB.listChannels({ limit: 100 });
  assert.equal(channels.length, 2);
  const atBob = [...(await bob.lnd.pendingChannels(within())), ...(await bob.lnd.listChannels(within()))];
  const { entries } = await viaB.getLedger();
  for (const c of channels as ChannelResponse[]) {
    const fees = entries.filter((e) => e.reference === c.channelId && e.kind === 'channel_fee');
    const refunds = entries.filter((e) => e.reference === c.channelId && e.kind === 'channel_refund');
    const same = atBob.filter(
      (p) => p.channelPoint.txid === c.fundingTxid && p.channelPoint.outputIndex === c.outputIndex,
    );
    if (c.status === 'failed') {
      assert.equal(refunds.length, 1, `${c.channelId} refunded once`);
      assert.equal(same.length, 0);
    } else {
      assert.equal(same.length, 1, `${c.channelId}: one channel at bob`);
      assert.equal(refunds.length, 0, `${c.channelId} not refunded`);
    }
    assert.equal(fees.length, 1, `${c.channelId} charged once`);
  }
  assert.equal(atBob.length, channels.filter((c) => c.status !== 'failed').length, 'no other channel at bob');
  assert.deepEqual(channels.map((c) => [c.capacity, c.status === 'failed' ? 'failed' : 'funded']).sort(), [
    [150_000, 'funded'],
    [200_000, 'failed'],
  ]);

  await h.mine(1);
  await assertCleanAudit({ admin: b.client(key) });
});
