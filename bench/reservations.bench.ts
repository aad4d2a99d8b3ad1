/**
 * Reservations per second under concurrency: signed `POST /v1/liquidity/reservations`
 * (signature check, nonce, allocation lock, liquidity read, reservation row + fee in the
 * ledger) against signed `GET /v1/account` (signature check, nonce, one balance read) as the
 * baseline, same server, same client, same concurrency, in one run. The requests come from the
 * load generator's own process (`support/load.ts`), as in the signed-endpoint benchmark.
 */
import { sat } from '@blgv/core';
import { Harness } from '@blgv/regtest';
import { buildApp, createLogger, createServices, loadConfig } from '@blgv/server';
import { LedgerRepository, sql, TenantsRepository } from '@blgv/store';
import { benchDatabase, result } from './support/database.ts';
import { load } from './support/run-load.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

const h = await Harness.start();
const database = await benchDatabase();
try {
  const [lsp, bob] = await Promise.all([h.newNode('lsp'), h.newNode('bob')]);
  await h.fund([lsp, sat(20_000_000)]);
  await h.openChannel(lsp, bob, sat(10_000_000), { push: sat(0) });
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
    amount: sat(REQUESTS * 10),
    reference: 'bench',
    description: 'bench balance',
  });

  const signing = { keyId: key.keyId, secret: key.secret };
  /** `REQUESTS` signed requests, `CONCURRENCY` at a time, from the load generator's process. */
  const run = (method: string, path: string, body?: string) =>
    load({
      url: `${url}${path}`,
      method,
      requests: REQUESTS,
      connections: CONCURRENCY,
      signing,
      ...(body ? { body } : {}),
    });

  await run('GET', '/v1/account'); // warm-up (connections, prepared code paths)
  const baseline = await run('GET', '/v1/account');
  const reservations = await run(
    'POST',
    '/v1/liquidity/reservations',
    JSON.stringify({ amount: 1_000, duration: 600_000, maxFeeRate: 1_000_000 }),
  );
  const granted = await sql<{
    n: bigint;
  }>`select count(*)::int8 as n from ${sql.table('liquidity_reservations')}`.execute(database.db);
  if (Number(granted.rows[0]?.n) !== REQUESTS)
    throw new Error(`granted ${granted.rows[0]?.n} of ${REQUESTS}`);
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
