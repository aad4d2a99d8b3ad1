/**
 * JIT at launch scale. `BENCH_WALLETS` (default 20) new wallets (`lnd-lsps2-client` nodes with
 * no channel, running `runLsps2Client`) each buy a JIT scid, and alice sends all their first
 * payments at once: the LSP holds each HTLC, opens the channels that arrive together in one
 * funding transaction (`lsps2.batchWindowMs`, `BENCH_WINDOW_MS`, default the config's 50 ms;
 * the LSP's default menu, whose batch's funding is withheld until a member's client settles)
 * and forwards.
 * Baseline in the same run: right after, alice sends the same N payments at once again over
 * the channels now open (same path, same modifier). A single JIT open before the burst (one
 * wallet more, alone) gives the vbytes of one open's funding transaction.
 *
 * Prints the success count, median and p95 of each payment's time (from `sendPayment` called
 * to the preimage) in both rounds and their difference (the overhead), the funding
 * transactions the burst's channels share, and vbytes per channel against the lone open.
 * Goal (issue 22): all N succeed, p95 overhead under 1 s, at most 2 funding transactions,
 * vbytes per channel at most 0.4x a single open.
 *
 * `BENCH_LSP_COINS` (default 4) is how many confirmed coins the LSP's wallet starts with;
 * `BENCH_CLIENT_TRUSTS_LSP=0` sells "LSP trusts client" terms instead (the funding published at
 * the commit point). Also prints how busy the whole machine's CPUs were during each round (all
 * the nodes share it: a saturated machine bounds the figures), and how long this process's
 * event loop (the server's, beside the wallets' clients) made work wait during the burst, and
 * where each round's CPU time went (the LSP's LND, the wallets', alice's, this process, the rest),
 * how much more the LSP's LND and the whole machine used in the burst than in the baseline (the
 * opens' work), and that over the cores: an estimate of the least overhead the machine allows.
 * The rig (the wallets', alice's lnds, btcd) runs on one Go thread each (`BENCH_RIG_THREADS`)
 * and keeps its data in memory (`BENCH_RIG_DIR`); the LSP's LND runs as in production.
 * `BENCH_LSP_PROFILE=<file>` writes a CPU profile of the LSP's LND over the burst's first 3 s,
 * `BENCH_NODE_PROFILE=<file>` one of this process over the burst.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { msat, sat } from '@blgv/core';
import { Harness, type LndNode } from '@blgv/regtest';
import {
  chainTransaction,
  firstPayment,
  fundingTransactions,
  JitWallet,
  openChannelHint,
  payAtOnce,
  startTestLsp,
  within,
} from '@blgv/testkit';
import { busyPct, machineCpuMs, readMachineCpu, readProcessCpuMs } from './support/machine-cpu.ts';
import { median, percentile, sum } from './support/stats.ts';

const N = Number(process.env.BENCH_WALLETS ?? 20);
const WINDOW_MS = process.env.BENCH_WINDOW_MS === undefined ? undefined : Number(process.env.BENCH_WINDOW_MS);
/** How many confirmed outputs the LSP's wallet starts with (`BENCH_LSP_COINS`, default 4). */
const LSP_COINS = Number(process.env.BENCH_LSP_COINS ?? 4);
/**
 * The menu's terms: the LSP's default (client trusts LSP: the funding withheld until the
 * preimage) unless `BENCH_CLIENT_TRUSTS_LSP=0` ("LSP trusts client").
 */
const CLIENT_TRUSTS_LSP = process.env.BENCH_CLIENT_TRUSTS_LSP !== '0';
/**
 * `BENCH_LSP_PROFILE=<file>`: the LSP's LND serves Go's profiler, and a CPU profile of it over
 * the burst is written to that file (read it with `go tool pprof -top <file>`).
 */
const PROFILE_FILE = process.env.BENCH_LSP_PROFILE;
/**
 * `BENCH_NODE_PROFILE=<file>`: a V8 CPU profile of this process (the server and the wallets'
 * clients) over the burst, written to that file (open it in Chrome's DevTools, Performance).
 */
const NODE_PROFILE_FILE = process.env.BENCH_NODE_PROFILE;
const PROFILE_PORT = PROFILE_FILE ? 21_000 + (process.pid % 1_000) : undefined;
/**
 * The rig's Go runtimes: the wallets' and alice's lnds (stand-ins for devices of their own) and
 * btcd (the Bitcoin network) share this machine's few cores with the LSP. `BENCH_RIG_THREADS`
 * (default 1, 0 for Go's default of one per core) is how many threads each runs Go code on
 * (`GOMAXPROCS`): twenty-three runtimes of two threads each keep threads spinning for work
 * against each other. `BENCH_RIG_GOGC` (default Go's 100) is how much each lets its heap grow
 * before it collects. Both only change what the rig costs: the LSP's LND always runs with Go's
 * defaults.
 */
const RIG_THREADS = Number(process.env.BENCH_RIG_THREADS ?? 1);
const RIG_GOGC = process.env.BENCH_RIG_GOGC;
const rigEnv = {
  ...(RIG_THREADS > 0 ? { GOMAXPROCS: String(RIG_THREADS) } : {}),
  ...(RIG_GOGC ? { GOGC: RIG_GOGC } : {}),
};
/**
 * Where the rig's data lives (`BENCH_RIG_DIR`): the wallets', alice's and btcd's directories in
 * a directory backed by memory (default `/dev/shm` where there is one), so that their disk writes
 * (each channel's wallet keys, backups and states, fsynced by twenty-two processes) do not load
 * the disk and kernel the LSP's LND writes to; `disk` keeps them on disk beside the LSP's. The
 * LSP's LND always keeps its data on disk, as in production.
 */
const RIG_DIR = process.env.BENCH_RIG_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : 'disk');
const rig = { env: rigEnv, inMemory: true };
const AMOUNT = msat(50_000_000n);
/** Each JIT channel (sat): room for the first payment and the baseline's second. */
const CAPACITY = 250_000n;
/** The LSP's forwarding fees, set in its config below and used in the baseline's route hints. */
const ROUTING = { baseFee: msat(1_000n), feeRatePpm: 100 };
const result = (name: string, value: number, unit: string) =>
  process.stdout.write(`RESULT ${name} ${Number(value.toFixed(2))} ${unit}\n`);
const say = (line: string) => process.stdout.write(`# ${line}\n`);

/** Reads each group's CPU time now; `since` answers what each used after, the rest of `machineMs` as `other`. */
function cpuOf(groups: { lsp: LndNode; alice: LndNode; wallets: readonly LndNode[] }) {
  const read = () => ({
    lsp_lnd: groups.lsp.pid ? readProcessCpuMs(groups.lsp.pid) : 0,
    wallet_lnds: groups.wallets.reduce((ms, n) => ms + (n.pid ? readProcessCpuMs(n.pid) : 0), 0),
    alice_lnd: groups.alice.pid ? readProcessCpuMs(groups.alice.pid) : 0,
    bench_process: readProcessCpuMs(process.pid),
  });
  const before = read();
  return {
    since(machineMs: number): Record<string, number> {
      const after = read();
      const used = Object.fromEntries(
        Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]]),
      );
      const known = sum(Object.values(used));
      return { ...used, other: Math.max(0, machineMs - known) };
    },
  };
}

/**
 * With `BENCH_LSP_PROFILE`, a CPU profile of the LSP's LND over the next 3 s (the burst's first
 * seconds: Go's profiler takes its length up front), written to that file by `save`.
 */
function profileLsp(): { save(): Promise<void> } | undefined {
  if (!PROFILE_FILE || !PROFILE_PORT) return undefined;
  const fetching = fetch(`http://127.0.0.1:${PROFILE_PORT}/debug/pprof/profile?seconds=3`).then(async (r) => {
    if (!r.ok) throw new Error(`the profiler answered ${r.status}`);
    return Buffer.from(await r.arrayBuffer());
  });
  fetching.catch(() => {});
  return {
    async save() {
      writeFileSync(PROFILE_FILE, await fetching);
      say(`a CPU profile of the LSP's LND over the burst's first 3 s: ${PROFILE_FILE}`);
    },
  };
}

/** With `BENCH_NODE_PROFILE`, a V8 CPU profile of this process from now until `save`. */
async function profileSelf(): Promise<{ save(): Promise<void> } | undefined> {
  if (!NODE_PROFILE_FILE) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async save() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(NODE_PROFILE_FILE, JSON.stringify(profile));
      say(
        `a CPU profile of this process (the server, the wallets' clients) over the burst: ${NODE_PROFILE_FILE}`,
      );
    },
  };
}

const h = await Harness.start({ btcdEnv: rigEnv, ...(RIG_DIR === 'disk' ? {} : { memoryDir: RIG_DIR }) });
/** A funding transaction once published (a withheld one goes out after its payment settles). */
const published = (txid: string) =>
  h.waitFor(() => chainTransaction(h, txid).catch(() => false as const), {
    what: `funding ${txid} published`,
  });
const streams = new AbortController();
try {
  say(`starting alice, the LSP and ${N + 1} wallet nodes`);
  say(
    RIG_THREADS > 0
      ? `the rig's Go processes (wallets, alice, btcd) on ${RIG_THREADS} thread(s) each (BENCH_RIG_THREADS); the LSP's LND on Go's defaults`
      : "every Go process on Go's defaults (BENCH_RIG_THREADS=0)",
  );
  say(
    h.memoryDir
      ? `the rig's data (wallets, alice, btcd) in memory under ${RIG_DIR} (BENCH_RIG_DIR); the LSP's LND on disk`
      : "every node's data on disk (BENCH_RIG_DIR=disk)",
  );
  const nodes = await Promise.all([
    h.newNode('alice', rig),
    h.newNode('lsp', {
      requireInterceptor: true,
      ...(PROFILE_PORT ? { extraArgs: [`--profile=127.0.0.1:${PROFILE_PORT}`] } : {}),
    }),
    ...Array.from({ length: N + 1 }, (_, i) => h.newNode(`wallet${i}`, { lsps2Client: true, ...rig })),
  ]);
  const [alice, lsp, lone, ...burst] = nodes as [LndNode, LndNode, LndNode, ...LndNode[]];
  // The LSP's wallet: a few outputs, each enough for a whole burst's batch of CAPACITY channels.
  await h.fund(
    [alice, sat(BigInt(N) * 200_000n + 2_000_000n)],
    ...Array.from({ length: LSP_COINS }, () => [lsp, sat(BigInt(N) * CAPACITY + 1_000_000n)] as const),
  );
  const server = await startTestLsp(
    { h, alice, lsp, bob: alice },
    {
      file: {
        lsps2: {
          clientTrustsLsp: CLIENT_TRUSTS_LSP,
          minChannelSize: Number(CAPACITY),
          ...(WINDOW_MS === undefined ? {} : { batchWindowMs: WINDOW_MS }),
        },
        fees: { routing: { baseFeeMsat: Number(ROUTING.baseFee), feeRatePpm: ROUTING.feeRatePpm } },
      },
    },
  );
  try {
    const channel = await h.openChannel(alice, lsp, sat(BigInt(N) * 2n * 60_000n + 1_000_000n));
    await h.waitCanSend(alice, lsp, channel.scid, msat(AMOUNT * BigInt(N)));
    const loneWallet = await JitWallet.start(h, lone, lsp, streams.signal);
    const wallets = await Promise.all(burst.map((n) => JitWallet.start(h, n, lsp, streams.signal)));
    const { client } = await server.newTenant('bench');

    // One open alone: the funding transaction a single JIT channel costs.
    const single = await firstPayment(client, loneWallet, AMOUNT);
    const [alone] = await payAtOnce(alice, [single.paymentRequest]);
    if (alone?.status !== 'succeeded') throw new Error(`the lone JIT payment failed: ${alone?.failures}`);
    say(`a lone JIT first payment: ${alone.ms.toFixed(0)} ms`);
    const [loneTx] = [...(await fundingTransactions(lsp, [lone]))];
    if (!loneTx) throw new Error('no funding transaction for the lone JIT channel');
    const singleVsize = (await published(loneTx[0])).vsize;
    await h.mine(1); // the lone open's change confirms; the burst does not wait for it

    // The burst: N first payments at once.
    const firsts = await Promise.all(wallets.map((w) => firstPayment(client, w, AMOUNT)));
    say(`${N} first payments sent at once (lsps2.batchWindowMs ${WINDOW_MS ?? 'the default'})`);
    // The server runs in this process beside the wallets' clients: how long its work waited.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const burstCpu = readMachineCpu();
    const byProcess = cpuOf({ lsp, alice, wallets: wallets.map((w) => w.node) });
    const profile = profileLsp();
    const selfProfile = await profileSelf();
    const jit = await payAtOnce(
      alice,
      firsts.map((f) => f.paymentRequest),
    );
    const burstEnd = readMachineCpu();
    const burstBusy = busyPct(burstCpu, burstEnd);
    const burstByProcess = byProcess.since(machineCpuMs(burstCpu, burstEnd));
    loop.disable();
    await profile?.save();
    await selfProfile?.save();
    const succeeded = jit.filter((o) => o.status === 'succeeded').length;
    const txs = await fundingTransactions(
      lsp,
      wallets.map((w) => w.node),
    );
    let burstVsize = 0;
    for (const txid of txs.keys()) burstVsize += (await published(txid)).vsize;
    const channels = sum([...txs.values()]);
    say(`funding transactions: ${[...txs].map(([t, n]) => `${t.slice(0, 8)}… ${n} channels`).join(', ')}`);

    // Baseline: the same N payments at once over the channels now open.
    // (Only the wallets whose first payment went through have a channel to pay over.)
    const paid = wallets.filter((_, i) => jit[i]?.status === 'succeeded');
    const again = await Promise.all(
      paid.map(async (w) => {
        const list = await h.waitFor(
          async () => {
            const l = await w.node.lnd.listChannels(within());
            return l.length === 1 && l.every((c) => c.active && c.pendingHtlcs === 0) && l;
          },
          { what: `${w.node.name}'s channel to settle` },
        );
        return (
          await w.node.lnd.addInvoice(
            { amount: AMOUNT, routeHints: [[openChannelHint(lsp, list[0], ROUTING)]] },
            within(),
          )
        ).paymentRequest;
      }),
    );
    const openCpu = readMachineCpu();
    const openByProcessStart = cpuOf({ lsp, alice, wallets: paid.map((w) => w.node) });
    const open = await payAtOnce(alice, again);
    const openEnd = readMachineCpu();
    const openBusy = busyPct(openCpu, openEnd);
    const openByProcess = openByProcessStart.since(machineCpuMs(openCpu, openEnd));
    const failures = [...jit, ...open].flatMap((o) => o.failures);
    if (failures.length > 0) say(`failures: ${failures.join(', ')}`);
    const openSucceeded = open.filter((o) => o.status === 'succeeded').length;

    const ms = (os: typeof jit) => os.filter((o) => o.status === 'succeeded').map((o) => o.ms);
    const [jitMs, openMs] = [ms(jit), ms(open)];
    result('jit_burst_wallets', N, 'wallets');
    result('jit_burst_succeeded', succeeded, 'payments');
    result('open_channel_burst_succeeded', openSucceeded, 'payments');
    result('jit_burst_median_ms', median(jitMs), 'ms');
    result('jit_burst_p95_ms', percentile(jitMs, 95), 'ms');
    result('open_channel_burst_median_ms', median(openMs), 'ms');
    result('open_channel_burst_p95_ms', percentile(openMs, 95), 'ms');
    result('jit_burst_median_overhead_ms', median(jitMs) - median(openMs), 'ms');
    result('jit_burst_p95_overhead_ms', percentile(jitMs, 95) - percentile(openMs, 95), 'ms');
    result('jit_burst_funding_transactions', txs.size, 'transactions');
    // How busy the whole machine was (every LND node, btcd, Postgres, the server, this process).
    result('jit_burst_machine_cpu_busy', burstBusy, '%');
    result('open_channel_burst_machine_cpu_busy', openBusy, '%');
    // Where the burst's CPU time went (ms of CPU, all cores): the LSP's LND, the wallets' LNDs,
    // alice's, this process (the server and the wallets' clients), the rest (btcd, Postgres…).
    for (const [who, ms] of Object.entries(burstByProcess)) result(`jit_burst_cpu_${who}_ms`, ms, 'ms');
    for (const [who, ms] of Object.entries(openByProcess))
      result(`open_channel_burst_cpu_${who}_ms`, ms, 'ms');
    // What the opens cost the LSP's LND beyond forwarding the same payments: its funding work,
    // which it does one channel at a time (the last channel of the burst waits for all of it).
    result(
      'jit_burst_lsp_lnd_cpu_beyond_baseline_ms',
      (burstByProcess.lsp_lnd ?? 0) - (openByProcess.lsp_lnd ?? 0),
      'ms',
    );
    // What the opens cost the whole machine (every process), and that over its cores: how long
    // that work keeps every core busy. Where both rounds keep the cores busy, it estimates the
    // least overhead this machine allows, whatever the LSP does.
    const beyond = sum(Object.values(burstByProcess)) - sum(Object.values(openByProcess));
    result('jit_burst_cpu_beyond_baseline_ms', beyond, 'ms');
    result('jit_burst_overhead_floor_ms', beyond / availableParallelism(), 'ms');
    result('jit_burst_event_loop_delay_p99_ms', loop.percentile(99) / 1e6, 'ms');
    result('jit_burst_event_loop_delay_max_ms', loop.max / 1e6, 'ms');
    result('single_open_vbytes', singleVsize, 'vB');
    result('jit_burst_vbytes_per_channel', burstVsize / Math.max(channels, 1), 'vB');
    result(
      'jit_burst_vbytes_per_channel_vs_single_open',
      burstVsize / Math.max(channels, 1) / singleVsize,
      'x',
    );
  } finally {
    await server.stop();
  }
} finally {
  streams.abort();
  await h.stop();
}
