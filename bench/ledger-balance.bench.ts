/**
 * A tenant's balance as its history grows: charges per second (the path every purchase takes:
 * lock the tenant, read the balance, append the entry with its running balance) and the
 * latency of a signed `GET /v1/account`, for a tenant with 1,000 ledger entries and for one with
 * 1,000,000, on Postgres, in one run. Goal: no measurable slowdown. For reference, the old way
 * of reading a balance (a SUM over the whole ledger) is timed on both tenants too.
 */
import { ErrorCode, type LightningBackend, LspError } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { buildApp, createLogger, createServices, loadConfig } from '@blgv/server';
import { LedgerRepository, sql, TenantsRepository } from '@blgv/store';
import { benchDatabase, result } from './support/database.ts';

const CHARGES = Number(process.env.BENCH_CHARGES ?? 2_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const READS = Number(process.env.BENCH_READS ?? 500);
const progress = (line: string) => process.stderr.write(`[ledger-balance] ${line}\n`);

/** Nothing here talks to LND: any call is a bug in the benchmark. */
const noLightning = new Proxy({} as LightningBackend, {
  get: () => () => {
    throw new LspError(ErrorCode.Internal, 'this benchmark uses no Lightning node');
  },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;

const database = await benchDatabase();
try {
  const log = createLogger('silent', false);
  const services = createServices({
    config: loadConfig({}, () => '{}'),
    database,
    lightning: noLightning,
    log,
  });
  const app = buildApp({ log, lightning: noLightning, database, services });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const tenants = new TenantsRepository(database.db);

  /** A tenant with `entries` ledger entries (credits of 1,000 sat each). */
  const tenantWith = async (entries: number) => {
    const t = await tenants.create(`history-${entries}`);
    progress(`writing ${entries.toLocaleString('en')} ledger entries`);
    for (let done = 0; done < entries; done += 200_000) {
      const n = Math.min(200_000, entries - done);
      await sql`insert into ledger_entries (tenant_id, kind, amount_sat, reference, description)
        select ${t.id}, 'topup', 1000, ${`h${entries}-`} || g, 'history'
        from generate_series(${done + 1}::int, ${done + n}::int) g`.execute(database.db);
    }
    await sql`update tenants set balance_sat = ${entries * 1000} where id = ${t.id}`.execute(database.db);
    await sql`analyze ledger_entries`.execute(database.db);
    return { tenant: t, key: await services.apiKeys.create(t.id, 'tenant') };
  };

  /** `CHARGES` charges of 1 sat, `CONCURRENCY` at a time, as a purchase charges: charges/s. */
  let batch = 0;
  const charges = async (tenantId: string): Promise<number> => {
    let next = 0;
    batch++;
    const started = performance.now();
    const worker = async () => {
      while (next < CHARGES) {
        const n = next++;
        await database.db.transaction().execute(async (trx) => {
          const ledger = new LedgerRepository(trx);
          await ledger.lockTenant(tenantId);
          if ((await ledger.balance(tenantId)) < 1n) throw new Error('balance ran out');
          await ledger.append({
            tenantId,
            kind: 'channel_fee',
            amount: -1n,
            reference: `charge-${tenantId}-${batch}-${n}`,
            description: 'bench charge',
          });
        });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return CHARGES / ((performance.now() - started) / 1000);
  };

  /** `READS` signed `GET /v1/account`, one after another: latencies in ms. */
  const reads = async (key: { keyId: string; secret: string }): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < READS; i++) {
      const headers = signRequest({
        keyId: key.keyId,
        secret: key.secret,
        method: 'GET',
        path: '/v1/account',
      });
      const started = performance.now();
      const res = await fetch(`${url}/v1/account`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET /v1/account: ${res.status}`);
      times.push(performance.now() - started);
    }
    return times;
  };

  /** The old balance: a SUM over the tenant's whole ledger (ms, median of 20). */
  const sumBalance = async (tenantId: string): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await new LedgerRepository(database.db).ledgerSum(tenantId);
      times.push(performance.now() - started);
    }
    return median(times);
  };

  const small = await tenantWith(1_000);
  const large = await tenantWith(1_000_000);
  // Warm up both paths once (connections, caches) before measuring.
  await charges(small.tenant.id);
  await reads(small.key);

  // Three rounds, the two tenants taking turns, so drift in the machine's load hits both alike.
  const rounds = { chargesSmall: [] as number[], chargesLarge: [] as number[] };
  let readsSmall: number[] = [];
  let readsLarge: number[] = [];
  for (let round = 1; round <= 3; round++) {
    progress(`round ${round}/3: ${CHARGES} charges and ${READS} reads per tenant`);
    rounds.chargesSmall.push(await charges(small.tenant.id));
    rounds.chargesLarge.push(await charges(large.tenant.id));
    readsSmall = [...readsSmall, ...(await reads(small.key))];
    readsLarge = [...readsLarge, ...(await reads(large.key))];
  }
  const chargesSmall = median(rounds.chargesSmall);
  const chargesLarge = median(rounds.chargesLarge);
  result('charges_per_s_1k_entries', chargesSmall, 'charges/s');
  result('charges_per_s_1m_entries', chargesLarge, 'charges/s');
  result('charges_1m_vs_1k_ratio', chargesLarge / chargesSmall, 'x');
  result('get_account_p50_1k_entries', median(readsSmall), 'ms');
  result('get_account_p50_1m_entries', median(readsLarge), 'ms');
  result('get_account_p99_1k_entries', p99(readsSmall), 'ms');
  result('get_account_p99_1m_entries', p99(readsLarge), 'ms');
  result('get_account_p50_1m_vs_1k_ratio', median(readsLarge) / median(readsSmall), 'x');
  result('ledger_sum_1k_entries', await sumBalance(small.tenant.id), 'ms');
  result('ledger_sum_1m_entries', await sumBalance(large.tenant.id), 'ms');
  const ledger = new LedgerRepository(database.db);
  for (const t of [small, large]) {
    if ((await ledger.balance(t.tenant.id)) !== (await ledger.ledgerSum(t.tenant.id)))
      throw new Error('the running balance disagrees with the ledger');
  }
  await app.close();
} finally {
  await database.drop();
}
