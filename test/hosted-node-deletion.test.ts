/**
 * Story: deleting a hosted node never destroys its coins.
 *
 * - A stopped node and a suspended node (its tenant's second month unpaid), each holding
 *   300,000 sat on chain and an inbound channel from the LSP: `DELETE` without options is a 409
 *   naming what it holds (the stopped node is started to look, and stopped again; the suspended
 *   one runs, guarding its coins); an address of another
 *   network is a 400 naming `sweepAddress` and changes nothing. With `closeChannels` and alice's
 *   address, the channel is closed, the coins are swept to alice (seen with `lncli` on alice's
 *   node) and only once the sweep confirmed is the node `deleted`.
 * - A node whose channel peer (carol) is offline: the deletion force-closes the channel after
 *   the configured wait, waits out the time lock (blocks mined), sweeps, and removes the node;
 *   its channel backup stays downloadable throughout and it tells what it still holds and why.
 * - Removed nodes' data is kept in an encrypted archive the operator opens with
 *   `blgv-lsp node-archive` (the seed and the latest backup in it), purged after the retention.
 *
 * Each ends with a clean audit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { HostedNodeResponse } from '@blgv/protocol';
import { type LndNode, lightningBinary, pidAlive } from '@blgv/regtest';
import {
  CLI,
  channelActive,
  type HostingLsp,
  type Network,
  nodeRest,
  startHostingLsp,
  startNetwork,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const ON_CHAIN = 300_000;
/** A month lasts long enough for the stopped node's story, short enough to suspend the other. */
const PERIOD_SECONDS = 90;
const RETENTION_SECONDS = 30;
const secretsKey = randomBytes(32).toString('hex');

let net: Network;
let carol: LndNode;
let hosting: HostingLsp;
let rich: LSPClient;
let poor: LSPClient;
let stopped: HostedNodeResponse;
let suspended: HostedNodeResponse;

before(async () => {
  net = await startNetwork();
  const { h, alice, lsp } = net;
  carol = await h.newNode('carol');
  // carol's coins, and a second coin for the LSP: the two initial channels are funded apart
  // when they do not fall in one batch window, and the first one's change is unconfirmed then.
  await h.fund([carol, sat(2_000_000)], [lsp, sat(2_000_000)]);
  hosting = await startHostingLsp(
    net,
    {
      billingPeriodSeconds: PERIOD_SECONDS,
      gracePeriodSeconds: 0,
      deletion: { forceCloseAfterSeconds: 3, sweepConfirmations: 1 },
      archiveRetentionSeconds: RETENTION_SECONDS,
      archivePurgeIntervalMs: 500,
    },
    {},
    { env: { BLGV_SECRETS_KEY: secretsKey } },
  );
  rich = (await hosting.lsp.newTenant('rich')).client;
  poor = (await hosting.lsp.newTenant('poor')).client;
  await h.openChannel(alice, lsp, sat(3_000_000));
  await topUp(h, alice, rich, 1_500_000);
  const config = { alias: 'custody', channels: [{ capacity: 300_000 }] };
  // The poor tenant pays its first month and channel, and nothing more.
  await topUp(h, alice, poor, (await poor.nodes.quote(config)).total);
  [stopped, suspended] = await Promise.all([
    rich.nodes.create({ ...config, alias: 'custody-stopped' }),
    poor.nodes.create({ ...config, alias: 'custody-suspended' }),
  ]);
  // Coins on chain and the inbound channel, confirmed before the poor tenant's month ends (a block
  // after each send: alice's next send spends the change of the last).
  for (const node of [stopped, suspended]) {
    await sendOnChain(node, ON_CHAIN);
    await h.mine(1);
  }
  await h.mine(5);
  for (const node of [stopped, suspended]) {
    await h.waitFor(() => channelActive(node.endpoint, node.macaroon ?? ''), {
      what: `${node.alias}'s inbound channel active`,
      timeoutMs: 90_000,
    });
    await confirmedOnChain(node, ON_CHAIN);
  }
});

after(async () => {
  await hosting?.stop();
  await net?.h.stop();
});

/** Sends `amount` from alice to the node's own address. */
async function sendOnChain(node: HostedNodeResponse, amount: number): Promise<void> {
  const addr = await nodeRest<{ address: string }>(
    node.endpoint,
    node.macaroon ?? '',
    'GET',
    '/v1/newaddress',
  );
  assert.equal(addr.status, 200);
  await net.alice.lnd.sendCoins({ address: addr.body.address, amount: sat(amount), targetConf: 2 }, within());
}

/** Sends `amount` from alice to the node's own address, and waits until it is confirmed there. */
async function fundOnChain(node: HostedNodeResponse, amount: number): Promise<void> {
  await sendOnChain(node, amount);
  await net.h.mine(1);
  await confirmedOnChain(node, amount);
}

/** Waits until the node's wallet holds `amount` confirmed. */
async function confirmedOnChain(node: HostedNodeResponse, amount: number): Promise<void> {
  const mac = node.macaroon ?? '';
  await net.h.waitFor(
    async () => {
      const b = await nodeRest<{ confirmed_balance: string }>(
        node.endpoint,
        mac,
        'GET',
        '/v1/balance/blockchain',
      );
      return Number(b.body.confirmed_balance) >= amount;
    },
    { what: `${node.alias} to hold ${amount} sat on chain` },
  );
}

/** Where removed nodes' archives are kept (beside the nodes' data directory). */
function archiveDir(): string {
  return `${hosting.dataDir}-archives`;
}

/** The refusal a call ends with. */
async function refusal(
  call: Promise<unknown>,
): Promise<{ status: number; code: string; message: string; details: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    const e = err as { status: number; code: string; message: string; details?: Record<string, unknown> };
    return { status: e.status, code: e.code, message: e.message, details: e.details ?? {} };
  }
  throw new Error('the call succeeded');
}

/**
 * Mines a block at a time until the node is deleted, reading it (and its backup) as its tenant
 * does at every round. Answers the phases it went through and the reasons it gave.
 */
async function mineUntilDeleted(
  tenant: LSPClient,
  nodeId: string,
): Promise<{ node: HostedNodeResponse; phases: string[]; reasons: string[] }> {
  const phases: string[] = [];
  const reasons: string[] = [];
  const node = await net.h.waitFor(
    async () => {
      const n = await tenant.nodes.get(nodeId);
      if (n.deletion && phases.at(-1) !== n.deletion.phase) phases.push(n.deletion.phase);
      for (const r of n.deletion?.reasons ?? []) if (!reasons.includes(r)) reasons.push(r);
      if (n.status === 'deleted') return n;
      assert.equal(n.status, 'deleting');
      // The backup stays downloadable throughout.
      assert.ok((await tenant.nodes.backup(nodeId)).multiChannelBackup.length > 0);
      await net.h.mine(1);
      return undefined;
    },
    { what: `node ${nodeId} deleted`, timeoutMs: 240_000, intervalMs: 1_000 },
  );
  return { node, phases, reasons };
}

/** What alice's wallet holds from `txid`, read with lncli on alice's node. */
function aliceReceived(txid: string): number {
  const out = execFileSync(
    lightningBinary('lncli'),
    [
      `--rpcserver=127.0.0.1:${net.alice.rpcPort}`,
      `--tlscertpath=${join(net.alice.dir, 'tls.cert')}`,
      `--macaroonpath=${join(net.alice.dir, 'data', 'chain', 'bitcoin', 'regtest', 'admin.macaroon')}`,
      '--network=regtest',
      'listunspent',
      '--min_confs=1',
    ],
    { encoding: 'utf8' },
  );
  const utxos = (JSON.parse(out) as { utxos: { outpoint: string; amount_sat: string }[] }).utxos;
  return utxos.filter((u) => u.outpoint.startsWith(`${txid}:`)).reduce((s, u) => s + Number(u.amount_sat), 0);
}

/** Deletes a node holding a channel and coins: refused, then closed, swept to alice, removed. */
async function deleteHoldingNode(tenant: LSPClient, node: HostedNodeResponse, state: string) {
  assert.equal((await tenant.nodes.get(node.nodeId)).status, state);
  const bare = await refusal(tenant.nodes.remove(node.nodeId));
  assert.equal(bare.status, 409, bare.message);
  assert.match(bare.message, /1 open channel \(300,000 sat capacity\)/);
  assert.match(bare.message, /300,000 sat on chain/);
  assert.equal(bare.details.field, 'closeChannels');
  assert.equal(bare.details.onchainConfirmedSat, ON_CHAIN);
  const noAddress = await refusal(tenant.nodes.remove(node.nodeId, { closeChannels: true }));
  assert.equal(noAddress.status, 409);
  assert.equal(noAddress.details.field, 'sweepAddress');
  for (const sweepAddress of [
    'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', // mainnet
    'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', // testnet
    'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt081', // bad checksum
  ]) {
    const bad = await refusal(tenant.nodes.remove(node.nodeId, { closeChannels: true, sweepAddress }));
    assert.equal(bad.status, 400, sweepAddress);
    assert.equal(bad.details.field, 'sweepAddress');
  }
  const after = await tenant.nodes.get(node.nodeId);
  assert.equal(after.status, state, 'nothing changed');
  assert.equal(after.deletion, null);
  // A stopped node was started to be looked at, then stopped again; a suspended one runs (it
  // guards its coins), and was looked at as it was.
  const runs = state === 'suspended';
  assert.equal(
    pidAlive(hosting.pidOf(node.nodeId)),
    runs,
    runs ? 'a suspended node runs' : 'not left running',
  );

  const sweepAddress = await net.alice.lnd.newAddress(within());
  const deleting = await tenant.nodes.remove(node.nodeId, { closeChannels: true, sweepAddress });
  assert.equal(deleting.status, 'deleting');
  assert.equal(deleting.deletion?.sweepAddress, sweepAddress);
  const { node: deleted, phases } = await mineUntilDeleted(tenant, node.nodeId);
  assert.deepEqual(phases.at(-1), 'removed');
  assert.ok(phases.includes('closing_channels'), phases.join(' > '));
  const sweeps = deleted.deletion?.sweeps ?? [];
  assert.equal(sweeps.length, 1);
  const sweep = sweeps[0] as (typeof sweeps)[number];
  assert.equal(sweep.address, sweepAddress);
  assert.ok(sweep.confirmations >= 1, 'removed only once the sweep confirmed');
  assert.ok(sweep.amount > ON_CHAIN - 5_000 && sweep.amount <= ON_CHAIN, `swept ${sweep.amount} sat`);
  assert.equal(aliceReceived(sweep.txid), sweep.amount, "alice's node holds exactly what was swept");
  assert.ok(deleted.deletion?.archiveExpiresAt, 'its data is archived');
  return deleted;
}

test('a stopped node holding coins and a channel: refused until told where the coins go, then swept and removed', async () => {
  await rich.nodes.stop(stopped.nodeId);
  await deleteHoldingNode(rich, stopped, 'stopped');
  await assertCleanAudit(hosting.lsp);

  // Its data is archived, encrypted: the operator opens it with the secrets key.
  const files = readdirSync(archiveDir()).filter((f) => f.startsWith(stopped.nodeId));
  assert.equal(files.length, 1, 'one archive of the stopped node');
  const out = mkdtempSync(join(tmpdir(), 'node-archive-'));
  const opened = JSON.parse(
    execFileSync(process.execPath, [CLI, 'node-archive', join(archiveDir(), files[0] as string), out], {
      env: { ...process.env, BLGV_SECRETS_KEY: secretsKey },
      encoding: 'utf8',
    }),
  ) as { nodeId: string; secrets: { seed: string[] }; channelBackup: string | null; sweeps: unknown[] };
  assert.equal(opened.nodeId, stopped.nodeId);
  assert.deepEqual(opened.secrets.seed, stopped.seed, "the archive holds the node's seed");
  assert.ok(opened.channelBackup, 'and its latest channel backup');
  assert.equal(opened.sweeps.length, 1);
  assert.ok(existsSync(join(out, stopped.nodeId, 'lnd')), "and the node's LND directory");
  rmSync(out, { recursive: true, force: true });
});

test('a suspended node (month unpaid) is deleted the same way, without a month charged', async () => {
  await net.h.waitFor(async () => (await poor.nodes.get(suspended.nodeId)).status === 'suspended', {
    what: 'the unpaid node suspended',
    timeoutMs: (PERIOD_SECONDS + 60) * 1000,
  });
  const balance = (await poor.getBalance()).balance;
  const deleted = await deleteHoldingNode(poor, suspended, 'suspended');
  assert.equal(
    (await poor.getBalance()).balance,
    balance,
    'looking, closing and sweeping cost the tenant nothing',
  );
  assert.equal(deleted.paidUntil, (await poor.nodes.get(suspended.nodeId)).paidUntil);
  await assertCleanAudit(hosting.lsp);
});

test('a node whose peer is offline: force-closed after the wait, time lock waited out, swept, removed; backup readable throughout', async () => {
  const { h, alice } = net;
  const node = await rich.nodes.create({ alias: 'custody-offline-peer' });
  await fundOnChain(node, ON_CHAIN);
  // carol opens a channel to the node and pushes it 100,000 sat: the node's own funds in it.
  await carol.lnd.connectPeer(node.pubkey as never, node.p2pHost ?? '', within());
  await carol.lnd.openChannel(
    { remotePubkey: node.pubkey as never, localAmount: sat(400_000), pushAmount: sat(100_000) },
    within(),
  );
  await h.mine(6);
  await h.waitFor(() => channelActive(node.endpoint, node.macaroon ?? ''), { what: 'carol channel active' });
  await h.waitFor(async () => (await rich.nodes.backup(node.nodeId)).channelCount === 1, {
    what: 'the backup to cover the channel',
  });
  await carol.stop();
  const deleting = await rich.nodes.remove(node.nodeId, {
    closeChannels: true,
    sweepAddress: await alice.lnd.newAddress(within()),
  });
  assert.equal(deleting.status, 'deleting');
  // Still readable through its endpoint while it is deleted (reads only).
  const info = await nodeRest(node.endpoint, node.macaroon ?? '', 'GET', '/v1/getinfo');
  assert.equal(info.status, 200);
  const write = await nodeRest(node.endpoint, node.macaroon ?? '', 'POST', '/v1/invoices', { value: '1000' });
  assert.equal(write.status, 503, 'a deleting node takes no writes through its endpoint');
  const { node: deleted, phases, reasons } = await mineUntilDeleted(rich, node.nodeId);
  assert.ok(
    // A slow look may come only after the wait is over: then it says why it force-closes.
    reasons.some((r) => /peer is offline: force-closing in|peer did not close it within/.test(r)),
    `it said it waits for the peer, or that it waited (${reasons.join(' | ')})`,
  );
  assert.ok(
    reasons.some((r) => /time-locked until block \d+/.test(r)),
    `it said what is time-locked (${reasons.join(' | ')})`,
  );
  assert.ok(phases.includes('waiting_for_closes'), phases.join(' > '));
  const sweep = deleted.deletion?.sweeps[0];
  assert.ok(sweep && sweep.confirmations >= 1);
  // Its 300,000 sat on chain and its 100,000 sat in the channel, minus the closing and sweep fees.
  assert.ok(sweep.amount > ON_CHAIN + 90_000 && sweep.amount < ON_CHAIN + 100_000, `swept ${sweep.amount}`);
  assert.equal(aliceReceived(sweep.txid), sweep.amount);
  await assertCleanAudit(hosting.lsp);
});

test('archives are purged once their retention ends, with what the LSP kept of the node', async () => {
  await net.h.waitFor(
    async () => (await rich.nodes.get(stopped.nodeId)).deletion?.archiveExpiresAt === null,
    {
      what: 'the archive purged after its retention',
      timeoutMs: (RETENTION_SECONDS + 30) * 1000,
    },
  );
  assert.deepEqual(
    readdirSync(archiveDir()).filter((f) => f.startsWith(stopped.nodeId)),
    [],
    'the archive file is gone',
  );
  await assert.rejects(rich.nodes.backup(stopped.nodeId), (err: { status: number }) => err.status === 404);
  const node = await rich.nodes.get(stopped.nodeId);
  assert.equal(node.status, 'deleted', 'the tenant still reads what became of it');
  assert.equal(node.deletion?.sweeps.length, 1);
});
