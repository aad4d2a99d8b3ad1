/**
 * Story: LSPS2 says no, and nothing is lost. A wallet (bob) asks the LSP for its fee menu over
 * peer messages and tries to buy with altered, expired or out-of-range terms: each `buy` is
 * refused with its bLIP-52 code. Payments that do not fit what was bought (too small, after
 * the fee params expired, or to a client that refuses the channel) are failed back by the
 * interceptor: the payer's money returns and no channel is opened.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ChannelOpenDecision, type LightningBackend, msat, parseScid, sat } from '@blgv/core';
import { LspApiError, LspsRpcError } from '@blgv/lsp-client';
import type { Lsps2BuyResult, Lsps2Info, OpeningFeeParams } from '@blgv/protocol';
import type { LndNode } from '@blgv/regtest';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import fc from 'fast-check';
import { assertCleanAudit } from './support/audit.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { forgetPaymentFailures } from './support/mission-control.ts';

/** bLIP-52 `max_client_to_self_delay` offered here. */
const MAX_CLIENT_TO_SELF_DELAY = 1500;

let net: Network;
let server: TestLsp;
let wallet: LspsPeerClient;
const streams = new AbortController();

before(async () => {
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  const { h, alice, lsp, bob } = net;
  // Fee params live 10 s here, so the expiry story does not wait long. The client's
  // to_self_delay is held below LND's own default bound (2016), so the LSP's bound is what acts.
  server = await startTestLsp(net, {
    file: { lsps2: { paramsValidSeconds: 10, maxClientToSelfDelay: MAX_CLIENT_TO_SELF_DELAY } },
  });
  await h.openChannel(alice, lsp, sat(1_000_000));
  await bob.lnd.connectPeer(lsp.pubkey, lsp.host, within());
  wallet = new LspsPeerClient(bob, lsp.pubkey);
  await h.waitFor(() => wallet.ready, { what: "the wallet's peer-message stream" });
});
after(async () => {
  streams.abort();
  wallet?.close();
  await server?.stop();
  await net?.h.stop();
});

async function menu(): Promise<OpeningFeeParams> {
  const info = await wallet.call<Lsps2Info>('lsps2.get_info', {});
  const params = info.result?.opening_fee_params_menu[0];
  assert.ok(params, `a fee menu: ${JSON.stringify(info)}`);
  return params;
}

async function buy(params: object): Promise<Lsps2BuyResult> {
  const r = await wallet.call<Lsps2BuyResult>('lsps2.buy', params);
  assert.ok(r.result, `bought: ${JSON.stringify(r.error)}`);
  return r.result;
}

/** An invoice from `client` whose only route is the JIT scid through the LSP. */
async function jitInvoice(client: LndNode, lsp: LndNode, bought: Lsps2BuyResult, amountMsat: bigint) {
  return client.lnd.addInvoice(
    {
      amount: msat(amountMsat),
      routeHints: [
        [
          {
            nodeId: lsp.pubkey,
            scid: parseScid(bought.jit_channel_scid),
            feeBaseMsat: msat(0),
            feeProportionalMillionths: 0,
            cltvExpiryDelta: bought.lsp_cltv_expiry_delta,
          },
        ],
      ],
    },
    within(),
  );
}

/** The JIT channel of a `buy` result, as the admin API shows it. */
function jitRecord(bought: Lsps2BuyResult) {
  return server.admin.admin.jitChannel(bought.jit_channel_scid);
}

/**
 * Pays and checks the payment failed with `failure` from the LSP (the route's second hop), the
 * payer's balance came back and no channel opened.
 */
async function assertFailsBack(
  payer: LndNode,
  paymentRequest: string,
  lspNode: LightningBackend,
  failure: 'unknown_next_peer' | 'temporary_channel_failure',
) {
  const { h, bob } = net;
  await forgetPaymentFailures(payer);
  const before = await payer.lnd.channelBalance(within());
  const channelsBefore = (await lspNode.listChannels(within())).length;
  const result = await payer.lnd.sendPayment(
    { paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 60, maxParts: 1 },
    within(90_000),
  );
  assert.ok(result.status === 'failed', `the payment failed: ${result.status}`);
  assert.deepEqual(
    result.attemptFailures.map((f) => `${f.code}@${f.sourceIndex}`),
    [`${failure}@1`],
    'the LSP failed the HTLC with the code bLIP-52 names',
  );
  await h.waitFor(
    async () => ((await payer.lnd.channelBalance(within())).local === before.local ? true : undefined),
    { what: "the payer's balance to return" },
  );
  assert.equal((await lspNode.listChannels(within())).length, channelsBefore, 'no channel was opened');
  assert.equal(
    (await lspNode.pendingChannels(within())).filter((c) => c.remotePubkey === bob.pubkey).length,
    0,
    'none is pending either',
  );
}

test('get_info lists LSPS2 and offers one fee entry priced from the schedule', async () => {
  const protocols = await wallet.call<{ protocols: number[] }>('lsps0.list_protocols', {});
  assert.deepEqual(protocols.result?.protocols, [1, 2, 5]);
  const params = await menu();
  assert.equal(
    params.min_fee_msat,
    '1330000',
    'the schedule base fee of 1,000 sat plus the channel on-chain cost (165 vB at 2 sat/vB)',
  );
  assert.equal(params.proportional, 1000);
  assert.match(params.promise, /^[0-9a-f]{64}$/);
  assert.ok(new Date(params.valid_until).getTime() > Date.now());
  const token = await wallet.call('lsps2.get_info', { token: 'not-ours' });
  assert.equal(token.error?.code, 200);
  await assertCleanAudit(server);
});

test('buy refuses altered params, out-of-range sizes and malformed input with their codes', async () => {
  const params = await menu();
  const cases: [string, object, number][] = [
    ['altered fee', { opening_fee_params: { ...params, min_fee_msat: '1' } }, 201],
    ['altered promise', { opening_fee_params: { ...params, promise: '00'.repeat(32) } }, 201],
    ['too small', { opening_fee_params: params, payment_size_msat: '9999999' }, 202],
    ['too large', { opening_fee_params: params, payment_size_msat: '1000000001' }, 203],
    ['fee eats the payment', { opening_fee_params: { ...params }, payment_size_msat: '10000000' }, 0],
    ['not a number', { opening_fee_params: params, payment_size_msat: '-5' }, -32602],
    ['unknown field', { opening_fee_params: params, extra: 1 }, -32602],
    ['missing params', {}, -32602],
  ];
  for (const [name, p, code] of cases) {
    const r = await wallet.call('lsps2.buy', p);
    if (code === 0) assert.ok(r.result, `${name}: 10,000 sat pays a 1,330 sat fee and is accepted`);
    else assert.equal(r.error?.code, code, `${name}: ${JSON.stringify(r)}`);
  }
  await assertCleanAudit(server);
});

test('a variable-amount payment below the minimum is failed back with unknown_next_peer', async () => {
  const { alice, lsp, bob } = net;
  const bought = await buy({ opening_fee_params: await menu() });
  const invoice = await jitInvoice(bob, lsp, bought, 5_000_000n);
  await assertFailsBack(alice, invoice.paymentRequest, lsp.lnd, 'unknown_next_peer');
  await assertCleanAudit(server);
});

test('52-44 a payment after the fee params expired is failed back with unknown_next_peer, and buying with them is refused', async () => {
  const { h, alice, lsp, bob } = net;
  const params = await menu();
  const bought = await buy({ opening_fee_params: params, payment_size_msat: '50000000' });
  await h.waitFor(() => Date.now() > new Date(params.valid_until).getTime(), {
    what: 'the fee params to expire',
    timeoutMs: 20_000,
  });
  const late = await wallet.call('lsps2.buy', { opening_fee_params: params });
  assert.equal(late.error?.code, 201);
  const invoice = await jitInvoice(bob, lsp, bought, 50_000_000n);
  await assertFailsBack(alice, invoice.paymentRequest, lsp.lnd, 'unknown_next_peer');
  assert.equal(
    (await jitRecord(bought))?.state,
    'expired',
    'the HTLC reached the LSP, which ended the JIT channel',
  );
  await assertCleanAudit(server);
});

/** Runs `story` while bob's node answers every channel proposal with `decide`. */
async function whileBobAnswers(
  decide: () => ChannelOpenDecision,
  story: (proposals: () => number) => Promise<void>,
): Promise<void> {
  let proposals = 0;
  let acceptorUp = false;
  const stop = new AbortController();
  await net.bob.lnd.acceptChannels(
    () => {
      proposals++;
      return decide();
    },
    { signal: AbortSignal.any([stop.signal, streams.signal]), onConnected: () => (acceptorUp = true) },
  );
  await net.h.waitFor(() => acceptorUp, { what: "bob's channel acceptor" });
  try {
    await story(() => proposals);
  } finally {
    stop.abort();
  }
}

/** Buys a JIT channel for bob and checks alice's payment to it is refused with unknown_next_peer. */
async function refusedJitPayment(): Promise<Lsps2BuyResult> {
  const { alice, lsp, bob } = net;
  const bought = await buy({ opening_fee_params: await menu() });
  const invoice = await jitInvoice(bob, lsp, bought, 50_000_000n);
  await assertFailsBack(alice, invoice.paymentRequest, lsp.lnd, 'unknown_next_peer');
  return bought;
}

test('52-51 a client that refuses the channel gets nothing opened and the payer gets unknown_next_peer', async () => {
  await whileBobAnswers(
    () => ({ accept: false, error: 'no thanks' }),
    async (proposals) => {
      const record = await jitRecord(await refusedJitPayment());
      // bLIP-52: the open failed before funding, so the JIT scid waits for a payment again.
      assert.equal(
        record?.state,
        'awaiting_payment',
        JSON.stringify(record, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
      );
      assert.match(record?.failure ?? '', /refused|no thanks/);
      assert.ok(proposals() >= 1, 'the LSP tried to open and bob refused');
    },
  );
  await assertCleanAudit(server);
});

test('52-50 a client asking a to_self_delay above max_client_to_self_delay gets no channel', async () => {
  const info = await wallet.call<Lsps2Info>('lsps2.get_info', {});
  const allowed = info.result?.opening_fee_params_menu[0]?.max_client_to_self_delay;
  assert.equal(allowed, MAX_CLIENT_TO_SELF_DELAY, 'the menu offers the configured max_client_to_self_delay');
  await whileBobAnswers(
    () => ({ accept: true, zeroConf: true, csvDelay: MAX_CLIENT_TO_SELF_DELAY + 1 }),
    async (proposals) => {
      await refusedJitPayment();
      assert.ok(proposals() >= 1, 'bob was asked, and asked for one block more than allowed');
    },
  );
  await assertCleanAudit(server);
});

test('over signed HTTP a tenant buys for a named node, and generated params never cause an internal error', async () => {
  const { bob } = net;
  const { client } = await server.newTenant('wallet-co');
  const [params] = (await client.lsps2.getInfo()).opening_fee_params_menu;
  assert.ok(params);
  const bought = await client.lsps2.buy({ opening_fee_params: params, client_node_pubkey: bob.pubkey });
  assert.match(bought.jit_channel_scid, /^\d+x\d+x\d+$/);
  assert.equal((await jitRecord(bought)).clientPubkey, bob.pubkey);
  await assert.rejects(client.lsps2.buy({ opening_fee_params: params }), (err: unknown) => {
    assert.ok(err instanceof LspsRpcError);
    assert.equal(err.code, -32602);
    assert.match(err.message + JSON.stringify(err.data), /client_node_pubkey/);
    return true;
  });

  const amount = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
    fc.string(),
    fc.integer(),
    fc.constant(null),
  );
  const mutated = fc.record(
    {
      min_fee_msat: amount,
      proportional: fc.oneof(fc.integer(), fc.double(), fc.string()),
      valid_until: fc.oneof(
        fc.constant(params.valid_until),
        fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
        fc.string(),
      ),
      min_payment_size_msat: amount,
      max_payment_size_msat: amount,
      promise: fc.oneof(
        fc.constant(params.promise),
        fc.stringMatching(/^[0-9a-f]{0,80}$/),
        fc.string({ maxLength: 600 }),
      ),
    },
    { requiredKeys: [] },
  );
  const buyParams = fc.oneof(
    fc.record(
      {
        opening_fee_params: mutated.map((m) => ({ ...params, ...m })),
        payment_size_msat: fc.option(amount, { nil: undefined }),
        client_node_pubkey: fc.oneof(
          fc.constant(bob.pubkey),
          fc.stringMatching(/^0[23][0-9a-f]{64}$/),
          fc.string(),
        ),
      },
      { requiredKeys: ['opening_fee_params'] },
    ),
    fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 })),
  );
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(buyParams, async (p) => {
      runs++;
      try {
        await client.lsps2.buy(p as never);
        return true;
      } catch (err) {
        // A body Fastify's parser refuses (e.g. a `__proto__` key) is a 400 before JSON-RPC.
        if (err instanceof LspApiError) return err.status < 500;
        return err instanceof LspsRpcError && err.code !== -32603;
      }
    }),
    { numRuns: 500 },
  );
  assert.equal(runs, 500);
  await assertCleanAudit(server);
});
