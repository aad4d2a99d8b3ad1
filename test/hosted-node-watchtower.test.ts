/**
 * A hosted node's coins while it is offline: a tenant stops its node, and a peer publishes a
 * revoked channel state, the one where the peer still had everything. The node cannot answer;
 * the LSP's watchtower, which the node has been sending each revoked state to, publishes the
 * justice transaction and the whole channel goes to the node's own wallet. Without the tower,
 * the peer would take it all once the commitment's delay had passed. And a node whose own
 * force close is still waiting for its confirmations is not stopped (LND lists that channel's
 * HTLCs only once it has them).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { HostedNodeResponse } from '@blgv/protocol';
import type { LndNode } from '@blgv/regtest';
import {
  type HostingLsp,
  type Network,
  nodeLncli,
  nodeRest,
  payUntilSucceeded,
  startHostingLsp,
  startNetwork,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const METRICS_TOKEN = 'watchtower-story-metrics-token';
const CAPACITY = 1_000_000;
const PAID = 400_000;

const ctx = { net: undefined as unknown as Network };
let hosting: HostingLsp;
let tenant: LSPClient;
let mallory: LndNode;
/** The tenant's node (the first story makes it). */
let node: HostedNodeResponse;
/** Where mallory keeps its old channel database. */
const keep = mkdtempSync(join(tmpdir(), 'mallory-'));

before(async () => {
  // The LSP's LND runs a watchtower (`watchtower.active`); `hosting.watchtower` defaults to it.
  ctx.net = await startNetwork({ lsp: { watchtower: true } });
  const { h, alice, lsp } = ctx.net;
  hosting = await startHostingLsp(ctx.net, {}, { monitoring: { prometheusToken: METRICS_TOKEN } });
  tenant = (await hosting.lsp.newTenant('merchant')).client;
  mallory = await h.newNode('mallory');
  await h.fund([mallory, sat(3_000_000)]);
  await h.openChannel(alice, lsp, sat(3_000_000));
  await topUp(h, alice, tenant, 1_000_000);
});

after(async () => {
  await hosting?.stop();
  await ctx.net?.h.stop();
  rmSync(keep, { recursive: true, force: true });
});

/** The node as `GET /v1/nodes/:id` shows it to its tenant. */
const look = (node: HostedNodeResponse) => tenant.nodes.get(node.nodeId);

/** `lsp_hosted_nodes_unwatched` as the LSP's `/metrics` says it now. */
async function unwatchedNodes(): Promise<string | undefined> {
  const res = await fetch(`${hosting.lsp.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  return /^lsp_hosted_nodes_unwatched (\S+)$/m.exec(await res.text())?.[1];
}

/** The channel database of a stopped lnd (what a peer restoring an old backup puts back). */
const channelDb = (node: LndNode) => join(node.dir, 'data', 'graph', 'regtest', 'channel.db');

test("a peer's revoked state published while the tenant's node is stopped is punished by the LSP's watchtower", async () => {
  const { h } = ctx.net;
  node = await tenant.nodes.create({ alias: 'shop', channels: [], autopilot: { enabled: false } });
  const macaroon = node.macaroon ?? '';
  await h.waitFor(async () => (await look(node)).watchtower?.tower, {
    what: "the node registered with the LSP's tower",
  });
  assert.equal(await unwatchedNodes(), '0', 'no hosted node left unguarded in /metrics');

  // mallory opens a 1,000,000 sat channel to the node: all of it mallory's.
  await mallory.lnd.connectPeer(node.pubkey as never, node.p2pHost ?? '', within());
  const { channelPoint } = await h.waitFor(
    () =>
      mallory.lnd
        .openChannel({ remotePubkey: node.pubkey as never, localAmount: sat(BigInt(CAPACITY)) }, within())
        .catch(() => undefined),
    { what: 'mallory opening a channel to the node' },
  );
  await h.mine(6);
  await h.waitChannelActive(mallory, channelPoint);

  // mallory keeps a copy of this state, then pays the node 400,000 sat: the copy is revoked.
  await mallory.stop();
  const oldState = join(keep, 'channel.db');
  copyFileSync(channelDb(mallory), oldState);
  await mallory.start();
  await h.waitChannelActive(mallory, channelPoint);
  const invoice = await nodeRest<{ payment_request: string }>(
    node.endpoint,
    macaroon,
    'POST',
    '/v1/invoices',
    {
      value: String(PAID),
    },
  );
  await payUntilSucceeded(h, mallory, invoice.body.payment_request, 'mallory paying the node');

  // The node has sent the revoked states to the tower (the one mallory copied among them).
  await h.waitFor(
    async () => {
      const w = (await look(node)).watchtower;
      return w && w.backups >= 2 && w.pendingBackups === 0 ? w : undefined;
    },
    { what: "the node's revoked states backed up to the tower", timeoutMs: 60_000 },
  );

  // The tenant stops its node (nothing in flight, so the stop is allowed).
  await tenant.nodes.stop(node.nodeId);
  await h.waitFor(async () => (await look(node)).process === 'stopped', { what: 'the node stopped' });

  // mallory puts the old state back and publishes it: the node is not there to answer.
  await mallory.stop();
  copyFileSync(oldState, channelDb(mallory));
  await mallory.start();
  const { closingTxid } = await mallory.lnd.closeChannel({ channelPoint, force: true }, within());
  await h.waitFor(async () => (await h.btcd.rpc<string[]>('getrawmempool')).includes(closingTxid), {
    what: 'the revoked commitment in the mempool',
  });
  await h.mine(1);

  // One block later, before mallory's delay (4 blocks) could let it sweep, the tower publishes
  // the justice transaction: it spends the revoked commitment and pays nearly all of it.
  const justice = await h.waitFor(
    async () => {
      for (const txid of await h.btcd.rpc<string[]>('getrawmempool')) {
        const tx = await h.btcd.rpc<{ vin: { txid: string }[]; vout: { value: number }[] }>(
          'getrawtransaction',
          [txid, 1],
        );
        const paid = tx.vout.reduce((sum, o) => sum + Math.round(o.value * 1e8), 0);
        if (tx.vin.some((i) => i.txid === closingTxid) && paid > CAPACITY * 0.9) return { txid, paid };
      }
      return undefined;
    },
    { what: "the tower's justice transaction", timeoutMs: 60_000 },
  );
  await h.mine(6);

  // The tenant starts its node again: the whole channel is in its wallet, not the 400,000 sat
  // it was owed, let alone nothing.
  await tenant.nodes.start(node.nodeId);
  const balance = await h.waitFor(
    async () => {
      const r = await nodeRest<{ confirmed_balance?: string }>(
        node.endpoint,
        macaroon,
        'GET',
        '/v1/balance/blockchain',
      );
      const confirmed = Number(r.body.confirmed_balance ?? 0);
      return confirmed >= justice.paid ? confirmed : undefined;
    },
    { what: "the justice transaction's coins in the node's wallet", timeoutMs: 90_000 },
  );
  assert.ok(balance > PAID, `the node holds ${balance} sat on chain, more than the ${PAID} it was paid`);
  assert.ok(balance > CAPACITY * 0.9, 'nearly the whole channel: the revoked state cost mallory everything');
  await assertCleanAudit(hosting.lsp);
});

test("a node whose own force close waits for its confirmations is not stopped: LND lists the channel's HTLCs only then", async () => {
  const { h } = ctx.net;
  const macaroon = node.macaroon ?? '';
  // mallory opens another channel to the node.
  await mallory.lnd.connectPeer(node.pubkey as never, node.p2pHost ?? '', within());
  const { channelPoint } = await h.waitFor(
    () =>
      mallory.lnd
        .openChannel({ remotePubkey: node.pubkey as never, localAmount: sat(200_000n) }, within())
        .catch(() => undefined),
    { what: 'mallory opening a second channel to the node' },
  );
  await h.mine(6);
  await h.waitChannelActive(mallory, channelPoint);

  // The tenant force-closes it from its node (lncli, with what it was given).
  nodeLncli(node, macaroon, [
    'closechannel',
    '--force',
    `--funding_txid=${channelPoint.txid}`,
    `--output_index=${channelPoint.outputIndex}`,
  ]);
  type Pending = { channel?: { channel_point?: string } };
  const point = `${channelPoint.txid}:${channelPoint.outputIndex}`;
  /** Where the closed channel is among the node's pending channels. */
  const closing = async () => {
    const r = await nodeRest<{
      waiting_close_channels?: Pending[];
      pending_force_closing_channels?: Pending[];
    }>(node.endpoint, macaroon, 'GET', '/v1/channels/pending');
    const has = (list?: Pending[]) => (list ?? []).some((c) => c.channel?.channel_point === point);
    if (has(r.body.waiting_close_channels)) return 'waiting_close';
    return has(r.body.pending_force_closing_channels) ? 'force_closing' : 'closed';
  };
  await h.waitFor(async () => (await closing()) === 'waiting_close', {
    what: 'the force close waiting for its confirmations',
  });

  const refused = await tenant.nodes.stop(node.nodeId).then(
    () => assert.fail('stopped while its force close had not confirmed'),
    (err: { status?: number; message?: string; details?: Record<string, unknown> }) => err,
  );
  assert.equal(refused.status, 409, refused.message);
  assert.match(refused.message ?? '', /a force close waiting for confirmations/);
  assert.equal(refused.details?.unconfirmedForceCloses, 1);
  assert.equal((await look(node)).status, 'running', 'still running');

  // Once the close has its confirmations, LND lists the channel's HTLCs if it has any (none
  // here, nor anything of the node's: it is closed outright): the stop goes through.
  let last = '';
  await h
    .waitFor(
      async () => {
        last = await closing();
        // Force closing with its HTLCs listed, or closed outright (nothing of the node's in it).
        if (last !== 'waiting_close') return true;
        await h.mine(1);
        return false;
      },
      { what: 'the force close confirmed' },
    )
    .catch((err: Error) => {
      throw new Error(`${err.message}; the channel was last ${last}`);
    });
  assert.equal((await tenant.nodes.stop(node.nodeId)).status, 'stopped');
  await assertCleanAudit(hosting.lsp);
});
