/**
 * The signed `GET /v1/channels/:id` (signature check, nonce insert, database read) against a
 * bare Fastify route in the same process, at 50 connections, taking turns three times (medians;
 * the ratio is the median of each round's signed run against the bare run just before it); in
 * each round also the same signed route with the API's request limit on (`auth.rateLimit`, set
 * high enough never to refuse: what counting costs), against the signed run before it;
 * then the on-chain vbytes per channel of one funding transaction of 10 channels against ten
 * single-channel fundings (both through the LSP's PSBT funder). Goal: signed >= 30 % of bare
 * throughput.
 */
import { sat } from '@blgv/core';
import { Harness } from '@blgv/regtest';
import { buildApp, createLogger, createServices, loadConfig } from '@blgv/server';
import { ChannelRequestsRepository, TenantsRepository } from '@blgv/store';
import Fastify from 'fastify';
import { benchDatabase, result } from './support/database.ts';
import { type LoadResult, load } from './support/run-load.ts';
import { median } from './support/stats.ts';

/** Seconds of each phase; the two take turns `ROUNDS` times (a shared machine's load drifts). */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 50;
/** A request limit no run reaches. */
const NEVER_REFUSING = { max: 1_000_000, windowSeconds: 1 };

const h = await Harness.start();
const database = await benchDatabase();
try {
  const [lsp, bob, carol] = await Promise.all([h.newNode('lsp'), h.newNode('bob'), h.newNode('carol')]);
  await h.fund([lsp, sat(50_000_000)], [lsp, sat(50_000_000)]);
  const log = createLogger('silent', false);
  const services = createServices({ config: loadConfig({}), database, lightning: lsp.lnd, log });
  const app = buildApp({ log, lightning: lsp.lnd, database, services });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  // The same services behind the request limit, counting every request and refusing none.
  const limited = buildApp({ log, lightning: lsp.lnd, database, services, rateLimit: NEVER_REFUSING });
  const limitedUrl = await limited.listen({ host: '127.0.0.1', port: 0 });
  const tenant = await new TenantsRepository(database.db).create('bench');
  const key = await services.apiKeys.create(tenant.id, 'tenant');
  const id = (
    await new ChannelRequestsRepository(database.db).insert({
      id: crypto.randomUUID(),
      tenantId: tenant.id,
      idempotencyKey: null,
      idempotencyFingerprint: null,
      clientPubkey: bob.pubkey,
      capacity: sat(100_000),
      push: sat(0),
      feeRateSatPerVbyte: 2n,
      private: false,
      fee: sat(1100),
      networkFee: sat(330),
      estimatedBlocks: 6,
    })
  ).id;
  const path = `/v1/channels/${id}`;

  const bare = Fastify();
  bare.get('/v1/channels/:id', async () => ({ channelId: id, status: 'pending' }));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  const signedLoad = (base: string) =>
    load({
      url: `${base}${path}`,
      durationS: DURATION_S,
      connections: CONNECTIONS,
      signing: { keyId: key.keyId, secret: key.secret },
    });
  const rounds: { bare: LoadResult; signed: LoadResult; limited: LoadResult }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const bareRun = await load({ url: `${bareUrl}${path}`, durationS: DURATION_S, connections: CONNECTIONS });
    const signedRun = await signedLoad(url);
    const limitedRun = await signedLoad(limitedUrl);
    if (limitedRun.non2xx > 0) throw new Error(`refused behind the limit: ${limitedRun.firstError}`);
    rounds.push({ bare: bareRun, signed: signedRun, limited: limitedRun });
  }
  const of = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
  // Ratios: each round's run against the one just before it, then the median of those.
  const figures: [string, (r: (typeof rounds)[number]) => number, string][] = [
    ['bare_fastify_rps', (r) => r.bare.rps, 'req/s'],
    ['bare_fastify_p99', (r) => r.bare.p99, 'ms'],
    ['signed_get_channel_rps', (r) => r.signed.rps, 'req/s'],
    ['signed_get_channel_p99', (r) => r.signed.p99, 'ms'],
    ['signed_vs_bare_throughput_ratio', (r) => r.signed.rps / r.bare.rps, 'x'],
    ['signed_rate_limited_get_channel_rps', (r) => r.limited.rps, 'req/s'],
    ['signed_rate_limited_get_channel_p99', (r) => r.limited.p99, 'ms'],
    ['rate_limited_vs_signed_throughput_ratio', (r) => r.limited.rps / r.signed.rps, 'x'],
    ['load_generator_cpu_bare', (r) => r.bare.cpuCores, 'cores'],
    ['load_generator_cpu_signed', (r) => r.signed.cpuCores, 'cores'],
  ];
  for (const [name, pick, unit] of figures) result(name, of(pick), unit);
  await bare.close();
  await app.close();
  await limited.close();

  // On-chain cost: 10 channels in one transaction vs 10 transactions.
  await h.connect(lsp, bob);
  await h.connect(lsp, carol);
  const vsize = async (txid: string) =>
    (await h.btcd.rpc<{ vsize: number }>('getrawtransaction', [txid, 1])).vsize;
  const targets = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? bob : carol));
  // Funded the way the LSP funds every channel: the PSBT flow, one commit point per transaction.
  const fund = async (peers: typeof targets) => {
    const result = await services.funder.fund(
      peers.map((t, i) => ({
        owner: `bench:${i}`,
        open: { remotePubkey: t.pubkey, localAmount: sat(100_000) },
      })),
      { feeRate: 2n, deadlineMs: 60_000, commit: async () => {} },
    );
    if (!result.committed) throw new Error(`funding failed: ${[...result.failed.values()].join('; ')}`);
    await services.funder.published(result.committed.fundingId, AbortSignal.timeout(60_000));
    return result.committed.txid;
  };
  const batchVbytes = await vsize(await fund(targets));
  await h.mine(1);
  let singleVbytes = 0;
  for (const t of targets) {
    singleVbytes += await vsize(await fund([t]));
    await h.mine(1);
  }
  result('batch_of_10_vbytes_per_channel', batchVbytes / 10, 'vB');
  result('single_open_vbytes_per_channel', singleVbytes / 10, 'vB');
  result('batch_vs_single_vbytes_ratio', batchVbytes / singleVbytes, 'x');
} finally {
  await database.drop();
  await h.stop();
}
