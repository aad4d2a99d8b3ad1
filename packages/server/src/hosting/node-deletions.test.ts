/**
 * A removal cut short by a crash after the node's data went (archived, destroyed) and before the
 * removal was recorded: the keeper's next look finds the node gone and records it removed, its
 * newest archive kept, instead of trying forever to start a node that has no data. A removal
 * and a look take turns. Against a real store (PGlite) and a fake driver.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { NodeRunStatus } from '@blgv/core';
import {
  type Database,
  HostedNodeDeletionsRepository,
  HostedNodesRepository,
  openMigratedMemoryDatabase,
  TenantsRepository,
} from '@blgv/store';
import pino from 'pino';
import { NodeArchives } from './node-archives.ts';
import type { NodeConnections } from './node-connections.ts';
import { NodeDeletions } from './node-deletions.ts';
import { nodeMover } from './node-steps.ts';

const root = mkdtempSync(join(tmpdir(), 'blgv-deletions-'));
let database: Database;
let deletions: NodeDeletions;
let archives: NodeArchives;
/** What the fake driver says of each node; what it was asked to start; removals it holds. */
const status = new Map<string, NodeRunStatus>();
const started: string[] = [];
const destroying = new Map<string, { reached: () => void; release: Promise<void> }>();

before(async () => {
  database = await openMigratedMemoryDatabase();
  const nodes = {
    status: async (nodeId: string) => status.get(nodeId) ?? 'missing',
    ensureRunning: async (record: { id: string }) => {
      started.push(record.id);
      throw new Error(`node ${record.id} has no data`);
    },
    // A node that does not answer (its driver says whether it runs).
    backend: () => ({
      getInfo: async () => {
        throw new Error('not answering');
      },
    }),
    destroy: async (
      nodeId: string,
      _signal: AbortSignal,
      keep: (data: AsyncIterable<Uint8Array>) => Promise<string>,
    ) => {
      const held = destroying.get(nodeId);
      held?.reached();
      await held?.release;
      // What the driver says of the node is left as it was: a look run beside the removal would
      // take the node for one to start, whenever it came.
      return keep(bytes());
    },
  } as unknown as NodeConnections;
  const log = pino({ level: 'silent' });
  archives = new NodeArchives({ dir: join(root, 'archives'), key: randomBytes(32) });
  const move = nodeMover({ database, nodes, remove: async () => {}, log });
  deletions = new NodeDeletions({
    database,
    nodes,
    archives,
    config: { forceCloseAfterMs: 60_000, sweepConfirmations: 1, archiveRetentionMs: 86_400_000 },
    network: 'regtest',
    move,
    forget: () => {},
    log,
  });
});
after(async () => {
  await database?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A node being deleted (`deleting`, its deletion recorded) and its repositories. */
async function deletingNode(id: string) {
  const tenant = await new TenantsRepository(database.db).create(`deletions-${id}`);
  const nodesRepo = new HostedNodesRepository(database.db);
  await nodesRepo.insert({ id, tenantId: tenant.id, alias: id, color: '#000000', config: {} });
  await nodesRepo.transition(id, 'creating', 'running', {});
  await nodesRepo.transition(id, 'running', 'deleting', {});
  const repo = new HostedNodeDeletionsRepository(database.db);
  await repo.request(id, { closeChannels: false, sweepAddress: null }, 100);
  return { nodesRepo, repo, tenantId: tenant.id };
}

async function* bytes(): AsyncIterable<Uint8Array> {
  yield Buffer.from('node data');
}

test('a removal whose data went before a crash is recorded by the next look, with its newest archive', async () => {
  const { nodesRepo, repo, tenantId } = await deletingNode('ncut1');
  // remove() began (the phase), archived and destroyed the node, and the process died.
  await repo.removing('ncut1');
  const manifest = {
    nodeId: 'ncut1',
    tenantId,
    pubkey: null,
    alias: 'ncut1',
    createdAt: new Date().toISOString(),
    archivedAt: new Date().toISOString(),
    sealedSecrets: null,
    channelBackup: null,
    sweeps: [],
  };
  const ref = await archives.write(manifest, bytes());
  // One written long before (an earlier try), and another node's: not this removal's.
  writeFileSync(join(archives.dir, 'ncut1-1.blgv-archive'), 'old');
  writeFileSync(join(archives.dir, `ncut10-${Date.now() + 1000}.blgv-archive`), 'other');
  assert.equal(archives.latest('ncut1'), ref);

  const record = await nodesRepo.get('ncut1');
  assert.ok(record);
  await deletions.step(record, AbortSignal.timeout(5_000));
  assert.equal((await nodesRepo.get('ncut1'))?.state, 'deleted');
  const deletion = await repo.get('ncut1');
  assert.equal(deletion?.phase, 'removed');
  assert.equal(deletion?.archiveRef, ref);
  assert.ok(deletion?.archiveExpiresAt);
  assert.deepEqual(started, [], 'no start was tried on a node that has no data');
});

test('a node gone without a removal begun is not taken for removed: the look fails and says why', async () => {
  const { nodesRepo, repo } = await deletingNode('ncut2');
  const record = await nodesRepo.get('ncut2');
  assert.ok(record);
  await assert.rejects(deletions.step(record, AbortSignal.timeout(5_000)), /has no data/);
  assert.equal((await nodesRepo.get('ncut2'))?.state, 'deleting');
  assert.notEqual((await repo.get('ncut2'))?.phase, 'removed');
  assert.match(JSON.stringify((await repo.get('ncut2'))?.reasons), /could not be looked at/);
});

test("a DELETE's removal and the keeper's look at the node take turns: the look waits, then finds it removed", async () => {
  const { nodesRepo, repo } = await deletingNode('nturn1');
  status.set('nturn1', 'stopped');
  let reached = () => {};
  const atDestroy = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let release = () => {};
  destroying.set('nturn1', { reached, release: new Promise<void>((resolve) => (release = resolve)) });
  const record = await nodesRepo.get('nturn1');
  assert.ok(record);
  // The removal a DELETE of a node holding nothing starts, held while its data goes.
  const removal = deletions.remove(record);
  await atDestroy;
  // The keeper's tick listed the node as deleting: without the turn it would look at the node
  // (the driver says stopped: it would start it) while its data goes.
  const look = deletions.step(record, AbortSignal.timeout(5_000));
  release();
  await removal;
  await look;
  assert.equal((await nodesRepo.get('nturn1'))?.state, 'deleted');
  assert.equal((await repo.get('nturn1'))?.phase, 'removed');
  assert.deepEqual(
    started.filter((id) => id === 'nturn1'),
    [],
    'the look found the node removed and did not start it',
  );
});
