/**
 * The monitoring benchmark's history part: a Prometheus scrape and the business figures of an
 * LSP with 1,000 stored forwards and ledger entries, and of one with 1,000,000 of each
 * (`BENCH_HISTORY`), on Postgres, one server each, no Lightning node (both answer from the
 * database alone). Both LSPs did the same in the last 30 days (the figures' default window): the
 * same 1,000 forwards and 1,000 ledger entries; the larger one has 999,000 of each before that,
 * over the three years before. Rows are written in bulk with SQL (the running totals' triggers
 * and the event log's run as for any write).
 *
 * The two servers take turns request by request, one request at a time, `BENCH_HISTORY_REQUESTS`
 * (default 100) of each kind per server in each of three rounds. Prints medians and p95 per
 * size, and the ratio of the larger history's median to the smaller's.
 * For reference, what a scrape summed before the running totals (revenue by source and forwards
 * by channel pair over the whole history) is timed on both too, and what keeping the totals
 * costs a write (a ledger charge, a batch of forwards; triggers on and off in turn).
 */
import { ErrorCode, type LightningBackend, LspError } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { buildApp, createLogger, createServices, loadConfig } from '@blgv/server';
import {
  BusinessFiguresRepository,
  type Database,
  LedgerRepository,
  NodeMonitoringRepository,
  sql,
  TenantsRepository,
} from '@blgv/store';
import { benchDatabase, result } from './database.ts';
import { median, percentile } from './stats.ts';

const LARGE = Number(process.env.BENCH_HISTORY ?? 1_000_000);
const SMALL = 1_000;
/** Rows of each kind in the last 30 days, in both histories. */
const RECENT = 1_000;
const REQUESTS = Number(process.env.BENCH_HISTORY_REQUESTS ?? 100);
const TOKEN = 'bench-history-token-0123456789';
const CHUNK = 100_000;
const progress = (line: string) => process.stderr.write(`[monitoring] ${line}\n`);

/** Nothing here talks to LND: any call is a bug in the benchmark. */
const noLightning = new Proxy({} as LightningBackend, {
  get: () => () => {
    throw new LspError(ErrorCode.Internal, 'the history benchmark uses no Lightning node');
  },
});

/**
 * When row `g` of `rows` (0 oldest) happened: the last {@link RECENT} evenly over the last 30
 * days, the ones before over the three years before that.
 */
function at(rows: number) {
  const older = Math.max(1, rows - RECENT);
  return sql`case when g >= ${rows - RECENT}
    then now() - interval '30 days' * ((${rows - 1} - g)::float8 / ${RECENT})
    else now() - interval '30 days' - interval '1095 days' * ((${older} - g)::float8 / ${older}) end`;
}

/** `rows` forwards of the LSP's node over 400 channel pairs, and as many ledger entries over 10 tenants. */
async function writeHistory(database: Database, rows: number): Promise<void> {
  const db = database.db;
  const tenants = new TenantsRepository(db);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push((await tenants.create(`history-${i}`)).id);
  const kinds = [
    'topup',
    'reservation_fee',
    'utilization_fee',
    'hosting_monthly_fee',
    'payment',
    'reservation_refund',
  ];
  const signs = [1, -1, -1, -1, -1, 1];
  for (let done = 0; done < rows; done += CHUNK) {
    const [from, to] = [done, Math.min(rows, done + CHUNK) - 1];
    progress(`${rows.toLocaleString('en')}: rows ${from.toLocaleString('en')}-${to.toLocaleString('en')}`);
    await sql`insert into node_forwards (node_id, idx, at, chan_in, chan_out, amt_in_msat, amt_out_msat, fee_msat)
      select 'lsp', g, ${at(rows)}, (100 + g % 20)::text, (200 + (g / 20) % 20)::text, 1000150, 1000000, 150
      from generate_series(${from}::int, ${to}::int) g`.execute(db);
    await sql`insert into ledger_entries (tenant_id, kind, amount_sat, reference, description, created_at)
      select (${ids}::uuid[])[1 + g % 10], (${kinds}::text[])[1 + g % 6],
             (${signs}::int[])[1 + g % 6] * (100 + g % 900), 'h' || g, 'history', ${at(rows)}
      from generate_series(${from}::int, ${to}::int) g`.execute(db);
  }
  await sql`analyze`.execute(db);
}

/** A server on `database` with an admin key: how to scrape it and read its figures. */
async function serve(database: Database) {
  const log = createLogger('silent', false);
  const config = loadConfig({ BLGV_METRICS_TOKEN: TOKEN }, () => '{}');
  const services = createServices({ config, database, lightning: noLightning, log });
  const app = buildApp({ log, lightning: noLightning, database, services });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const operator = await new TenantsRepository(database.db).create('operator');
  const key = await services.apiKeys.create(operator.id, 'admin');
  const figuresPath = '/v1/admin/lsp/figures';
  return {
    scrape: () => fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    figures: () =>
      fetch(`${url}${figuresPath}`, {
        headers: signRequest({ keyId: key.keyId, secret: key.secret, method: 'GET', path: figuresPath }),
      }),
    close: () => app.close(),
  };
}

/** `n` calls one after another: latencies in ms (each must answer 200). */
async function time(what: string, call: () => Promise<Response>, n = REQUESTS): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await call();
    await res.arrayBuffer();
    samples.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status}`);
  }
  return samples;
}

/** What a scrape summed before the running totals, over the whole history (ms, median of 10). */
async function oldScrapeSums(database: Database): Promise<number> {
  const figures = new BusinessFiguresRepository(database.db);
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await Promise.all([
      figures.revenuePerDay(new Date(0), 'lsp'),
      sql`select node_id, chan_in, chan_out, count(*), sum(amt_out_msat), sum(fee_msat)
        from node_forwards where node_id in ('lsp') group by 1, 2, 3`.execute(database.db),
    ]);
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/**
 * What keeping the totals costs a write: a charge appended to the ledger (one statement, as a
 * purchase's) and a batch of 100 forwards stored, with the totals' triggers on and off in turn
 * (ms each, medians of four rounds).
 */
async function writeCost(database: Database): Promise<Record<string, number>> {
  const db = database.db;
  const tenant = (await new TenantsRepository(db).create('write-cost')).id;
  await new LedgerRepository(db).append({
    tenantId: tenant,
    kind: 'topup',
    amount: 10n ** 12n,
    reference: 'w',
    description: '',
  });
  const triggers = async (on: boolean) => {
    const how = sql.raw(on ? 'enable' : 'disable');
    await sql`alter table ledger_entries ${how} trigger ledger_entries_totals`.execute(db);
    await sql`alter table node_forwards ${how} trigger node_forwards_totals`.execute(db);
  };
  let n = 0;
  let idx = 10_000_000;
  const charge = () =>
    new LedgerRepository(db).append({
      tenantId: tenant,
      kind: 'reservation_fee',
      amount: -1n,
      reference: `c${n++}`,
      description: '',
    });
  const forwards = () =>
    new NodeMonitoringRepository(db).addForwards(
      'lsp',
      Array.from({ length: 100 }, (_, i) => ({
        idx: BigInt(idx++),
        at: new Date(),
        chanIn: `${100 + (i % 20)}`,
        chanOut: `${200 + (i % 7)}`,
        amountIn: 1_000_150n,
        amountOut: 1_000_000n,
        fee: 150n,
      })),
    );
  const each = async (call: () => Promise<unknown>, times: number) => {
    const t0 = performance.now();
    for (let i = 0; i < times; i++) await call();
    return (performance.now() - t0) / times;
  };
  const rounds: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    rounds[k] = [...(rounds[k] ?? []), v];
  };
  try {
    for (let round = 0; round < 4; round++) {
      // Each order as often: what runs second is not favoured.
      for (const on of round % 2 === 0 ? [false, true] : [true, false]) {
        await triggers(on);
        add(`charge_${on ? 'with' : 'without'}_totals`, await each(charge, 300));
        add(`forwards_100_${on ? 'with' : 'without'}_totals`, await each(forwards, 30));
      }
    }
  } finally {
    await triggers(true);
  }
  return Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)]));
}

/** Runs the history part and prints its RESULT lines. */
export async function benchHistory(): Promise<void> {
  const sizes = [
    { name: '1k', rows: SMALL },
    { name: LARGE === 1_000_000 ? '1m' : `${LARGE}`, rows: LARGE },
  ];
  const lsps: {
    name: string;
    database: Database & { drop(): Promise<void> };
    server: Awaited<ReturnType<typeof serve>>;
  }[] = [];
  try {
    for (const s of sizes) {
      const database = await benchDatabase();
      lsps.push({ name: s.name, database, server: await serve(database) });
      const t0 = performance.now();
      await writeHistory(database, s.rows);
      progress(
        `${s.rows.toLocaleString('en')} forwards and ledger entries written in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
    // Warm-up (connections, plans); then the two take turns request by request, so drift in the
    // machine's load (other work on it) hits both alike.
    for (const l of lsps) {
      await time('scrape', l.server.scrape, 10);
      await time('figures', l.server.figures, 10);
    }
    const samples = new Map<string, number[]>();
    for (let round = 1; round <= 3; round++) {
      progress(`round ${round}/3: ${REQUESTS} scrapes and ${REQUESTS} figures per LSP, in turn`);
      for (let i = 0; i < REQUESTS; i++) {
        for (const what of ['scrape', 'figures'] as const) {
          for (const l of lsps) {
            const key = `${what}_${l.name}`;
            samples.set(key, [...(samples.get(key) ?? []), ...(await time(what, l.server[what], 1))]);
          }
        }
      }
    }
    const [small, large] = lsps;
    if (!small || !large) throw new Error('two histories expected');
    for (const what of ['scrape', 'figures']) {
      for (const l of lsps) {
        const xs = samples.get(`${what}_${l.name}`) ?? [];
        result(`history_${what}_median_ms_${l.name}`, median(xs), 'ms', 2);
        result(`history_${what}_p95_ms_${l.name}`, percentile(xs, 95), 'ms', 2);
      }
      const ratio =
        median(samples.get(`${what}_${large.name}`) ?? []) /
        median(samples.get(`${what}_${small.name}`) ?? []);
      result(`history_${what}_${large.name}_vs_${small.name}_ratio`, ratio, 'x', 2);
    }
    for (const l of lsps)
      result(`history_old_scrape_sums_ms_${l.name}`, await oldScrapeSums(l.database), 'ms', 2);
    // Last: it leaves rows the totals do not count (written with the triggers off).
    for (const [name, ms] of Object.entries(await writeCost(small.database)))
      result(`write_${name}_ms`, ms, 'ms', 3);
  } finally {
    for (const l of lsps) {
      await l.server.close();
      await l.database.drop();
    }
  }
}
