/**
 * Reservations per second under concurrency: signed `POST /v1/liquidity/reservations`
 * (signature check, nonce, allocation lock, liquidity read, reservation row + fee in the
 * ledger) against signed `GET /v1/account` (signature check, nonce, one balance read) as the
 * baseline, same server, same client, same concurrency, in one run.
 */
import { sat } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { Harness } from '@blgv/regtest';
import { buildApp, createLogger, createServices, loadConfig } from '@blgv/server';
import { LedgerRepository, sql, TenantsRepository } from '@blgv/store';
import { benchDatabase, result } from './support/database.ts';

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

  /** Sends `REQUESTS` signed requests, `CONCURRENCY` at a time; resolves with requests/s. */
  const run = async (method: string, path: string, body?: string): Promise<number> => {
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < REQUESTS) {
        next++;
        const headers = signRequest({ keyId: key.keyId, secret: key.secret, method, path, body: body ?? '' });
        const res = await fetch(`${url}${path}`, {
          method,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return REQUESTS / ((performance.now() - started) / 1000);
  };

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
  result('signed_get_account_rps', baseline, 'req/s');
  result('reservations_rps', reservations, 'req/s');
  result('reservations_vs_signed_read_ratio', reservations / baseline, 'x');
  await app.close();
} finally {
  await database.drop();
  await h.stop();
}
