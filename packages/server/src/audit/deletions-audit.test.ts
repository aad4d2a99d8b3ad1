import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type HoldingsSummary, parseHex32, sat } from '@blgv/core';
import {
  type Database,
  HostedNodeDeletionsRepository,
  HostedNodesRepository,
  openMigratedMemoryDatabase,
  TenantsRepository,
} from '@blgv/store';
import { auditDeletions } from './deletions-audit.ts';

let database: Database;
before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

const nothing: HoldingsSummary = {
  openChannels: 0,
  openingChannels: 0,
  closingChannels: 0,
  channelSat: sat(0),
  timeLockedSat: sat(0),
  onchainConfirmedSat: sat(0),
  onchainUnconfirmedSat: sat(0),
};
const txid = parseHex32('ab'.repeat(32));

/** A deleted node whose removal recorded `holdings` and `sweeps`. */
async function deleted(
  id: string,
  holdings: HoldingsSummary,
  sweeps: { address: string; confirmations: number }[],
): Promise<{ id: string; state: string }> {
  const tenant = await new TenantsRepository(database.db).create(`t-${id}`);
  const nodes = new HostedNodesRepository(database.db);
  await nodes.insert({ id, tenantId: tenant.id, alias: id, color: '#000000', config: {} });
  const repo = new HostedNodeDeletionsRepository(database.db);
  await repo.request(id, { closeChannels: true, sweepAddress: 'bcrt1qtenant' }, 100);
  await repo.recordLook(id, {
    phase: 'removing',
    holdings,
    reasons: [],
    closes: {},
    sweeps: sweeps.map((s) => ({ ...s, txid, amount: sat(299_000) })),
  });
  await repo.removed(id, undefined);
  return { id, state: 'deleted' };
}

test('a node removed holding nothing, swept to its address and confirmed, is clean', async () => {
  const node = await deleted('clean', nothing, [{ address: 'bcrt1qtenant', confirmations: 1 }]);
  assert.deepEqual((await auditDeletions(database, [node])).findings, []);
});

test('a removal holding coins, a sweep elsewhere or unconfirmed, or no record are each flagged', async () => {
  const nodes = [
    await deleted('holding', { ...nothing, onchainConfirmedSat: sat(5_000) }, []),
    await deleted('elsewhere', nothing, [{ address: 'bcrt1qthief', confirmations: 3 }]),
    await deleted('unconfirmed', nothing, [{ address: 'bcrt1qtenant', confirmations: 0 }]),
    { id: 'unrecorded', state: 'deleted' },
    { id: 'moving', state: 'deleting' },
  ];
  const report = await auditDeletions(database, nodes);
  assert.deepEqual(
    report.findings.map((f) => `${f.check} ${f.subject}`),
    [
      'deletion_removed_holding hosted_node:holding',
      'deletion_sweep_address hosted_node:elsewhere',
      'deletion_sweep_unconfirmed hosted_node:unconfirmed',
      'deletion_unrecorded hosted_node:unrecorded',
    ],
  );
  assert.equal(report.inFlight, 1);
});
