/**
 * Story: the LSP server process is killed (SIGKILL) while a JIT payment is between intercept and
 * forward. LND keeps holding the HTLC (`--requireinterceptor`); a new server process on the same
 * database picks it up from the stored state and either forwards it over the channel that was
 * opened or fails it back, and in no case opens a second channel. The LSP runs its default trust
 * model (`client_trusts_lsp`): a channel past its commit point has its funding withheld until the
 * wallet settles, and withdrawn if the payment is gone.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import { LSPClient, lsps2OpeningFee } from '@blgv/lsp-client';
import type { Lsps2BuyResult, Lsps2Info } from '@blgv/protocol';
import { type Database, openDatabase, sql } from '@blgv/store';
import { CLI, JitWallet, lspProcessEnv, type Network, startNetwork, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { assertEventsEndIn } from './support/events.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { forgetPaymentFailures } from './support/mission-control.ts';

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = `lsp_crash_${randomBytes(4).toString('hex')}`;
const dbUrl = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
const secretsKey = randomBytes(32).toString('hex');

let net: Network;
let admin: Database;
let server: ChildProcess | undefined;
/** The server's API and the admin key its first start printed. */
let api: { url: string; keyId?: string; secret?: string } = { url: '' };

/** An admin client of the running server (the key its first start printed). */
function adminClient(): LSPClient {
  assert.ok(api.keyId && api.secret, 'the first start printed an admin key');
  return new LSPClient({ endpoint: api.url, apiKey: api.keyId, apiSecret: api.secret });
}

/** Starts `blgv-lsp start` against the test network's LSP node and waits for its banner. */
async function startServer(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [CLI, 'start'], {
    env: lspProcessEnv(net.lsp, { databaseUrl: dbUrl, secretsKey }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  await net.h.waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`the server exited:\n${out}`);
      return out.includes('Press Ctrl-C to stop.');
    },
    { what: 'the server banner', timeoutMs: 60_000 },
  );
  api = {
    ...api,
    url: /API:\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '',
    ...(/key id:\s+(key_\S+)/.exec(out) ? { keyId: /key id:\s+(key_\S+)/.exec(out)?.[1] } : {}),
    ...(/secret:\s+(sk_\S+)/.exec(out) ? { secret: /secret:\s+(sk_\S+)/.exec(out)?.[1] } : {}),
  };
  return proc;
}

before(async () => {
  admin = await openDatabase({ kind: 'postgres', url: adminUrl });
  await sql.raw(`create database ${dbName}`).execute(admin.db);
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  await net.h.openChannel(net.alice, net.lsp, sat(1_000_000));
});
after(async () => {
  server?.kill('SIGKILL');
  await net?.h.stop();
  await sql.raw(`drop database if exists ${dbName} with (force)`).execute(admin.db);
  await admin?.close();
});

test('a server killed between intercept and forward leaves the payment whole and one channel at most', async (t) => {
  const { h, alice, lsp } = net;
  const streams = new AbortController();
  // A wallet that takes JIT channels and the fee deducted from its payment (the LSPS2 client).
  const carol = await JitWallet.start(
    h,
    await h.newNode('carol', { lsps2Client: true }),
    lsp,
    streams.signal,
  );
  const client = carol.node;
  server = await startServer();
  const wallet = new LspsPeerClient(client, lsp.pubkey);
  try {
    await h.waitFor(() => wallet.ready, { what: "the wallet's peer messages" });
    // The banner can come before the server's peer-message stream is up, and LND drops a message
    // no stream takes: asked again until it answers.
    const info = await h.waitFor(() => wallet.call<Lsps2Info>('lsps2.get_info', {}, 2_000), {
      what: 'the server answering peer messages',
      timeoutMs: 60_000,
    });
    const params = info.result?.opening_fee_params_menu[0];
    assert.ok(params);
    const bought = (await wallet.call<Lsps2BuyResult>('lsps2.buy', { opening_fee_params: params })).result;
    assert.ok(bought);
    const amount = msat(100_000_000);
    const fee = lsps2OpeningFee(params, amount);
    assert.ok(fee !== undefined);
    const invoice = await carol.invoice(bought, amount, msat(fee));
    const aliceBefore = await alice.lnd.channelBalance(within());
    const payment = alice.lnd.sendPayment(
      { paymentRequest: invoice.paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 120, maxParts: 1 },
      within(180_000),
    );

    // Kill the server the moment it has recorded the payment and begun to open the channel.
    const state = () => adminClient().admin.jitChannel(bought.jit_channel_scid);
    const caught = await h.waitFor(
      async () => {
        const s = (await state()).state;
        return s !== 'awaiting_payment' ? s : undefined;
      },
      { what: 'the JIT channel to leave awaiting_payment', intervalMs: 5 },
    );
    server.kill('SIGKILL');
    await new Promise((resolve) => server?.once('exit', resolve));
    const channelsAtKill = (await lsp.lnd.listChannels(within())).filter(
      (c) => c.remotePubkey === client.pubkey,
    );

    server = await startServer();
    let result = await payment;
    if (result.status === 'failed') {
      // The HTLC went back while no server ran. A channel published meanwhile waits for the
      // payment to come again (it was not forwarded: no fee earned): the payer tries again. One
      // whose funding was withheld (the LSP's default, client_trusts_lsp) is withdrawn instead.
      const settled = await h.waitFor(
        async () => {
          const s = (await state()).state;
          return ['opening', 'publishing', 'withheld', 'awaiting_preimage'].includes(s) ? undefined : s;
        },
        { what: 'the JIT channel out of its open' },
      );
      if (settled === 'forwarding') {
        // A wallet tries again later; here at once, its memory of the failure forgotten.
        await forgetPaymentFailures(alice);
        result = await alice.lnd.sendPayment(
          {
            paymentRequest: invoice.paymentRequest,
            feeLimit: msat(100_000),
            timeoutSeconds: 60,
            maxParts: 1,
          },
          within(90_000),
        );
        assert.equal(
          result.status,
          'succeeded',
          `paid over the channel opened for it: ${JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
      }
    }
    // Forwarded over the channel, or the open was given up before funding (the HTLC failed
    // back, the JIT scid waiting for a payment again, bLIP-52), or its withheld funding withdrawn.
    const final = await h.waitFor(
      async () => {
        const r = await state();
        if (r.state === 'completed') return 'completed';
        if (r.state === 'withdrawn' || (r.state === 'awaiting_payment' && r.failure)) return 'failed';
        return undefined;
      },
      { what: 'the JIT channel to be forwarded or given up' },
    );
    const toBob = [
      ...(await lsp.lnd.listChannels(within())).filter((c) => c.remotePubkey === client.pubkey),
      ...(await lsp.lnd.pendingChannels(within())).filter((c) => c.remotePubkey === client.pubkey),
    ];
    assert.ok(toBob.length <= 1, `at most one channel to the client (state caught at the kill: ${caught})`);
    assert.ok(channelsAtKill.length <= toBob.length);
    if (final === 'completed') {
      assert.equal(toBob.length, 1, 'forwarded over the one channel it opened');
      assert.equal(result.status, 'succeeded', 'completed only once the payment went through');
    } else {
      assert.equal(result.status, 'failed');
      await h.waitFor(
        async () =>
          (await alice.lnd.channelBalance(within())).local === aliceBefore.local ? true : undefined,
        { what: "the payer's money to return" },
      );
    }
    t.diagnostic(`killed in ${caught}; ended ${final}; payment ${result.status}`);
    // Every state the kill and the restart left has its event, and only those.
    const record = await state();
    const states = await assertEventsEndIn(adminClient(), 'jit_channel', record.id, record.state);
    assert.ok(states.includes(caught), `the state caught at the kill is in the log: ${states.join(' -> ')}`);
    await assertCleanAudit({ admin: adminClient() });
  } finally {
    wallet.close();
    streams.abort();
  }
});
