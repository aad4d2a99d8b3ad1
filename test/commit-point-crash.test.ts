/**
 * Story: the server process is killed (SIGKILL) in the middle of funding a channel a tenant
 * bought, and a new process takes over on the same database.
 *
 * - Killed right after the commit point, while LND publishes the funding transaction and before
 *   the server heard back: the new process publishes it again (harmless), and the channel is
 *   funded: one channel, charged once, never refunded.
 * - Killed before the commit point, with the peer asked to sign and the wallet's inputs leased
 *   but nothing signed on our side: the new process cancels the funding for certain, releases
 *   the inputs and refunds; no channel ever appears.
 *
 * Both end with a clean audit.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import { LSPClient } from '@blgv/lsp-client';
import { type Database, openDatabase, sql } from '@blgv/store';
import { CLI, lspProcessEnv, type Network, startNetwork, topUp, within } from '@blgv/testkit';

const faultServer = join(import.meta.dirname, 'support', 'fault-server.ts');
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = `lsp_commit_${randomBytes(4).toString('hex')}`;
const secretsKey = randomBytes(32).toString('hex');
const dbUrl = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);

let net: Network;
let admin: Database;
let server: ChildProcess | undefined;
let key: { keyId: string; secret: string } | undefined;

/** Starts the server as a process (with a fault, when given) and waits until it listens. */
async function startServer(fault?: { method: string; mode: string }) {
  const proc = spawn(process.execPath, fault ? [faultServer] : [CLI, 'start'], {
    env: lspProcessEnv(net.lsp, {
      databaseUrl: dbUrl,
      secretsKey,
      extra: {
        BLGV_CONFIG: join(net.lsp.dir, 'server-config.json'),
        ...(fault ? { BLGV_TEST_FAULT: JSON.stringify(fault) } : {}),
      },
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = proc;
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const url = await net.h.waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`the server exited:\n${out}`);
      const ready = /READY (\{.*\})/.exec(out)?.[1];
      if (ready) {
        const r = JSON.parse(ready) as { url: string; keyId?: string; secret?: string };
        if (r.keyId && r.secret) key = { keyId: r.keyId, secret: r.secret };
        return r.url;
      }
      return /API:\s+(http:\/\/\S+)/.exec(out)?.[1];
    },
    { what: 'the server to listen', timeoutMs: 60_000 },
  );
  if (!key) throw new Error('no admin key: the first server prints it');
  return {
    proc,
    admin: new LSPClient({ endpoint: url, apiKey: key.keyId, apiSecret: key.secret }),
    url,
    /** Resolves when the fault was hit. */
    faultHit: () => net.h.waitFor(() => out.includes('FAULT '), { what: 'the injected fault' }),
    kill: async () => {
      proc.kill('SIGKILL');
      await new Promise((resolve) => (proc.exitCode !== null ? resolve(null) : proc.once('exit', resolve)));
    },
  };
}

before(async () => {
  admin = await openDatabase({ kind: 'postgres', url: adminUrl });
  await sql.raw(`create database ${dbName}`).execute(admin.db);
  net = await startNetwork();
  await net.h.openChannel(net.alice, net.lsp, sat(2_000_000));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    join(net.lsp.dir, 'server-config.json'),
    JSON.stringify({
      lsps2: { enabled: false },
      channels: { batchWindowMs: 100 },
      jobs: { leaseSeconds: 5 },
    }),
  );
});
after(async () => {
  server?.kill('SIGKILL');
  await net?.h.stop();
  await sql.raw(`drop database if exists ${dbName} with (force)`).execute(admin.db);
  await admin?.close();
});

/** A tenant of the server at `url`, topped up by alice. */
async function tenant(first: { admin: LSPClient; url: string }, name: string, amount: number) {
  const t = await first.admin.admin.createTenant(name);
  const k = await first.admin.admin.createKey(t.id, 'tenant');
  const client = new LSPClient({ endpoint: first.url, apiKey: k.keyId, apiSecret: k.secret });
  await topUp(net.h, net.alice, client, amount);
  return { client, key: k };
}

/** The LSP's channels (open or pending) funded by `txid`. */
async function lspChannelsFundedBy(txid: string): Promise<number> {
  const [open, pending] = await Promise.all([
    net.lsp.lnd.listChannels(within()),
    net.lsp.lnd.pendingChannels(within()),
  ]);
  return [...open, ...pending].filter((c) => c.channelPoint.txid === txid).length;
}

test('killed right after the commit point: the new process publishes, the channel is funded and charged once', async () => {
  const { h, bob } = net;
  const first = await startServer({ method: 'publishTransaction', mode: 'hang_after' });
  const { client, key: tenantKey } = await tenant(first, 'after-commit', 20_000);
  const order = {
    clientPubkey: bob.pubkey,
    clientHost: bob.host,
    channelSize: 150_000,
    pushAmount: 5_000,
    feeRate: 2,
  };
  const quote = await client.quoteChannel({
    channelSize: order.channelSize,
    pushAmount: order.pushAmount,
    feeRate: order.feeRate,
  });
  const buying = client.requestChannel(order).catch((err: unknown) => err);
  await first.faultHit(); // LND was asked to publish; the server never hears back
  await first.kill();
  assert.ok((await buying) instanceof Error, 'the buyer lost its connection with the server');
  await h.waitFor(async () => (await h.btcd.rpc<string[]>('getrawmempool', [])).length > 0, {
    what: 'the funding transaction LND published',
  });

  const second = await startServer();
  const again = new LSPClient({ endpoint: second.url, apiKey: tenantKey.keyId, apiSecret: tenantKey.secret });
  const [channel] = (await again.getLedger()).entries.filter((e) => e.kind === 'channel_fee');
  assert.ok(channel, 'the channel was charged');
  const id = channel.reference;
  const pending = await h.waitFor(
    async () => {
      const s = await again.getChannelStatus(id);
      return s.status === 'pending' && s.fundingTxid ? s : undefined;
    },
    { what: 'the resumed channel to be reported pending' },
  );
  await h.mine(1);
  await h.waitFor(async () => (await again.getChannelStatus(id)).status === 'open', {
    what: 'the channel to open',
  });
  assert.equal(await lspChannelsFundedBy(pending.fundingTxid ?? ''), 1, 'one channel');
  const entries = (await again.getLedger()).entries;
  assert.ok(!entries.some((e) => e.kind === 'channel_refund'), 'never refunded');
  assert.equal((await again.getBalance()).balance, 20_000 - quote.total, 'charged once, exactly the quote');
  const audit = await second.admin.admin.audit();
  assert.deepEqual(audit.discrepancies, []);
  await second.kill();

  // The same audit from the command line, as an operator's cron job runs it: clean, exit 0.
  const clean = await runAudit();
  assert.equal(clean.code, 0, clean.out);
  assert.match(clean.out, /: clean/);
  // A ledger that disagrees (a corrupted database, say) is caught: exit 1, naming it.
  const db = await openDatabase({ kind: 'postgres', url: dbUrl });
  try {
    await sql`update channel_requests set state = 'failed' where id = ${id}`.execute(db.db);
    const caught = await runAudit();
    assert.equal(caught.code, 1, caught.out);
    assert.match(caught.out, new RegExp(`DISCREPANCY channel_refund channel_request:${id}`));
    assert.match(caught.out, new RegExp(`DISCREPANCY channel_refunded_but_funded channel_request:${id}`));
    await sql`update channel_requests set state = 'open' where id = ${id}`.execute(db.db);
  } finally {
    await db.close();
  }
});

/** Runs `blgv-lsp audit` against the test database and the LSP's node. */
async function runAudit(): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [CLI, 'audit'], {
    env: lspProcessEnv(net.lsp, { databaseUrl: dbUrl, secretsKey }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  return { code, out };
}

/** The LSP's channels (open or pending) with `peer`. */
async function lspChannelsWith(peer: string): Promise<number> {
  const [open, pending] = await Promise.all([
    net.lsp.lnd.listChannels(within()),
    net.lsp.lnd.pendingChannels(within()),
  ]);
  return [...open, ...pending].filter((c) => c.remotePubkey === peer).length;
}

test('killed before the commit point: the new process cancels for certain, releases the inputs and refunds', async () => {
  const { h, bob } = net;
  await h.mine(1);
  const channelsBefore = await lspChannelsWith(bob.pubkey);
  const first = await startServer({ method: 'verifyPsbtFunding', mode: 'hang' });
  const { client, key: tenantKey } = await tenant(first, 'before-commit', 20_000);
  const order = { clientPubkey: bob.pubkey, clientHost: bob.host, channelSize: 120_000, feeRate: 2 };
  const buying = client.requestChannel(order).catch((err: unknown) => err);
  await first.faultHit(); // peers accepted, the wallet funded (inputs leased); nothing signed
  assert.ok((await net.lsp.lnd.listLeases(within())).length > 0, 'the inputs are leased');
  await first.kill();
  assert.ok((await buying) instanceof Error);

  const second = await startServer();
  const again = new LSPClient({ endpoint: second.url, apiKey: tenantKey.keyId, apiSecret: tenantKey.secret });
  const [charge] = (await again.getLedger()).entries.filter((e) => e.kind === 'channel_fee');
  assert.ok(charge);
  const failed = await h.waitFor(
    async () => {
      const s = await again.getChannelStatus(charge.reference);
      return s.status === 'failed' ? s : undefined;
    },
    { what: 'the interrupted channel to be refunded' },
  );
  assert.match(failed.failure ?? '', /interrupted/);
  assert.equal((await again.getBalance()).balance, 20_000, 'refunded in full');
  await h.waitFor(async () => (await net.lsp.lnd.listLeases(within())).length === 0, {
    what: 'the inputs to be released',
  });
  await h.mine(1);
  assert.equal(await lspChannelsWith(bob.pubkey), channelsBefore, 'no channel for it');
  const audit = await second.admin.admin.audit();
  assert.deepEqual(audit.discrepancies, []);
  await second.kill();
});
