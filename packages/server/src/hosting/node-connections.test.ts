import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  ErrorCode,
  type HostedNodeState,
  isLspError,
  LspError,
  type NodeLocks,
  type NodeOrchestrator,
  type NodeRunStatus,
  type NodeWallets,
} from '@blgv/core';
import { waitFor } from '@blgv/node-runner';
import { type HostedNodeRecord, type LeaseFence, openDatabase, sql, withLeaseFence } from '@blgv/store';
import pino from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import { NodeConnections } from './node-connections.ts';

/** An orchestrator whose starts finish when the test says so; it logs what it was asked. */
class SteppedOrchestrator implements Partial<NodeOrchestrator> {
  readonly calls: string[] = [];
  status_: NodeRunStatus = 'stopped';
  #releaseStart: (() => void) | undefined;
  readonly startBegun: Promise<void>;
  #begun!: () => void;
  constructor() {
    this.startBegun = new Promise((resolve) => {
      this.#begun = resolve;
    });
  }
  async status(): Promise<NodeRunStatus> {
    return this.status_;
  }
  async start(): Promise<void> {
    this.calls.push('start begun');
    this.#begun();
    await new Promise<void>((resolve) => {
      this.#releaseStart = resolve;
    });
    this.status_ = 'running';
    this.calls.push('start ended');
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
    this.status_ = 'stopped';
  }
  async destroy(): Promise<void> {
    this.calls.push('destroy');
  }
  finishStart(): void {
    this.#releaseStart?.();
  }
}

function connections(
  orchestrator: SteppedOrchestrator,
  state: () => HostedNodeState | undefined,
  locks?: NodeLocks,
) {
  return new NodeConnections({
    orchestrator: orchestrator as unknown as NodeOrchestrator,
    wallets: {} as NodeWallets,
    connect: () => {
      throw new Error('no connections in this test');
    },
    box: {} as SecretBox,
    log: pino({ level: 'silent' }),
    onUnlocked: async () => {},
    stateOf: async () => state(),
    ...(locks ? { locks } : {}),
  });
}

/** A node not yet provisioned: starting it is the orchestrator's part only. */
const node = { id: 'n1', tlsCert: null, rpcAddress: null } as HostedNodeRecord;
const soon = () => AbortSignal.timeout(5_000);

test('a stop asked while a start is under way waits for it, then stops the node', async () => {
  const orchestrator = new SteppedOrchestrator();
  const now: { state: HostedNodeState } = { state: 'running' };
  const nodes = connections(orchestrator, () => now.state);
  const starting = nodes.ensureRunning(node, soon());
  await orchestrator.startBegun;
  now.state = 'stopped';
  const stopping = nodes.stop(node.id, soon());
  await Promise.resolve();
  assert.deepEqual(orchestrator.calls, ['start begun'], 'the stop waits for the start');
  orchestrator.finishStart();
  await starting;
  assert.equal(await stopping, true);
  assert.deepEqual(orchestrator.calls, ['start begun', 'start ended', 'stop']);
});

test('a stop that is no longer wanted when its turn comes leaves the started node alone', async () => {
  const orchestrator = new SteppedOrchestrator();
  const now: { state: HostedNodeState } = { state: 'stopped' };
  const nodes = connections(orchestrator, () => now.state);
  // The keeper listed the node stopped; a start moved it to running before the keeper's turn.
  now.state = 'running';
  const starting = nodes.ensureRunning(node, soon());
  await orchestrator.startBegun;
  const stopping = nodes.stop(node.id, soon(), async () => now.state === 'stopped');
  orchestrator.finishStart();
  await starting;
  assert.equal(await stopping, false);
  assert.deepEqual(orchestrator.calls, ['start begun', 'start ended']);
  assert.equal(orchestrator.status_, 'running');
});

test('a start whose turn comes after the node was stopped is refused, and the node stays down', async () => {
  const orchestrator = new SteppedOrchestrator();
  const now: { state: HostedNodeState } = { state: 'running' };
  const nodes = connections(orchestrator, () => now.state);
  const first = nodes.ensureRunning(node, soon());
  await orchestrator.startBegun;
  const stopping = nodes.stop(node.id, soon());
  // The tenant stopped it; a keeper tick that listed it running asks for a start behind the stop.
  now.state = 'stopped';
  orchestrator.finishStart();
  await first;
  await stopping;
  await assert.rejects(nodes.ensureRunning(node, soon()), (err: Error) =>
    /is stopped: not started/.test(err.message),
  );
  assert.deepEqual(orchestrator.calls, ['start begun', 'start ended', 'stop']);
});

test('starts asked at once share one attempt; a failed turn does not block the next', async () => {
  const orchestrator = new SteppedOrchestrator();
  const nodes = connections(orchestrator, () => 'running');
  const a = nodes.ensureRunning(node, soon());
  const b = nodes.ensureRunning(node, soon());
  await orchestrator.startBegun;
  orchestrator.finishStart();
  await Promise.all([a, b]);
  assert.deepEqual(orchestrator.calls, ['start begun', 'start ended'], 'one start for both');
  orchestrator.stop = async () => {
    throw new Error('stop failed');
  };
  await assert.rejects(nodes.stop(node.id, soon()), /stop failed/);
  await nodes.destroy(node.id, soon());
  assert.equal(orchestrator.calls.at(-1), 'destroy');
});

test('stops of a stopped node asked at once share one attempt, made only while the state asks for it', async () => {
  const orchestrator = new SteppedOrchestrator();
  orchestrator.status_ = 'running';
  const now: { state: HostedNodeState } = { state: 'stopped' };
  const nodes = connections(orchestrator, () => now.state);
  // The tenant's stop (its effect) and a keeper tick at the same time.
  const [a, b] = await Promise.all([nodes.stopProcess(node.id, soon()), nodes.stopProcess(node.id, soon())]);
  assert.deepEqual([a, b], [true, true]);
  assert.deepEqual(orchestrator.calls, ['stop'], 'one stop for both');
  // Started again meanwhile: a stop asked now leaves the node alone.
  now.state = 'running';
  orchestrator.status_ = 'running';
  assert.equal(await nodes.stopProcess(node.id, soon()), false);
  assert.deepEqual(orchestrator.calls, ['stop']);
  assert.equal(orchestrator.status_, 'running');
});

test("two replicas on one Postgres: a stop on one waits for the other's start of the node", async () => {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  // Each replica opens the database itself; they share the node (its process) and nothing else.
  const [dbA, dbB] = await Promise.all([
    openDatabase({ kind: 'postgres', url }),
    openDatabase({ kind: 'postgres', url }),
  ]);
  try {
    const orchestrator = new SteppedOrchestrator();
    const now: { state: HostedNodeState } = { state: 'running' };
    const replicaA = connections(orchestrator, () => now.state, dbA.nodeLocks);
    const replicaB = connections(orchestrator, () => now.state, dbB.nodeLocks);
    const shared = { ...node, id: randomUUID() };
    // The keeper's start on A; the tenant's stop lands on B while A unlocks.
    const starting = replicaA.ensureRunning(shared, soon());
    await orchestrator.startBegun;
    const stopping = replicaB.stop(shared.id, soon());
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted
            and objsubid = 2 and objid::bigint = (hashtext(${shared.id})::bigint & 4294967295)`.execute(
          dbA.db,
        );
        return rows[0]?.n === 1;
      },
      { what: "replica B waiting for the node's lock" },
    );
    assert.deepEqual(orchestrator.calls, ['start begun'], "B's stop waits for A's start");
    now.state = 'stopped';
    orchestrator.finishStart();
    await starting;
    assert.equal(await stopping, true);
    assert.deepEqual(orchestrator.calls, ['start begun', 'start ended', 'stop']);
  } finally {
    await Promise.all([dbA.close(), dbB.close()]);
  }
});

test('a node whose lock is refused is neither started nor stopped', async () => {
  const orchestrator = new SteppedOrchestrator();
  const refused: NodeLocks = {
    withLock: async (nodeId) => {
      throw new LspError(ErrorCode.Conflict, `node ${nodeId} is busy`);
    },
  };
  const nodes = connections(orchestrator, () => 'running', refused);
  await assert.rejects(nodes.ensureRunning(node, soon()), /node n1 is busy/);
  await assert.rejects(nodes.stop(node.id, soon()), /node n1 is busy/);
  assert.deepEqual(orchestrator.calls, []);
});

test('for a job whose lease is lost, a start is refused after the lock (and a caller already gone leaves nothing unhandled)', async () => {
  const orchestrator = new SteppedOrchestrator();
  const nodes = connections(orchestrator, () => 'running');
  const refusals: string[] = [];
  const lost: LeaseFence = {
    lease: 'hosted-nodes',
    token: 7n,
    held: () => false,
    refused: (w) => refusals.push(w),
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    // The keeper, stopped by the runner already, still asks (its signal aborted).
    await assert.rejects(
      withLeaseFence(lost, () => nodes.ensureRunning(node, AbortSignal.abort())),
      (err: Error) => err.name === 'AbortError',
    );
    await assert.rejects(
      withLeaseFence(lost, () => nodes.ensureRunning(node, soon())),
      (err) => isLspError(err, ErrorCode.LeaseLost),
    );
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
  assert.deepEqual(orchestrator.calls, [], 'never started');
  assert.equal(refusals.length, 2);
});
