/**
 * The spec's integration examples, run against the LSP `npm start` brings up:
 *
 *   npm run demo -- /tmp/blgv-regtest-XXXX/demo.json
 *
 * 1. Mobile wallet: a tenant buys a 0.01 BTC channel to the demo client with 0.001 BTC pushed.
 *    The first try is refused (402) with a top-up invoice for what the account lacks; the demo
 *    client pays it and the purchase goes through, charged exactly its quote. Then its status.
 * 2. Exchange: the tenant reserves 0.1 BTC of liquidity for an hour at most 1,000 ppm, and pays a
 *    0.1 BTC invoice of the demo client with it (topped up the same way first).
 * 3. Merchant: a hosted node of its own.
 * 4. Operator: the LSP node's payment success once the monitor has read the payment: the
 *    tenants' payments only (the start-up's check that the LSP can pay the client is a probe).
 *
 * Everything goes through `@blgv/lsp-client`, as a customer's code would; the demo client's LND
 * stands in for the customer's wallet that pays the top-ups and receives the payment.
 */
import { readFileSync } from 'node:fs';
import { msat } from '@blgv/core';
import { lndBackend, lndConnectionFromFiles } from '@blgv/lnd';
import { LSPClient, LspApiError } from '@blgv/lsp-client';

interface Demo {
  readonly url: string;
  readonly admin: { readonly keyId: string; readonly secret: string };
  readonly client: {
    readonly pubkey: string;
    readonly rpcAddress: string;
    readonly tlsCertPath: string;
    readonly macaroonPath: string;
  };
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npm run demo -- <regtest dir>/demo.json   (npm start prints the path)\n');
  process.exit(2);
}
const demo = JSON.parse(readFileSync(file, 'utf8')) as Demo;
const say = (line: string) => process.stdout.write(`${line}\n`);
const sats = (n: number) => `${n.toLocaleString('en')} sat`;

const wallet = lndBackend(
  lndConnectionFromFiles(demo.client.rpcAddress, demo.client.tlsCertPath, demo.client.macaroonPath),
);
const admin = new LSPClient({ endpoint: demo.url, apiKey: demo.admin.keyId, apiSecret: demo.admin.secret });

/** Runs `call`; on 402, the demo client pays the top-up invoice it carries and `call` runs again. */
async function withTopUp<T>(what: string, call: () => Promise<T>, lspClient: LSPClient): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof LspApiError) || err.status !== 402) throw err;
    const topup = err.details?.topup as { paymentRequest: string; paymentHash: string; amount: number };
    say(`  402 for ${what}: the account lacks ${sats(topup.amount)}; the wallet pays the top-up invoice`);
    const paid = await wallet.sendPayment(
      { paymentRequest: topup.paymentRequest, feeLimit: msat(1_000_000n), timeoutSeconds: 60 },
      AbortSignal.timeout(90_000),
    );
    if (paid.status !== 'succeeded') throw new Error(`the top-up payment failed: ${paid.reason}`);
    for (let i = 0; (await lspClient.getTopup(topup.paymentHash)).state !== 'settled'; i++) {
      if (i > 100) throw new Error('the top-up was not credited');
      await new Promise((resolve) => setTimeout(resolve, 100)); // poll the credit (demo output)
    }
    say(`  credited; balance ${sats((await lspClient.getBalance()).balance)}`);
    return call();
  }
}

try {
  const tenant = await admin.admin.createTenant(`demo-${Date.now()}`);
  const key = await admin.admin.createKey(tenant.id, 'tenant', 'demo walk-through');
  const lspClient = new LSPClient({ endpoint: demo.url, apiKey: key.keyId, apiSecret: key.secret });
  say(`tenant ${tenant.name} (${tenant.id}) with key ${key.keyId}`);

  say('\n1. Mobile wallet: a 0.01 BTC channel with 0.001 BTC pushed to the client');
  const quote = await lspClient.quoteChannel({ channelSize: 1_000_000, pushAmount: 100_000 });
  say(
    `  quote: opening fee ${sats(quote.fee.total)} + push ${sats(quote.pushAmount)} + network fee ${sats(quote.networkFee.total)} (${quote.networkFee.vbytes} vB at ${quote.networkFee.feeRate} sat/vB) = ${sats(quote.total)}`,
  );
  const channelRequest = await withTopUp(
    'the channel',
    () =>
      lspClient.requestChannel({
        clientPubkey: demo.client.pubkey,
        channelSize: 1_000_000, // 0.01 BTC
        pushAmount: 100_000, // 0.001 BTC pushed to the client
        feeRate: quote.networkFee.feeRate,
      }),
    lspClient,
  );
  say(
    `  channel ${channelRequest.channelId}: ${channelRequest.status}, funding ${channelRequest.fundingTxid}`,
  );
  say(`  charged ${sats(channelRequest.charged)} (the quote was ${sats(quote.total)})`);
  const channelStatus = await lspClient.getChannelStatus(channelRequest.channelId);
  say(`  getChannelStatus: ${channelStatus.status}`);

  say('\n2. Exchange: a 0.1 BTC reservation for an hour, then a 0.1 BTC payment with it');
  const liquidityRequest = await withTopUp(
    'the reservation',
    () => lspClient.requestLiquidity({ amount: 10_000_000, duration: 3_600_000, maxFeeRate: 1000 }),
    lspClient,
  );
  say(
    `  reservation ${liquidityRequest.reservationId}: ${sats(liquidityRequest.allocated)} until ${liquidityRequest.expiresAt}, ${liquidityRequest.feeRate} ppm if fully used`,
  );
  const lightningInvoice = (
    await wallet.addInvoice(
      { amount: msat(10_000_000_000n), memo: 'withdrawal' },
      AbortSignal.timeout(10_000),
    )
  ).paymentRequest;
  const payment = await withTopUp(
    'the payment',
    () => lspClient.sendPayment({ invoice: lightningInvoice, reservationId: liquidityRequest.reservationId }),
    lspClient,
  );
  say(
    `  payment ${payment.paymentHash}: ${payment.status}; charged ${sats(payment.charged.total)} (amount ${sats(payment.charged.amount)}, routing ${sats(payment.charged.routingFee)}, utilization ${sats(payment.charged.utilizationFee)})`,
  );
  if (payment.status !== 'succeeded') throw new Error(`the payment ${payment.status}: ${payment.failure}`);

  say('\n3. Merchant: a hosted Lightning node of its own');
  const node = await withTopUp(
    'the node',
    () => lspClient.createHostedNode({ alias: 'demo-merchant' }),
    lspClient,
  );
  const info = (await (
    await fetch(`${node.endpoint}/v1/getinfo`, {
      headers: { 'Grpc-Metadata-macaroon': node.macaroon ?? '' },
      signal: AbortSignal.timeout(10_000),
    })
  ).json()) as { alias: string; identity_pubkey: string; synced_to_chain: boolean };
  say(`  hosted node ${node.nodeId}: ${node.status}, paid until ${node.paidUntil}`);
  say(`  GET ${node.endpoint}/v1/getinfo with its macaroon: ${info.alias} ${info.identity_pubkey}`);
  if (info.identity_pubkey !== node.pubkey) throw new Error('the endpoint answered for another node');
  const { watchtower } = await lspClient.nodes.get(node.nodeId);
  say(
    watchtower
      ? `  watched while offline by the LSP's watchtower ${watchtower.tower} (${watchtower.backups} revoked states backed up)`
      : '  not watched by a watchtower (the LSP runs none)',
  );

  say("\n4. Operator: the LSP node's payment success");
  let metrics = await admin.admin.lspMetrics();
  for (let i = 0; metrics.paymentsByPurpose.tenant.succeeded === 0; i++) {
    if (i > 600) throw new Error('the monitor never read the payment');
    await new Promise((resolve) => setTimeout(resolve, 100)); // poll the monitor (demo output)
    metrics = await admin.admin.lspMetrics();
  }
  const { tenant: tenants, probe: probes } = metrics.paymentsByPurpose;
  say(
    `  payment success ${metrics.successRate === null ? 'n/a' : `${Math.round(metrics.successRate * 100)} %`} (tenants' payments: ${tenants.succeeded} succeeded, ${tenants.failed} failed; probes and checks, not counted: ${probes.succeeded + probes.failed})`,
  );

  const audit = await admin.admin.audit();
  say(`\naudit: ${audit.clean ? 'clean' : `${audit.discrepancies.length} discrepancies`}`);
  say(`balance left: ${sats((await lspClient.getBalance()).balance)}`);
  if (!audit.clean) process.exitCode = 1;
} finally {
  wallet.close();
}
