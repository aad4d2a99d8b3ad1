/**
 * Reservations per second under concurrency: signed `POST /v1/liquidity/reservations`
 * (signature check, nonce, allocation lock, liquidity read, reservation row + fee in the
 * ledger) against signed `GET /v1/account` (signature check, nonce, one balance read) as the
 * baseline, same server, same client, same concurrency, in one run. The requests come from the
 * load generator's own process (`support/load.ts`), as in the signed-endpoint benchmark. Each is
 * measured after a warm-up of its own (`BENCH_WARMUP` requests: the server's code paths and the
 * database's caches are warm), over `BENCH_REQUESTS`: steady state, not a start-up.
 */
import { sat } from '@blgv/core';
import { Harness } from '@blgv/regtest';
import { buildApp, createLogger, createServices, loadConfig } from '@blgv/server';
import { LedgerRepository, sql, TenantsRepository } from '@blgv/store';
import { benchDatabase, result } from './support/database.ts';
import { load } from './support/run-load.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1_000);
/** Each reservation sets aside the smallest amount allowed (`reservations.minAmount`). */
const RESERVATION_SAT = 1_000;
/** The largest channel LND opens without wumbo: every reservation's amount must fit in it. */
const MAX_CHANNEL_SAT = 16_777_215;
const CHANNEL_SAT = Math.max(10_000_000, Math.ceil((REQUESTS + WARMUP) * RESERVATION_SAT * 1.1));
if (CHANNEL_SAT > MAX_CHANNEL_SAT)
  throw new Error(
    `BENCH_REQUESTS + BENCH_WARMUP at most ${Math.floor(MAX_CHANNEL_SAT / RESERVATION_SAT / 1.1)}: every reservation sets aside ${RESERVATION_SAT} sat of one channel`,
  );
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

const h = await Harness.start();
const database = await benchDatabase();
try {
  const [lsp, bob] = await Promise.all([h.newNode('lsp'), h.newNode('bob')]);
  await h.fund([lsp, sat(20_000_000)]);
  // Room for every reservation (warm-up and measured) in the LSP's outbound liquidity.
  await h.openChannel(lsp, bob, sat(CHANNEL_SAT), { push: sat(0) });
  const log = createLogger('silent', false);
  const config = loadConfig({}, () => '{}');
  const services = createServices({
    config: { ...config, fees: { ...config.fees, liquidity: { reservationFee: 1, utilizationFeePpm: 100 } } },
    database,
    lightning: lsp.lnd,
    log,
  });
  const app = buildApp({ log, lightning: lsp.lnd, database, services });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const tenant = await new TenantsRepository(database.db).create('bench');
  const key = await services.apiKeys.create(tenant.id, 'tenant');
  await new LedgerRepository(database.db).append({
    tenantId: tenant.id,
    kind: 'topup',
    amount: sat((REQUESTS + WARMUP) * 10),
    reference: 'bench',
    description: 'bench balance',
  });

  const signing = { keyId: key.keyId, secret: key.secret };
  /** `REQUESTS` signed requests, `CONCURRENCY` at a time, from the load generator's process. */
  const run = (method: string, path: string, body?: string, requests = REQUESTS) =>
    load({
      url: `${url}${path}`,
      method,
      requests,
      connections: CONCURRENCY,
      signing,
      ...(body ? { body } : {}),
    });

  const reserve = JSON.stringify({ amount: RESERVATION_SAT, duration: 600_000, maxFeeRate: 1_000_000 });
  await run('GET', '/v1/account', undefined, WARMUP);
  const baseline = await run('GET', '/v1/account');
  await run('POST', '/v1/liquidity/reservations', reserve, WARMUP);
  const reservations = await run('POST', '/v1/liquidity/reservations', reserve);
  const granted = await sql<{
    n: bigint;
  }>`select count(*)::int8 as n from ${sql.table('liquidity_reservations')}`.execute(database.db);
  if (Number(granted.rows[0]?.n) !== REQUESTS + WARMUP)
    throw new Error(`granted ${granted.rows[0]?.n} of ${REQUESTS + WARMUP}`);
  result('signed_get_account_rps', baseline.rps, 'req/s');
  result('reservations_rps', reservations.rps, 'req/s');
  result('reservations_p99', reservations.p99, 'ms');
  result('reservations_vs_signed_read_ratio', reservations.rps / baseline.rps, 'x');
  result('load_generator_cpu_reservations', reservations.cpuCores, 'cores');
  await app.close();
} finally {
  await database.drop();
  await h.stop();
}
