/**
 * Story: the database crashes under the LSP in the middle of its flows, and comes back.
 *
 * The LSP runs on a Postgres of the story's own (Debian's server binaries, a cluster made by
 * `initdb` in a temporary directory). At an exact moment of each flow, right after LND answered
 * and before the server heard the answer, every Postgres process is SIGKILLed: when the funder
 * has made a channel sale's funding transaction (`fundPsbt`), when LND hands a JIT payment's
 * HTLC to the interceptor, when LND has paid a tenant's invoice (`sendPayment`), and when a
 * hosted node's lnd has been started (the driver's `create`); the JIT payment's outage lasts
 * longer than the server's job leases, so every job stops and starts again. Customers keep
 * calling the server all along. While the database is down `/healthz` answers 503 naming it, and a customer's call
 * is a 503 `database_unavailable`, never a 500; the process survives every dropped connection.
 * Postgres is restarted (crash recovery), and each flow then ends as a customer sees it through
 * the SDK, raw HTTP or LSPS peer messages: completed or refunded, charged exactly once. The
 * audit is clean after each.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { msat, type NodeOrchestrator, sat } from '@blgv/core';
import { extraFee } from '@blgv/lnd';
import { type LSPClient, LspApiError, lsps2OpeningFee } from '@blgv/lsp-client';
import type { Lsps2BuyResult, Lsps2Info } from '@blgv/protocol';
import {
  type HostingLsp,
  JitWallet,
  type Network,
  startHostingLsp,
  startNetwork,
  startTestPostgres,
  type TestLsp,
  type TestPostgres,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { CallTraps, LightningTraps } from './support/call-traps.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';

/** Rejections nobody handled: each would have ended a server process (Node's default). */
const unhandled: unknown[] = [];
process.on('unhandledRejection', (err) => unhandled.push(err));
let pg: TestPostgres;
let net: Network;
let hosting: HostingLsp;
let lsp: TestLsp;
let tenant: LSPClient;
let carol: JitWallet;
const lightning = new LightningTraps();
const driver = new CallTraps<NodeOrchestrator>();
const streams = new AbortController();

before(async () => {
  pg = await startTestPostgres();
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  const { h, alice, lsp: node, bob } = net;
  await h.openChannel(alice, node, sat(3_000_000));
  await h.openChannel(node, bob, sat(1_000_000), { push: sat(0) });
  hosting = await startHostingLsp(
    net,
    {},
    // Short leases: a database down for a few seconds outlasts them (every job stops). The
    // customers here call in a tight loop, thousands of requests a window, to meet the outage
    // wherever it lands: the API's request limit (its own test) is off.
    { channels: { batchWindowMs: 100 }, jobs: { leaseSeconds: 3 }, auth: { rateLimit: { max: 0 } } },
    {
      databaseUrl: pg.url,
      wrap: (l) => lightning.wrap(l),
      wrapOrchestrator: (o) => driver.wrap(o),
    },
  );
  lsp = hosting.lsp;
  tenant = (await lsp.newTenant('crash-co')).client;
  await topUp(h, alice, tenant, 500_000);
  carol = await JitWallet.start(h, await h.newNode('carol', { lsps2Client: true }), node, streams.signal);
});
after(async () => {
  streams.abort();
  await hosting?.stop();
  await net?.h.stop();
  await pg?.stop();
});

/** `/healthz` as an operator's probe reads it. */
async function health(): Promise<{ status: number; body: HealthBody }> {
  const res = await fetch(`${lsp.url}/healthz`, { signal: within(10_000) });
  return { status: res.status, body: (await res.json()) as HealthBody };
}
interface HealthBody {
  status: string;
  lightning: { ok: boolean };
  database: { ok: boolean; kind: string; error?: string };
}

/**
 * Customers calling all along (signed reads and health probes, a few at a time): every answer's
 * status is counted; none may be a 500.
 */
function customersCalling(): { stop(): Promise<Map<number, number>> } {
  const statuses = new Map<number, number>();
  const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  const done = new AbortController();
  const worker = async (i: number) => {
    while (!done.signal.aborted) {
      if (i % 2 === 0) {
        await tenant.getBalance().then(
          () => count(200),
          (e: unknown) => count(e instanceof LspApiError ? e.status : -1),
        );
      } else {
        await fetch(`${lsp.url}/healthz`, { signal: within(10_000) }).then(
          async (r) => {
            await r.arrayBuffer();
            count(r.status);
          },
          () => count(-1),
        );
      }
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  return {
    async stop() {
      done.abort();
      await Promise.all(workers);
      return statuses;
    },
  };
}

/**
 * After the trap killed the database: `/healthz` is a 503 naming the database (LND is fine) and
 * a customer's call a 503 `database_unavailable`; `meanwhile` runs while it is still down; then
 * Postgres is restarted and `/healthz` comes back to 200. The customers calling meanwhile never
 * got a 500, and no rejection went unhandled.
 */
async function outage(
  hit: Promise<void>,
  calling: { stop(): Promise<Map<number, number>> },
  meanwhile: () => Promise<unknown> = async () => {},
): Promise<void> {
  await hit;
  assert.ok(pg.down);
  const down = await health();
  assert.equal(down.status, 503, 'unavailable while the database is down');
  assert.equal(down.body.status, 'unavailable');
  assert.equal(down.body.database.ok, false, 'the database is named');
  assert.equal(down.body.database.kind, 'postgres');
  assert.ok(down.body.database.error, 'with why');
  assert.equal(down.body.lightning.ok, true, 'LND is not blamed');
  const refused = await tenant.getBalance().then(
    () => assert.fail('a read cannot be answered without the database'),
    (e: LspApiError) => e,
  );
  assert.equal(refused.status, 503);
  assert.equal(refused.code, 'database_unavailable');
  await meanwhile();

  await pg.restart();
  await net.h.waitFor(async () => (await health()).status === 200, {
    what: '/healthz to answer 200 once the database is back',
  });
  const statuses = await calling.stop();
  assert.deepEqual(unhandled, [], 'no rejection went unhandled: the process would have ended');
  assert.ok((statuses.get(503) ?? 0) > 0, 'the customers met the outage');
  assert.deepEqual(
    [...statuses.keys()].filter((s) => s !== 200 && s !== 503),
    [],
    `only 200s and 503s: ${JSON.stringify([...statuses])}`,
  );
}

/** The sum of the tenant's ledger entries about `subject` (a channel, a payment hash, a node). */
async function chargedFor(subject: string): Promise<number> {
  const { entries } = await tenant.getLedger({ limit: 200 });
  return entries.filter((e) => e.reference.includes(subject)).reduce((sum, e) => sum + e.amount, 0);
}

test('a channel sale whose database dies when its funding transaction is made: cancelled and refunded once; bought again, it opens', async () => {
  const { h, bob } = net;
  const order = { clientPubkey: bob.pubkey, channelSize: 250_000, feeRate: 2 };
  const quote = await tenant.quoteChannel(order);
  const start = (await tenant.getBalance()).balance;
  const key = `sale-${randomBytes(4).toString('hex')}`;
  const calling = customersCalling();
  const { hit } = lightning.after('fundPsbt', () => pg.kill());
  const answer = tenant.requestChannel(order, { idempotencyKey: key }).then(
    (r) => r,
    (e: LspApiError) => e,
  );
  await outage(hit, calling);
  const first = await answer;
  // Answered while the database was down: a 503. Or, when the cancelling of the attempt (which
  // waits for the database) ended before the answer left: the sale failed and was refunded.
  if (first instanceof LspApiError && first.status !== 503) {
    assert.equal(first.code, 'lightning_rejected', first.message);
    assert.match(first.message, /everything charged was refunded/);
  }

  // Before the commit point nothing was signed: the attempt is cancelled and the buyer, asking
  // again under its key, finds its request failed and refunded.
  const sale = await tenant.requestChannel(order, { idempotencyKey: key });
  const failed = await h.waitFor(
    async () => {
      const s = await tenant.getChannelStatus(sale.channelId);
      return s.status !== 'opening' ? s : undefined;
    },
    { what: 'the interrupted sale to end' },
  );
  assert.equal(failed.status, 'failed', 'killed before its commit point, the open is cancelled');
  assert.equal(failed.fundingTxid, null);
  assert.equal(await chargedFor(sale.channelId), 0, 'refunded in full');
  assert.equal((await tenant.getBalance()).balance, start);

  // Bought again: the coins the cancelled attempt had leased fund it.
  const again = await tenant.requestChannel(order, { idempotencyKey: `${key}-again` });
  assert.equal(again.status, 'pending', again.failure ?? '');
  await h.mine(1);
  await h.waitFor(async () => (await tenant.getChannelStatus(again.channelId)).status === 'open', {
    what: 'the channel bought again to open',
  });
  assert.equal(
    (await bob.lnd.listChannels(within())).filter((c) => c.channelPoint.txid === again.fundingTxid).length,
    1,
    'one channel',
  );
  assert.equal(await chargedFor(again.channelId), -quote.total, 'charged the quote, once');
  assert.equal((await tenant.getBalance()).balance, start - quote.total);
  await assertCleanAudit(lsp);
});

test('a tenant payment whose database dies once LND has paid it: succeeded, charged once', async () => {
  const { h, bob } = net;
  const invoice = await bob.lnd.addInvoice({ amount: msat(30_000_000n), memo: 'withdrawal' }, within());
  const start = (await tenant.getBalance()).balance;
  const calling = customersCalling();
  const { hit } = lightning.after('sendPayment', () => pg.kill());
  const answer = tenant.sendPayment({ invoice: invoice.paymentRequest }).then(
    (r) => r,
    (e: LspApiError) => e,
  );
  await outage(hit, calling);
  const first = await answer;
  if (first instanceof LspApiError) assert.equal(first.status, 503, first.message);

  const final = await h.waitFor(
    async () => {
      const p = await tenant.getPayment(invoice.paymentHash);
      return p.status !== 'pending' ? p : undefined;
    },
    { what: 'the payment to be recorded as LND reports it', timeoutMs: 120_000 },
  );
  assert.equal(final.status, 'succeeded');
  assert.equal((await bob.lnd.lookupInvoice(invoice.paymentHash, within())).state, 'settled');
  // Paid again by a customer unsure of the first answer: the first payment, nothing charged.
  const again = await tenant.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(again.status, 'succeeded');
  assert.equal(await chargedFor(invoice.paymentHash), -final.charged.total, 'charged once');
  assert.equal((await tenant.getBalance()).balance, start - final.charged.total);
  await assertCleanAudit(lsp);
});

test('a JIT payment whose database dies when its HTLC is intercepted, for longer than the job leases: held until it is back, then delivered less the fee', async () => {
  const { h, alice } = net;
  await h.mine(1); // the LSP funds channels from confirmed coins: confirm the last funding's change
  const wallet = await LspsPeerClient.connect(h, carol.node, net.lsp.pubkey);
  try {
    const info = await wallet.call<Lsps2Info>('lsps2.get_info', {});
    const params = info.result?.opening_fee_params_menu[0];
    assert.ok(params, JSON.stringify(info.error));
    const bought = await wallet.call<Lsps2BuyResult>('lsps2.buy', { opening_fee_params: params });
    assert.ok(bought.result, JSON.stringify(bought.error));
    const amount = msat(60_000_000n);
    const fee = lsps2OpeningFee(params, amount);
    assert.ok(fee !== undefined);
    const invoice = await carol.invoice(bought.result, amount, msat(fee));
    const calling = customersCalling();
    const { hit } = lightning.htlcIntercepted(() => pg.kill());
    const paying = alice.lnd.sendPayment(
      { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 120, maxParts: 1 },
      within(180_000),
    );
    // Down for longer than the server's leases last: it stops every job (its peers' LSPS
    // requests go unanswered; LND keeps the HTLC) and takes them up again once it is back.
    const answers = () =>
      wallet.call('lsps0.list_protocols', {}, 2_000).then(
        () => true,
        () => false,
      );
    await outage(hit, calling, () =>
      h.waitFor(async () => !(await answers()), {
        what: 'the LSP to stop its jobs, its leases not renewed',
        timeoutMs: 30_000,
      }),
    );
    await h.waitFor(answers, { what: 'the LSP to serve its peers again' });
    const paid = await paying;
    const channels = (await net.lsp.lnd.listChannels(within())).filter(
      (c) => c.remotePubkey === carol.node.pubkey,
    );
    const received = await carol.node.lnd.lookupInvoice(invoice.paymentHash, within());
    // The HTLC was held while the database was down, then handled: the channel opened.
    assert.equal(paid.status, 'succeeded', paid.status === 'failed' ? paid.reason : '');
    assert.equal(received.state, 'settled');
    const seen = carol.htlcsOf(invoice.paymentHash);
    const carried = seen.reduce((sum, x) => sum + x.htlc.amount, 0n);
    const claimed = seen.reduce((sum, x) => sum + (extraFee(x.htlc.wireCustomRecords) ?? 0n), 0n);
    assert.equal(carried, amount - BigInt(fee), 'carol got the payment less the opening fee');
    assert.equal(claimed, BigInt(fee), 'the fee was taken once');
    assert.equal(channels.length, 1, 'one channel');
  } finally {
    wallet.close();
  }
  await assertCleanAudit(lsp);
});

test('a node creation whose database dies once its lnd is started: running or refunded, charged once', async () => {
  const config = { alias: 'crash-node' };
  const quote = await tenant.nodes.quote(config);
  const start = (await tenant.getBalance()).balance;
  const key = `node-${randomBytes(4).toString('hex')}`;
  const calling = customersCalling();
  const { hit } = driver.after('create', () => pg.kill());
  const answer = tenant.nodes.create(config, { idempotencyKey: key }).then(
    (r) => r,
    (e: LspApiError) => e,
  );
  await outage(hit, calling);
  const first = await answer;
  if (first instanceof LspApiError) assert.equal(first.status, 503, first.message);

  // The tenant asks again under its key until the creation has ended.
  const node = await net.h.waitFor(
    async () => {
      const n = await tenant.nodes.create(config, { idempotencyKey: key });
      return n.status === 'creating' ? undefined : n;
    },
    { what: 'the creation to end', timeoutMs: 150_000 },
  );
  assert.equal((await tenant.nodes.list()).nodes.length, 1, 'one node');
  if (node.status === 'running') {
    assert.equal(node.seed?.length, 24, 'its seed, shown to the repeat');
    assert.equal(await chargedFor(node.nodeId), -quote.total, 'the first month, once');
    assert.equal((await tenant.getBalance()).balance, start - quote.total);
  } else {
    assert.equal(node.status, 'failed');
    assert.equal(await chargedFor(node.nodeId), 0, 'refunded');
    assert.equal((await tenant.getBalance()).balance, start);
  }
  await assertCleanAudit(lsp);
});
