/**
 * Hosted nodes: how long a node takes to create, and what an idle one costs in memory and CPU.
 *
 * `BENCH_NODES` times (default 10), one after another, a tenant calls `POST /v1/nodes` through
 * the SDK (`tenant.nodes.create`, no channels, autopilot off) against an LSP with hosting on the
 * regtest network: charge the first month, start a detached lnd, `GenSeed` + stateless
 * `InitWallet`, wait for its RPC, bake two macaroons, store the sealed secrets. The figure runs
 * from the request sent to the answer with `status: 'running'`; it is split into phases at
 * lines of the node's lnd log. Not timed: the node must then answer `GetInfo` through its
 * `endpoint` with the customer's macaroon and report itself synced to chain (a node that never
 * does stops the run, naming the cause when btcd refused its connections).
 *
 * Baseline in the same run, first: `BENCH_BARE_NODES` (default 3) bare lnd nodes started one
 * after another by the regtest harness (`h.newNode`: lnd creates its own wallet,
 * `--noseedbackup`, and the harness waits until it is synced), i.e. what LND alone needs; they
 * are stopped before the hosted nodes start (btcd serves few websocket clients, see
 * {@link whyNotSynced}).
 *
 * Idle cost, for both kinds: the resident memory (VmRSS) of each lnd process, sampled until the
 * total settles, and its CPU use over that window; from the median RSS, how many nodes fit in
 * 24 GiB. Prints medians, p95 (nearest rank) and the hosted vs bare ratios.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sat } from '@blgv/core';
import type { HostedNodeResponse } from '@blgv/protocol';
import { Harness, type LndNode, pidAlive, waitFor } from '@blgv/regtest';
import { nodeRest, startHostingLsp, topUp } from '@blgv/testkit';
import { result } from './support/database.ts';
import { median, percentile, sum } from './support/stats.ts';

const NODES = Number(process.env.BENCH_NODES ?? 10);
const BARE_NODES = Number(process.env.BENCH_BARE_NODES ?? Math.min(NODES, 3));
const GIB_KIB = 1024 * 1024;
const MACHINE_KIB = 24 * GIB_KIB;
/** RSS has settled when the sum over all nodes moved less than this between two samples. */
const SETTLED = 0.01;
const SAMPLE_MS = 2_000;
const MAX_SAMPLES = 30;
/** Long enough to include a check of the LSP's node keeper (every 5 s, set below). */
const CPU_WINDOW_MS = 10_000;
/** Linux's USER_HZ, the unit of `/proc/<pid>/stat` times. */
const CLOCK_TICKS = 100;

/** A process's resident memory in KiB, from `/proc/<pid>/status`. */
function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** CPU time a process has used (user + system), in ms, from `/proc/<pid>/stat`. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name: state is field 3, utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/**
 * Idle figures of `pids`: RSS sampled until the total settles (moves less than
 * {@link SETTLED} over two intervals in a row), per pid the last sample; and the CPU each used
 * over the sampling window (at least {@link CPU_WINDOW_MS}), in % of one core.
 */
async function idle(pids: readonly number[]): Promise<{ rssKiB: number[]; cpuPct: number[] }> {
  if (pids.length === 0) return { rssKiB: [], cpuPct: [] };
  const [t0, cpu0] = [performance.now(), pids.map(cpuMs)];
  let last = pids.map(rssKiB);
  let steady = 0;
  for (let i = 1; i < MAX_SAMPLES && (steady < 2 || performance.now() - t0 < CPU_WINDOW_MS); i++) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const now = pids.map(rssKiB);
    const [before, after] = [sum(last), sum(now)];
    process.stdout.write(`# RSS sample ${i}: ${(after / 1024).toFixed(0)} MiB over ${pids.length} lnd\n`);
    last = now;
    steady = Math.abs(after - before) / before < SETTLED ? steady + 1 : 0;
  }
  const window = performance.now() - t0;
  return { rssKiB: last, cpuPct: pids.map((pid, i) => ((cpuMs(pid) - (cpu0[i] ?? 0)) / window) * 100) };
}

/** Phases of a start, each ending at the first line of the lnd log that matches its mark. */
type LogMarks = readonly (readonly [phase: string, mark: RegExp])[];

/** A hosted node's creation, from the request sent; the last phase ends at the answer. */
const HOSTED_MARKS: LogMarks = [
  // API, signature, quote, balance, charge, ports, node.json, spawn.
  ['request_to_lnd_start', /./],
  ['lnd_start_to_wallet_rpc', /Waiting for wallet encryption password/],
  // The driver sees the port, then GenSeed and InitWallet (stateless): LND creating the wallet.
  ['wallet_rpc_to_wallet_created', /Opened wallet/],
  // LND unlocking the wallet and starting its subsystems until its RPC takes calls.
  ['wallet_created_to_rpc_active', /Waiting for chain backend to finish sync/],
  // Then, to the answer: GetInfo retried until LND takes calls, 2 macaroons baked, secrets
  // sealed, rows written ('rpc_active_to_end').
];

/** A bare lnd's start (`--noseedbackup`: it creates its wallet itself); it ends synced. */
const BARE_MARKS: LogMarks = [
  ['call_to_lnd_start', /./],
  ['lnd_start_to_wallet_created', /Opened wallet/],
  ['wallet_created_to_rpc_active', /Waiting for chain backend to finish sync/],
];

/**
 * Milliseconds of each phase from `start` to `end` (epoch ms), split at the marks' lines of
 * `logFile` (`YYYY-MM-DD hh:mm:ss.mmm`, this machine's clock); NaN for a mark not found.
 */
function phasesOf(logFile: string, marks: LogMarks, start: number, end: number): Record<string, number> {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  const at = (line: string) => {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) /.exec(line);
    return m ? new Date(`${m[1]}T${m[2]}`).getTime() : undefined;
  };
  const out: Record<string, number> = {};
  let previous = start;
  for (const [phase, mark] of marks) {
    const line = lines.find((l) => at(l) !== undefined && mark.test(l));
    const t = line === undefined ? Number.NaN : (at(line) ?? Number.NaN);
    out[phase] = t - previous;
    previous = t;
  }
  out.rpc_active_to_end = end - previous;
  return out;
}

/** Adds one start's phases to `into`; returns them as `name ms, …` for the log. */
function addPhases(into: Record<string, number[]>, phases: Record<string, number>): string {
  for (const [k, v] of Object.entries(phases)) into[k] = [...(into[k] ?? []), v];
  return Object.entries(phases)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');
}

/**
 * Why a node that answered `running` never synced: btcd serves at most 25 websocket clients
 * (`--rpcmaxwebsockets`, default 25) and every lnd holds 3-4 of them.
 */
function whyNotSynced(h: Harness): string {
  const log = readFileSync(join(h.dir, 'btcd', 'btcd.out.log'), 'utf8');
  const refused = /Max websocket clients exceeded \[(\d+)\]/.exec(log);
  return refused
    ? `btcd refuses its chain connections: "Max websocket clients exceeded [${refused[1]}]"`
    : 'see its lnd.out.log';
}

const h = await Harness.start();
const leftover: number[] = [];
try {
  const [alice, lsp] = await Promise.all([h.newNode('alice'), h.newNode('lsp')]);
  await h.fund([alice, sat(10_000_000)]);

  // Baseline: bare lnd nodes one after another, their idle RSS, then stopped (btcd's websocket
  // slots are few; see whyNotSynced).
  const bare: number[] = [];
  const bareNodes: LndNode[] = [];
  const barePhases: Record<string, number[]> = {};
  for (let i = 0; i < BARE_NODES; i++) {
    const called = Date.now();
    const t0 = performance.now();
    const node = await h.newNode(`bare${i}`);
    bare.push(performance.now() - t0);
    bareNodes.push(node);
    const split = phasesOf(join(node.dir, 'lnd.out.log'), BARE_MARKS, called, Date.now());
    process.stdout.write(
      `# bare lnd ${i}: ${bare.at(-1)?.toFixed(0)} ms (${addPhases(barePhases, split)})\n`,
    );
  }
  const bareIdle = await idle(bareNodes.map((n) => n.pid ?? Number.NaN));
  await Promise.all(bareNodes.map((n) => n.stop()));

  // Production's job intervals (the test helper polls every 500 ms), room for every node.
  const hosting = await startHostingLsp(
    { h, alice, lsp, bob: alice },
    {
      maxNodes: NODES,
      maxNodesPerTenant: NODES,
      checkIntervalMs: 5_000,
      billingIntervalMs: 60_000,
      // The helper's range holds 40 nodes (3 ports each); more get a range of their own.
      ...(NODES > 40 ? { portFrom: 12_000, portTo: 12_000 + 3 * NODES + 29 } : {}),
    },
  );
  try {
    const { client: tenant } = await hosting.lsp.newTenant('bench');
    const quote = await tenant.nodes.quote({ alias: 'bench' });
    const needed = sat(BigInt(quote.total) * BigInt(NODES));
    await h.openChannel(alice, lsp, sat((needed * 11n) / 10n + 100_000n));
    await topUp(h, alice, tenant, Number(needed));

    const hosted: number[] = [];
    const synced: number[] = [];
    const hostedPids: number[] = [];
    const phases: Record<string, number[]> = {};
    for (let i = 0; i < NODES; i++) {
      const sent = Date.now();
      const t0 = performance.now();
      let created: HostedNodeResponse;
      try {
        created = await tenant.nodes.create({ alias: `bench-${i}` });
      } catch (err) {
        process.stdout.write(`# hosted node ${i} failed: ${err instanceof Error ? err.message : err}\n`);
        process.exitCode = 1;
        break;
      }
      const ms = performance.now() - t0;
      const answered = Date.now();
      if (created.status !== 'running') throw new Error(`node ${i} answered ${created.status}`);
      const pid = hosting.pidOf(created.nodeId);
      leftover.push(pid);
      // Not timed as creation: the node answers through its endpoint with the customer's
      // macaroon and reaches its chain backend (what the bare baseline waits for).
      const mac = created.macaroon ?? '';
      const ok = await waitFor(
        async () =>
          (await nodeRest<{ synced_to_chain?: boolean }>(created.endpoint, mac, 'GET', '/v1/getinfo')).body
            .synced_to_chain === true,
        { what: `hosted node ${i} synced to chain`, timeoutMs: 30_000 },
      ).catch(() => false);
      if (!ok) {
        process.stdout.write(
          `# hosted node ${i} answered running in ${ms.toFixed(0)} ms but is not synced to chain after 30 s: ${whyNotSynced(h)}\n`,
        );
        process.exitCode = 1;
        break;
      }
      hosted.push(ms);
      synced.push(performance.now() - t0);
      hostedPids.push(pid);
      const split = phasesOf(
        join(hosting.dataDir, created.nodeId, 'lnd.out.log'),
        HOSTED_MARKS,
        sent,
        answered,
      );
      process.stdout.write(
        `# hosted node ${i}: ${ms.toFixed(0)} ms, synced ${synced.at(-1)?.toFixed(0)} ms (${addPhases(phases, split)})\n`,
      );
    }
    const hostedIdle = await idle(hostedPids);

    const [hMed, bMed] = [median(hosted), median(bare)];
    result('hosted_nodes_created', hosted.length, 'nodes', 0);
    result('bare_lnd_start_ms', bMed, 'ms', 0);
    result('bare_lnd_start_p95_ms', percentile(bare, 95), 'ms', 0);
    result('hosted_node_create_ms', hMed, 'ms', 0);
    result('hosted_node_create_p95_ms', percentile(hosted, 95), 'ms', 0);
    result('hosted_vs_bare_create_ratio', hMed / bMed, 'x', 2);
    result('hosted_node_create_to_synced_ms', median(synced), 'ms', 0);
    result('hosted_to_synced_vs_bare_ratio', median(synced) / bMed, 'x', 2);
    for (const [phase, ms] of Object.entries(barePhases)) result(`bare_${phase}_ms`, median(ms), 'ms', 0);
    for (const [phase, ms] of Object.entries(phases)) result(`hosted_${phase}_ms`, median(ms), 'ms', 0);
    const [hRss, bRss] = [median(hostedIdle.rssKiB), median(bareIdle.rssKiB)];
    result('bare_lnd_idle_rss_mib', bRss / 1024, 'MiB', 1);
    result('hosted_node_idle_rss_mib', hRss / 1024, 'MiB', 1);
    result('hosted_node_idle_rss_max_mib', Math.max(...hostedIdle.rssKiB) / 1024, 'MiB', 1);
    result('hosted_vs_bare_rss_ratio', hRss / bRss, 'x', 2);
    result('hosted_nodes_per_24gib', Math.floor(MACHINE_KIB / hRss), 'nodes', 0);
    result('bare_lnd_idle_cpu_pct', median(bareIdle.cpuPct), '%', 2);
    result('hosted_node_idle_cpu_pct', median(hostedIdle.cpuPct), '%', 2);
  } finally {
    await hosting.stop();
  }
} finally {
  await h.stop();
  // No process left behind: hosting.stop() SIGKILLed the detached nodes; give them a moment.
  const alive = await waitFor(() => leftover.every((pid) => !pidAlive(pid)), {
    what: 'hosted lnd processes to exit',
    timeoutMs: 10_000,
  })
    .then(() => [])
    .catch(() => leftover.filter(pidAlive));
  if (alive.length > 0) {
    process.stderr.write(`hosted lnd processes still running: ${alive.join(', ')}\n`);
    process.exitCode = 1;
  }
}
