import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostedNodeState, NodeOrchestrator, NodeRunStatus, NodeWallets } from '@blgv/core';
import type { HostedNodeRecord } from '@blgv/store';
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

function connections(orchestrator: SteppedOrchestrator, state: () => HostedNodeState | undefined) {
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
