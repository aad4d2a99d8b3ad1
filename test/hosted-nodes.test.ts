/**
 * Hosted nodes: a tenant creates an LND of its own with one inbound channel from the LSP, and
 * uses it only through what the LSP handed back (endpoint, macaroons, TLS certificate, gRPC
 * address). The node is paid for, kept alive, isolated from other tenants, not stopped while an
 * HTLC is in flight at it, and suspended when its month is not paid. Its payment fees are billed from the LSP's own record of what it sent,
 * whatever the tenant deletes, a fee the balance cannot cover is a debt the next top-up pays
 * first, and each of its macaroons can be revoked alone.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { HostedNodeResponse } from '@blgv/protocol';
import {
  channelActive,
  type HostingLsp,
  type Network,
  nodeLncli,
  nodePays,
  nodeRest,
  payTopup,
  payUntilSucceeded,
  startHostingLsp,
  startNetwork,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

const ctx = { net: undefined as unknown as Network };
let hosting: HostingLsp;
let tenant: LSPClient;
let node: HostedNodeResponse;
const MONTH = 50_000;

before(async () => {
  ctx.net = await startNetwork();
  const { h, alice, lsp } = ctx.net;
  // A debt unpaid for 3 s suspends the tenant's nodes (months last 30 days here).
  hosting = await startHostingLsp(ctx.net, { gracePeriodSeconds: 3 });
  tenant = (await hosting.lsp.newTenant('merchant')).client;
  // alice pays through the LSP: a channel alice -> lsp.
  await h.openChannel(alice, lsp, sat(3_000_000));
  await topUp(h, alice, tenant, 1_000_000);
});

after(async () => {
  await hosting?.stop();
  await ctx.net?.h.stop();
});

test('a tenant creates a node with a 500,000 sat inbound channel and uses it with what it was given', async () => {
  const { h, alice } = ctx.net;
  const config = {
    alias: 'merchant-1',
    color: '#ff9900',
    channels: [{ capacity: 500_000 }],
    autopilot: { enabled: false },
  };
  const quote = await tenant.nodes.quote(config);
  assert.equal(quote.monthlyFee, MONTH);
  assert.equal(quote.channels.length, 1);
  const before = (await tenant.getBalance()).balance;
  node = await tenant.nodes.create(config);
  assert.equal(node.status, 'running');
  assert.match(node.pubkey ?? '', /^0[23][0-9a-f]{64}$/);
  assert.equal(node.seed?.length, 24, 'the seed is shown at creation');
  assert.equal((await tenant.nodes.get(node.nodeId)).seed, undefined, 'and never again');
  assert.equal((await tenant.getBalance()).balance, before - quote.total, 'charged exactly the quote');
  assert.ok(node.macaroon && node.tlsCert && node.grpcHost && node.lndconnect?.startsWith('lndconnect://'));
  assert.equal(node.endpoint, `${hosting.lsp.url}/nodes/${node.nodeId}`);

  // Only what the response returned: the endpoint and the macaroon.
  const info = await nodeRest<{ identity_pubkey: string; alias: string }>(
    node.endpoint,
    node.macaroon,
    'GET',
    '/v1/getinfo',
  );
  assert.equal(info.status, 200);
  assert.equal(info.body.identity_pubkey, node.pubkey);
  assert.equal(info.body.alias, 'merchant-1');

  // Six blocks: the channel is announced, so alice finds a route to the node.
  await h.mine(6);
  await h.waitFor(() => channelActive(node.endpoint, node.macaroon ?? ''), {
    what: 'the inbound channel active',
    timeoutMs: 90_000,
  });
  const invoice = await nodeRest<{ payment_request: string }>(
    node.endpoint,
    node.macaroon,
    'POST',
    '/v1/invoices',
    {
      value: '12345',
      memo: 'first sale',
    },
  );
  assert.equal(invoice.status, 200);
  const paid = await payUntilSucceeded(
    h,
    alice,
    invoice.body.payment_request,
    'alice paying the hosted node',
  );
  assert.equal(paid.status, 'succeeded');
  await h.waitFor(
    async () => {
      const r = await nodeRest<{ local_balance?: { sat: string } }>(
        node.endpoint,
        node.macaroon ?? '',
        'GET',
        '/v1/balance/channels',
      );
      return r.body.local_balance?.sat === '12345';
    },
    { what: "the node's channel balance to show the 12,345 sat received" },
  );

  // lncli with the returned certificate and macaroon at the returned gRPC address.
  const out = nodeLncli(node, node.macaroon ?? '', ['getinfo']);
  assert.equal((JSON.parse(out) as { identity_pubkey: string }).identity_pubkey, node.pubkey);
});

test('a node with an HTLC in flight is not stopped until it resolves: offline, the node could lose it', async () => {
  const { h, alice } = ctx.net;
  const mac = node.macaroon ?? '';
  // The tenant holds an invoice on its node; alice pays it, and the HTLC waits at the node.
  const preimage = randomBytes(32);
  const hash = createHash('sha256').update(preimage).digest();
  const hold = await nodeRest<{ payment_request: string }>(node.endpoint, mac, 'POST', '/v2/invoices/hodl', {
    hash: hash.toString('base64'),
    value: '2000',
  });
  assert.equal(hold.status, 200, JSON.stringify(hold.body));
  const paying = alice.lnd.sendPayment(
    { paymentRequest: hold.body.payment_request, feeLimit: msat(10_000), timeoutSeconds: 60 },
    within(90_000),
  );
  const held = async () => {
    const r = await nodeRest<{ channels?: { pending_htlcs?: unknown[] }[] }>(
      node.endpoint,
      mac,
      'GET',
      '/v1/channels',
    );
    return (r.body.channels ?? []).reduce((n, c) => n + (c.pending_htlcs ?? []).length, 0);
  };
  await h.waitFor(async () => (await held()) === 1, { what: 'the HTLC held at the node' });

  const refused = await tenant.nodes.stop(node.nodeId).then(
    () => assert.fail('stopped with an HTLC in flight'),
    (err: { status?: number; message?: string; details?: Record<string, unknown> }) => err,
  );
  assert.equal(refused.status, 409, refused.message);
  assert.match(refused.message ?? '', /1 HTLC in flight/);
  assert.equal(refused.details?.htlcsInFlight, 1);
  assert.equal((await tenant.nodes.get(node.nodeId)).status, 'running', 'still running');

  // The tenant settles its invoice: alice has paid, nothing is in flight, the stop goes through.
  const settled = await nodeRest(node.endpoint, mac, 'POST', '/v2/invoices/settle', {
    preimage: preimage.toString('base64'),
  });
  assert.equal(settled.status, 200, JSON.stringify(settled.body));
  assert.equal((await paying).status, 'succeeded');
  await h.waitFor(async () => (await held()) === 0, { what: 'the HTLC resolved at the node' });
  assert.equal((await tenant.nodes.stop(node.nodeId)).status, 'stopped');
  assert.equal((await tenant.nodes.start(node.nodeId)).status, 'running');
  await h.waitFor(() => channelActive(node.endpoint, mac), {
    what: 'the channel active again',
    timeoutMs: 90_000,
  });
});

test('the customer macaroon cannot bake macaroons or stop the daemon; the read-only one cannot pay; other tenants are strangers', async () => {
  const mac = node.macaroon ?? '';
  const bake = await nodeRest(node.endpoint, mac, 'POST', '/v1/macaroon', {
    permissions: [{ entity: 'info', action: 'read' }],
  });
  assert.notEqual(bake.status, 200);
  assert.match(JSON.stringify(bake.body), /permission denied/);
  const stop = await nodeRest(node.endpoint, mac, 'POST', '/v1/stop', {});
  assert.notEqual(stop.status, 200);
  assert.match(JSON.stringify(stop.body), /permission denied/);
  const readOnly = node.readOnlyMacaroon ?? '';
  assert.equal((await nodeRest(node.endpoint, readOnly, 'GET', '/v1/getinfo')).status, 200);
  const pay = await nodeRest(node.endpoint, readOnly, 'POST', '/v1/invoices', { value: '1' });
  assert.notEqual(pay.status, 200);
  assert.match(JSON.stringify(pay.body), /permission denied/);
  // A macaroon baked with chosen permissions, within the customer's.
  const baked = await tenant.nodes.bakeMacaroon(node.nodeId, [{ entity: 'info', action: 'read' }]);
  assert.equal((await nodeRest(node.endpoint, baked.macaroon, 'GET', '/v1/getinfo')).status, 200);
  await assert.rejects(
    tenant.nodes.bakeMacaroon(node.nodeId, [{ entity: 'info', action: 'write' }]),
    /info:write/,
  );

  const stranger = (await hosting.lsp.newTenant('stranger')).client;
  await assert.rejects(stranger.nodes.get(node.nodeId), (err: { status?: number }) => err.status === 404);
  await topUp(ctx.net.h, ctx.net.alice, stranger, 200_000);
  const theirs = await stranger.nodes.create({ alias: 'stranger-node' });
  const refused = await nodeRest(node.endpoint, theirs.macaroon ?? '', 'GET', '/v1/getinfo');
  assert.notEqual(refused.status, 200, "another node's macaroon is refused by this node");
});

test('a killed node is restarted and unlocked by itself', async () => {
  const { h } = ctx.net;
  const pid = hosting.pidOf(node.nodeId);
  process.kill(pid, 'SIGKILL');
  await h.waitFor(
    async () => {
      const r = await nodeRest(node.endpoint, node.macaroon ?? '', 'GET', '/v1/getinfo').catch(() => ({
        status: 0,
      }));
      return r.status === 200 && hosting.pidOf(node.nodeId) !== pid;
    },
    { what: 'the node running and unlocked again', timeoutMs: 120_000 },
  );
  await h.waitFor(() => channelActive(node.endpoint, node.macaroon ?? ''), {
    what: 'the channel active again',
    timeoutMs: 90_000,
  });

  assert.equal((await tenant.nodes.get(node.nodeId)).status, 'running');
});

test('each payment the node sends is billed its transaction fee once, each month exactly the monthly fee; audit clean', async () => {
  const { h, alice } = ctx.net;
  // Each payment the node sends costs the schedule's transaction fee.
  const invoice = await alice.lnd.addInvoice(
    { amount: msat(2_000_000), memo: 'from the hosted node' },
    within(),
  );
  // Router's SendPaymentV2 answers with a stream of updates: the proxy streams it through.
  const res = await fetch(`${node.endpoint}/v2/router/send`, {
    method: 'POST',
    headers: { 'Grpc-Metadata-macaroon': node.macaroon ?? '', 'content-type': 'application/json' },
    body: JSON.stringify({
      payment_request: invoice.paymentRequest,
      timeout_seconds: 30,
      fee_limit_sat: '1000',
    }),
    signal: within(60_000),
  });
  assert.equal(res.status, 200);
  const updates = (await res.text())
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { result?: { status: string } }).result?.status);
  assert.ok(updates.length >= 2, `several updates streamed (${updates.join(', ')})`);
  assert.equal(updates.at(-1), 'SUCCEEDED');
  await h.waitFor(
    async () => (await tenant.getLedger()).entries.some((e) => e.kind === 'hosting_transaction_fee'),
    { what: 'the transaction fee billed' },
  );
  const ledger = (await tenant.getLedger()).entries;
  const txFees = ledger.filter((e) => e.kind === 'hosting_transaction_fee');
  assert.deepEqual(
    txFees.map((e) => e.amount),
    [-100],
    'one payment, one fee of 100 sat',
  );
  const months = ledger.filter((e) => e.kind === 'hosting_monthly_fee');
  assert.ok(months.length >= 1 && months.every((e) => e.amount === -MONTH));
  await assertCleanAudit(hosting.lsp);
});

test('a tenant pays from its node, deletes the payment with its own macaroon, and is billed the fee anyway; a fee the balance cannot cover is a debt paid by the next top-up', async () => {
  const { h, alice, lsp } = ctx.net;
  const mac = node.macaroon ?? '';
  const invoice = await alice.lnd.addInvoice(
    { amount: msat(3_000_000), memo: 'paid, then erased' },
    within(),
  );
  const paid = await nodePays(node.endpoint, mac, invoice.paymentRequest);
  assert.equal(paid.status, 'SUCCEEDED');
  // The customer macaroon holds offchain:write: it erases the node's payment history.
  const erased = await nodeRest(node.endpoint, mac, 'DELETE', '/v1/payments?all_payments=true');
  assert.equal(erased.status, 200, JSON.stringify(erased.body));
  const listed = await nodeRest<{ payments?: unknown[] }>(
    node.endpoint,
    mac,
    'GET',
    '/v1/payments?include_incomplete=true',
  );
  assert.deepEqual(listed.body.payments ?? [], [], 'the node no longer lists any payment');
  const fee = await h.waitFor(
    async () =>
      (await tenant.getLedger()).entries.find(
        (e) => e.reference === `hosting:${node.nodeId}:payment:${paid.paymentIndex}`,
      ),
    { what: 'the erased payment billed its fee' },
  );
  assert.equal(fee.kind, 'hosting_transaction_fee');
  assert.equal(fee.amount, -100);
  assert.equal((await tenant.getBalance()).debt, 0, 'a covered fee is charged, not owed');

  // A tenant whose whole balance went into its node (a channel with 10,000 sat pushed to it).
  const debtor = (await hosting.lsp.newTenant('debtor')).client;
  const config = { alias: 'debtor', channels: [{ capacity: 100_000, pushAmount: 10_000 }] };
  await topUp(h, alice, debtor, (await debtor.nodes.quote(config)).total);
  const theirs = await debtor.nodes.create(config);
  assert.deepEqual(
    await debtor.getBalance().then((b) => [b.balance, b.debt, b.debtSince]),
    [0, 0, null],
    'nothing left, nothing owed',
  );
  await h.mine(6);
  await h.waitFor(() => channelActive(theirs.endpoint, theirs.macaroon ?? ''), {
    what: "the debtor node's channel active",
    timeoutMs: 90_000,
  });
  const lspInvoice = await lsp.lnd.addInvoice({ amount: msat(1_000_000), memo: 'from the debtor' }, within());
  const owedPayment = await h.waitFor(
    async () => {
      const r = await nodePays(theirs.endpoint, theirs.macaroon ?? '', lspInvoice.paymentRequest);
      return r.status === 'SUCCEEDED' ? r : undefined;
    },
    { what: 'the debtor node paying the LSP', timeoutMs: 60_000 },
  );
  const owing = await h.waitFor(
    async () => {
      const b = await debtor.getBalance();
      return b.debt > 0 ? b : undefined;
    },
    { what: 'the uncovered fee owed' },
  );
  assert.equal(owing.debt, 100);
  assert.equal(owing.balance, 0);
  assert.ok(owing.debtSince);
  assert.ok(
    !(await debtor.getLedger()).entries.some((e) => e.kind === 'hosting_transaction_fee'),
    'owed, not yet in the ledger',
  );
  // Every charge is refused while the debt is open; the 402 names it.
  await assert.rejects(
    debtor.nodes.create({ alias: 'second' }),
    (err: { status?: number; details?: { debt?: number } }) =>
      err.status === 402 && err.details?.debt === 100,
  );
  // Unpaid past the grace period, the debt suspends the node like an unpaid month.
  await h.waitFor(async () => (await debtor.nodes.get(theirs.nodeId)).status === 'suspended', {
    what: 'the debtor node suspended',
    timeoutMs: 30_000,
  });

  // The next top-up pays the debt first: the fee enters the ledger, the node runs again. (alice
  // pays it while following her own payment stream: the port the LSP follows nodes with.)
  const following = new AbortController();
  const connected = Promise.withResolvers<void>();
  const stream = alice.lnd
    .trackPayments({
      signal: AbortSignal.any([following.signal, within(60_000)]),
      onConnected: () => connected.resolve(),
    })
    [Symbol.asyncIterator]();
  await connected.promise;
  const topup = await debtor.topUp(5_000);
  await payTopup(h, alice, debtor, topup.paymentRequest, 5_000);
  const updates: string[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) break;
    if (next.value.paymentHash !== topup.paymentHash) continue;
    assert.ok(next.value.paymentIndex > 0n, 'with its payment index');
    updates.push(next.value.status);
    if (next.value.status !== 'in_flight') break;
  }
  following.abort();
  assert.equal(updates[0], 'in_flight', 'seen as it started');
  assert.equal(updates.at(-1), 'succeeded', 'and as it ended');
  assert.deepEqual(await debtor.getBalance().then((b) => [b.balance, b.debt, b.debtSince]), [4_900, 0, null]);
  const ledger = (await debtor.getLedger()).entries;
  const paidFee = ledger.find(
    (e) => e.reference === `hosting:${theirs.nodeId}:payment:${owedPayment.paymentIndex}`,
  );
  assert.equal(paidFee?.kind, 'hosting_transaction_fee');
  assert.equal(paidFee?.amount, -100);
  await h.waitFor(async () => (await debtor.nodes.get(theirs.nodeId)).status === 'running', {
    what: 'the debtor node running again once nothing is owed',
  });
  await assertCleanAudit(hosting.lsp);
});

test("a revoked macaroon gets LND's permission error; a second one still works; the LSP's admin calls still work", async () => {
  const read = [
    { entity: 'info', action: 'read' },
    { entity: 'offchain', action: 'read' },
  ] as const;
  const first = await tenant.nodes.bakeMacaroon(node.nodeId, [...read]);
  const second = await tenant.nodes.bakeMacaroon(node.nodeId, [...read]);
  assert.match(first.rootKeyId, /^[1-9][0-9]*$/);
  assert.notEqual(first.rootKeyId, second.rootKeyId, 'each under a root key of its own');
  for (const m of [first, second])
    assert.equal((await nodeRest(node.endpoint, m.macaroon, 'GET', '/v1/getinfo')).status, 200);

  const listed = (await tenant.nodes.macaroons(node.nodeId)).macaroons;
  assert.deepEqual(
    listed.slice(0, 2).map((m) => [m.kind, m.rootKeyId]),
    [
      ['customer', node.macaroonRootKeyId],
      ['read_only', node.readOnlyMacaroonRootKeyId],
    ],
  );
  assert.ok(listed.some((m) => m.rootKeyId === first.rootKeyId && m.kind === 'extra' && !m.revokedAt));
  assert.ok(!JSON.stringify(listed).includes(first.macaroon), 'the list never carries a macaroon');

  const revoked = await tenant.nodes.revokeMacaroon(node.nodeId, first.rootKeyId);
  assert.ok(revoked.revokedAt);
  const refused = await nodeRest(node.endpoint, first.macaroon, 'GET', '/v1/getinfo');
  assert.notEqual(refused.status, 200);
  assert.match(JSON.stringify(refused.body), new RegExp(`root key with id ${first.rootKeyId} doesn't exist`));
  assert.equal((await nodeRest(node.endpoint, second.macaroon, 'GET', '/v1/getinfo')).status, 200);
  assert.equal((await nodeRest(node.endpoint, node.macaroon ?? '', 'GET', '/v1/getinfo')).status, 200);

  // The read-only macaroon baked at creation is revoked the same way; the node shows it gone.
  await tenant.nodes.revokeMacaroon(node.nodeId, node.readOnlyMacaroonRootKeyId ?? '');
  const now = await tenant.nodes.get(node.nodeId);
  assert.equal(now.readOnlyMacaroon, null);
  assert.equal(now.readOnlyMacaroonRootKeyId, null);
  assert.equal(now.macaroon, node.macaroon, 'the customer macaroon stays');
  assert.notEqual(
    (await nodeRest(node.endpoint, node.readOnlyMacaroon ?? '', 'GET', '/v1/getinfo')).status,
    200,
  );

  // The LSP's own access (the admin macaroon, root key 0) is untouched: it bakes another one,
  // and the node's backup and metrics are there.
  const third = await tenant.nodes.bakeMacaroon(node.nodeId, [{ entity: 'info', action: 'read' }]);
  assert.equal((await nodeRest(node.endpoint, third.macaroon, 'GET', '/v1/getinfo')).status, 200);
  assert.ok((await tenant.nodes.backup(node.nodeId)).channelCount >= 1);
  // The monitor reads the node with the admin macaroon after the revocations.
  const revokedAt = Date.now();
  const measured = await ctx.net.h.waitFor(
    async () => {
      const m = await tenant.nodes.metrics(node.nodeId);
      return m.measuredAt && Date.parse(m.measuredAt) > revokedAt ? m : undefined;
    },
    { what: 'the monitor reading the node after the revocations', timeoutMs: 60_000 },
  );
  assert.ok(measured.channelCount >= 1);

  // Root key 0 is the LSP's: refused naming the field; one not this node's: 404.
  await assert.rejects(
    tenant.nodes.revokeMacaroon(node.nodeId, '0'),
    (err: { status?: number; message?: string }) => err.status === 400 && /rootKeyId/.test(err.message ?? ''),
  );
  await assert.rejects(
    tenant.nodes.revokeMacaroon(node.nodeId, '123'),
    (err: { status?: number }) => err.status === 404,
  );
  const stranger = (await hosting.lsp.newTenant('macaroon-stranger')).client;
  await assert.rejects(
    stranger.nodes.revokeMacaroon(node.nodeId, second.rootKeyId),
    (err: { status?: number }) => err.status === 404,
  );
  assert.equal((await nodeRest(node.endpoint, second.macaroon, 'GET', '/v1/getinfo')).status, 200);
  await assertCleanAudit(hosting.lsp);
});
