import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalOrchestrator, type LocalOrchestratorOptions } from './local-orchestrator.ts';

/** An orchestrator over `dataDir` that never starts an lnd (only removal and status are asked). */
const orchestrator = (dataDir: string) =>
  new LocalOrchestrator({
    dataDir,
    lndBinary: '/nonexistent/lnd',
    ports: { from: 40_000, to: 40_100 },
    outliveServer: false,
  } as unknown as LocalOrchestratorOptions);

/** A stopped node's directory: its record and some of its LND files. */
function nodeDir(dataDir: string, nodeId: string): void {
  mkdirSync(join(dataDir, nodeId, 'lnd', 'data'), { recursive: true });
  writeFileSync(join(dataDir, nodeId, 'node.json'), '{}');
  writeFileSync(join(dataDir, nodeId, 'lnd', 'data', 'wallet.db'), 'x');
}

test('a removed node is gone whole, and a removal a crash cut short reads as removed and is finished by the next start', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-orchestrator-'));
  try {
    nodeDir(dataDir, 'n1');
    const local = orchestrator(dataDir);
    assert.equal(await local.status('n1', AbortSignal.timeout(1_000)), 'stopped');
    await local.destroy('n1', AbortSignal.timeout(5_000));
    assert.equal(await local.status('n1', AbortSignal.timeout(1_000)), 'missing');
    assert.deepEqual(readdirSync(dataDir), [], 'nothing left');

    // A crash after the directory was moved aside, before its files were deleted: the node
    // reads as removed at once (its record went with the move), and a new start deletes the rest.
    nodeDir(dataDir, 'n2');
    renameSync(join(dataDir, 'n2'), join(dataDir, '.removing-n2-1'));
    assert.equal(await local.status('n2', AbortSignal.timeout(1_000)), 'missing');
    orchestrator(dataDir);
    assert.equal(existsSync(join(dataDir, '.removing-n2-1')), false, 'finished by the next start');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
