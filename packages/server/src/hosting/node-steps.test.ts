import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type Database,
  HostedNodesRepository,
  openMigratedMemoryDatabase,
  TenantsRepository,
} from '@blgv/store';
import pino from 'pino';
import { AfterCommit } from '../machines/apply-step.ts';
import type { NodeConnections } from './node-connections.ts';
import { type MoveNode, nodeMover } from './node-steps.ts';

let database: Database;
let move: MoveNode;
/** What the effects did, with the node's state each saw written. */
const done: string[] = [];

const stateOf = async (nodeId: string) => (await new HostedNodesRepository(database.db).get(nodeId))?.state;

before(async () => {
  database = await openMigratedMemoryDatabase();
  const nodes = {
    ensureRunning: async (record: { id: string }) => {
      done.push(`start ${record.id} (${await stateOf(record.id)})`);
    },
    stopProcess: async (nodeId: string) => {
      done.push(`stop ${nodeId} (${await stateOf(nodeId)})`);
      return true;
    },
  } as unknown as NodeConnections;
  move = nodeMover({
    database,
    nodes,
    remove: async (record) => {
      done.push(`remove ${record.id} (${await stateOf(record.id)})`);
    },
    log: pino({ level: 'silent' }),
  });
});
after(() => database?.close());

let n = 0;
/** A node just created (`running`). */
async function runningNode(): Promise<string> {
  n += 1;
  const tenant = await new TenantsRepository(database.db).create(`steps-${n}`);
  const nodeId = `nsteps${n}`;
  await new HostedNodesRepository(database.db).insert({
    id: nodeId,
    tenantId: tenant.id,
    alias: `node-${n}`,
    color: '#000000',
    config: {},
  });
  await move(nodeId, 'creating', { type: 'created' });
  return nodeId;
}

test('stop, suspend, resume and start perform their process effects once the step is written', async () => {
  done.length = 0;
  const id = await runningNode();
  assert.deepEqual(done, [], 'a node created is started by its creation, not by the step');
  await move(id, 'running', { type: 'stop' });
  await move(id, 'stopped', { type: 'suspended' });
  await move(id, 'suspended', { type: 'resumed' });
  await move(id, 'running', { type: 'suspended' });
  await assert.rejects(move(id, 'suspended', { type: 'start' }), /suspended until its hosting is paid/);
  await move(id, 'suspended', { type: 'resumed' });
  await move(id, 'running', { type: 'stop' });
  await move(id, 'stopped', { type: 'start' });
  // A suspended node is kept running (started if its tenant had stopped it): never stopped.
  assert.deepEqual(done, [
    `stop ${id} (stopped)`,
    `start ${id} (suspended)`,
    `start ${id} (running)`,
    `start ${id} (running)`,
    `stop ${id} (stopped)`,
    `start ${id} (running)`,
  ]);
});

test('a deletion of a node holding nothing removes it once the step is committed; one holding something waits for the keeper', async () => {
  done.length = 0;
  const empty = await runningNode();
  const after = new AfterCommit(database.db);
  await database.db.transaction().execute(async (tx) => {
    await move(empty, 'running', { type: 'delete', holdsNothing: true }, { tx, after });
    assert.deepEqual(done, [], 'nothing is removed inside the open transaction');
  });
  assert.deepEqual(done, []);
  await after.perform();
  assert.deepEqual(done, [`remove ${empty} (deleting)`]);

  done.length = 0;
  const holding = await runningNode();
  const later = new AfterCommit(database.db);
  await database.db
    .transaction()
    .execute((tx) => move(holding, 'running', { type: 'delete', holdsNothing: false }, { tx, after: later }));
  await later.perform();
  assert.deepEqual(done, [], 'the keeper closes, sweeps, then removes it');
  assert.equal(await stateOf(holding), 'deleting');
});

test('a step with an effect written in an open transaction without afterCommit is refused', async () => {
  const id = await runningNode();
  await assert.rejects(
    database.db
      .transaction()
      .execute((tx) => move(id, 'running', { type: 'delete', holdsNothing: true }, { tx })),
    /inside an open transaction and no afterCommit/,
  );
  assert.equal(await stateOf(id), 'running', 'the transaction was rolled back');
});
