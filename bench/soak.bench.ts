/**
 * Soak: one LSP server, as a process of its own (`blgv-lsp start` on the regtest LSP node and a
 * fresh Postgres database), under mixed traffic for `BENCH_SOAK_MINUTES` (default 60):
 *
 * - signed reads of a tenant, one every `BENCH_SOAK_READ_MS` (default 250 ms):
 *   `GET /v1/account` and `GET /v1/channels/:id` in turn;
 * - channel sales through the SDK (quote, buy, wait until open, the client node closes it
 *   again), one after another `BENCH_SOAK_SALE_PAUSE_S` (default 20 s) apart;
 * - JIT payments: `BENCH_SOAK_WALLETS` (default 3) LSPS2 wallets each, round after round
 *   (`BENCH_SOAK_JIT_PAUSE_S`, default 30 s, apart), buy a JIT scid and are paid over it (a new
 *   JIT channel), are paid again over the channel now open, and close it;
 * - a Prometheus scrape of `/metrics` every 5 s and the admin figures every 15 s.
 *
 * A miner confirms whatever enters the mempool. Every 10 s the server's resident memory
 * (`VmRSS`) and open file descriptors are read from `/proc/<pid>`; its heap and active handles
 * come with each scrape. After `BENCH_SOAK_WARMUP_MINUTES` (default a tenth of the run) the
 * median of the next minute's samples is the start, the median of the last minute's the end.
 *
 * Prints the requests, errors (any answer that is not 2xx, any failed payment or step), the
 * start, end and growth of RSS and file descriptors (goal: under 10 %), the heap likewise, the
 * job restarts (0 wanted) and the audit's discrepancies (0 wanted) through the admin API. Exits
 * 1 when there were errors, restarts or discrepancies.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msat, sat } from '@blgv/core';
import { Harness } from '@blgv/regtest';
import { openDatabase, sql } from '@blgv/store';
import { JitWallet, payTopup, startServerProcess } from '@blgv/testkit';
import { result } from './support/database.ts';
import { growthPct, type ProcessSample, readProcess, windowMedian } from './support/process-sampler.ts';
import {
  channelSale,
  jitRound,
  loop,
  type ScrapedProcess,
  scrape,
  signedReads,
  Tally,
} from './support/soak-traffic.ts';

const env = process.env;
const MINUTES = Number(env.BENCH_SOAK_MINUTES ?? 60);
const WARMUP_MINUTES = Number(env.BENCH_SOAK_WARMUP_MINUTES ?? MINUTES / 10);
const WALLETS = Number(env.BENCH_SOAK_WALLETS ?? 3);
const READ_MS = Number(env.BENCH_SOAK_READ_MS ?? 250);
const SALE_PAUSE_MS = Number(env.BENCH_SOAK_SALE_PAUSE_S ?? 20) * 1000;
const JIT_PAUSE_MS = Number(env.BENCH_SOAK_JIT_PAUSE_S ?? 30) * 1000;
const SAMPLE_MS = 10_000;
const SCRAPE_MS = 5_000;
const MINUTE = 60_000;
/** Each JIT payment: above the LSP's smallest (10,000 sat), well within the 100,000 sat channel. */
const JIT_AMOUNT = msat(12_000_000n);
const SALE_SIZE = 100_000;
/** The LSP's forwarding fees, set in its config and used in the route hints to open channels. */
const ROUTING = { baseFee: msat(1_000n), feeRatePpm: 100 };
const TOKEN = randomBytes(16).toString('hex');
const say = (line: string) => process.stdout.write(`# ${line}\n`);
const mb = (bytes: number) => bytes / 1024 / 1024;

const adminUrl = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = `lsp_soak_${randomBytes(4).toString('hex')}`;
const postgres = await openDatabase({ kind: 'postgres', url: adminUrl });
await sql.raw(`create database ${dbName}`).execute(postgres.db);
const h = await Harness.start();
const streams = new AbortController();
const mining = new AbortController();
let failed = false;
try {
  say(`starting alice, the LSP, bob and ${WALLETS} wallets`);
  const [alice, lsp, bob, ...walletNodes] = await Promise.all([
    h.newNode('alice'),
    h.newNode('lsp', { requireInterceptor: true }),
    h.newNode('bob'),
    ...Array.from({ length: WALLETS }, (_, i) => h.newNode(`wallet${i}`, { lsps2Client: true })),
  ]);
  // Coins for the LSP's opens; each close brings its channel's coin back.
  await h.fund([alice, sat(20_000_000)], ...Array.from({ length: 8 }, () => [lsp, sat(2_000_000)] as const));
  const configFile = join(lsp.dir, 'soak-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      lsps2: { minChannelSize: 100_000 },
      fees: { routing: { baseFeeMsat: Number(ROUTING.baseFee), feeRatePpm: ROUTING.feeRatePpm } },
    }),
  );
  const tally = new Tally();
  const server = await startServerProcess({
    node: lsp,
    databaseUrl: adminUrl.replace(/\/[^/]*$/, `/${dbName}`),
    secretsKey: randomBytes(32).toString('hex'),
    env: { BLGV_CONFIG: configFile, BLGV_METRICS_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
    fetch: tally.countingFetch(),
  });
  const pid = server.proc.pid;
  try {
    if (!server.bootstrapKey || pid === undefined) throw new Error('the server printed no admin key');
    const admin = server.client(server.bootstrapKey);
    const created = await admin.admin.createTenant('soak');
    const tenant = server.client(await admin.admin.createKey(created.id, 'tenant'));
    const toLsp = await h.openChannel(alice, lsp, sat(16_000_000));
    await h.waitCanSend(alice, lsp, toLsp.scid, JIT_AMOUNT);
    await h.connect(bob, lsp);
    const wallets = await Promise.all(walletNodes.map((n) => JitWallet.start(h, n, lsp, streams.signal)));
    const topup = await tenant.topUp(1_000_000);
    await payTopup(h, alice, tenant, topup.paymentRequest, 1_000_000);
    void h.mineWhilePending(mining.signal, { intervalMs: 500 });

    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const soak = AbortSignal.timeout(MINUTES * MINUTE);
    const samples: ProcessSample[] = [];
    const scraped: (ScrapedProcess & { atMs: number })[] = [];
    let lastChannel: string | undefined;
    let scrapes = 0;
    const sample = async () => {
      samples.push(readProcess(pid, now()));
    };
    const scrapeStep = async () => {
      scraped.push({ ...(await scrape(server.url, TOKEN, tally)), atMs: now() });
      if (scrapes++ % 3 === 0) await admin.admin.figures();
    };
    let minute = 0;
    const progress = async () => {
      const s = samples.at(-1);
      const m = scraped.at(-1);
      say(
        `${minute++} min: ${tally.requests} requests, ${tally.errors} errors, ${tally.payments} payments ` +
          `(${tally.jitChannels} JIT channels), ${tally.channelSales} sales, ${tally.scrapes} scrapes; ` +
          `RSS ${s ? mb(s.rssBytes).toFixed(1) : '?'} MB, ${s?.fds ?? '?'} fds, ` +
          `heap ${m?.heapUsedBytes ? mb(m.heapUsedBytes).toFixed(1) : '?'} MB, ${m?.activeHandles ?? '?'} handles`,
      );
    };
    const sale = { h, tenant, client: bob, channelSize: SALE_SIZE };
    const jit = { h, tenant, payer: alice, amount: JIT_AMOUNT, routing: ROUTING };
    await sample();
    await Promise.all([
      loop('sample', tally, soak, SAMPLE_MS, sample),
      loop('progress', tally, soak, MINUTE, progress),
      loop('scrape', tally, soak, SCRAPE_MS, scrapeStep),
      loop(
        'read',
        tally,
        soak,
        READ_MS,
        signedReads(tenant, () => lastChannel),
      ),
      loop(
        'sale',
        tally,
        soak,
        SALE_PAUSE_MS,
        channelSale(sale, tally, (id) => {
          lastChannel = id;
        }),
      ),
      ...wallets.map((w) => loop(`jit ${w.node.name}`, tally, soak, JIT_PAUSE_MS, jitRound(jit, w, tally))),
    ]);
    await sample();
    const endMs = now();
    await progress();

    const jobs = await admin.admin.jobs();
    const restarts = jobs.jobs.reduce((n, j) => n + j.restartsHere, 0);
    const leaseLosses = jobs.jobs.reduce((n, j) => n + j.leaseLossesHere, 0);
    for (const j of jobs.jobs.filter((j) => j.restartsHere > 0 || j.lastErrorHere))
      say(`job ${j.name}: ${j.restartsHere} restarts, last error ${j.lastErrorHere ?? 'none'}`);
    const audit = await admin.admin.audit();
    for (const d of audit.discrepancies) say(`audit: ${JSON.stringify(d)}`);
    for (const e of [...tally.non2xx, ...tally.failures].slice(0, 20)) say(`error: ${e}`);

    const warm = WARMUP_MINUTES * MINUTE;
    const at = (pick: (s: ProcessSample) => number) => ({
      start: windowMedian(samples, warm, warm + MINUTE, pick),
      end: windowMedian(samples, endMs - MINUTE, endMs, pick),
      max: Math.max(...samples.filter((s) => s.atMs >= warm).map(pick)),
    });
    const rss = at((s) => s.rssBytes);
    const fds = at((s) => s.fds);
    const heap = {
      start: windowMedian(scraped, warm, warm + MINUTE, (s) => s.heapUsedBytes ?? Number.NaN),
      end: windowMedian(scraped, endMs - MINUTE, endMs, (s) => s.heapUsedBytes ?? Number.NaN),
    };
    result('soak_minutes', endMs / MINUTE, 'min');
    result('soak_requests', tally.requests, 'requests');
    result('soak_requests_per_second', tally.requests / (endMs / 1000), 'req/s');
    result('soak_payments', tally.payments, 'payments');
    result('soak_jit_channels', tally.jitChannels, 'channels');
    result('soak_channel_sales', tally.channelSales, 'channels');
    result('soak_scrapes', tally.scrapes, 'scrapes');
    result('soak_errors', tally.errors, 'errors');
    result('soak_non2xx', tally.non2xx.length, 'answers');
    result('soak_failed_steps', tally.failures.length, 'steps');
    result('rss_start_mb', mb(rss.start), 'MB');
    result('rss_end_mb', mb(rss.end), 'MB');
    result('rss_max_mb', mb(rss.max), 'MB');
    result('rss_growth_pct', growthPct(rss.start, rss.end), '%');
    result('fds_start', fds.start, 'fds');
    result('fds_end', fds.end, 'fds');
    result('fds_max', fds.max, 'fds');
    result('fd_growth_pct', growthPct(fds.start, fds.end), '%');
    result('heap_used_start_mb', mb(heap.start), 'MB');
    result('heap_used_end_mb', mb(heap.end), 'MB');
    result('heap_used_growth_pct', growthPct(heap.start, heap.end), '%');
    result('job_restarts', restarts, 'restarts');
    result('job_lease_losses', leaseLosses, 'losses');
    result('audit_discrepancies', audit.discrepancies.length, 'discrepancies');
    failed = tally.errors > 0 || restarts > 0 || !audit.clean;
  } finally {
    await server.kill();
    // What the server logged (warnings and errors): kept for a look after the run.
    const log = join(tmpdir(), `blgv-soak-server-${dbName}.log`);
    writeFileSync(log, server.output());
    const counts = new Map<string, number>();
    for (const line of server.output().split('\n')) {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
      if (msg) counts.set(msg, (counts.get(msg) ?? 0) + 1);
    }
    say(`server log: ${log}`);
    for (const [msg, n] of counts) say(`server logged ${n}x: ${msg}`);
  }
} finally {
  mining.abort();
  streams.abort();
  await h.stop();
  await sql.raw(`drop database if exists ${dbName} with (force)`).execute(postgres.db);
  await postgres.close();
}
process.exit(failed ? 1 : 0);
