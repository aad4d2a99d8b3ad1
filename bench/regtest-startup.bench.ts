/**
 * How long the regtest harness takes to start btcd (with segwit active) and three funded LND
 * nodes, and to open a channel: the fixed cost every integration test and `npm start` pays.
 * Baseline in the same run: starting btcd alone. Runs `ROUNDS` times and prints medians.
 */
import { sat } from '@blgv/core';
import { Harness } from '@blgv/regtest';
import { median } from './support/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const btcdOnly: number[] = [];
const nodes: number[] = [];
const funded: number[] = [];
const channel: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t0 = performance.now();
  const h = await Harness.start();
  const t1 = performance.now();
  const [a, b, c] = await Promise.all([h.newNode('alice'), h.newNode('lsp'), h.newNode('bob')]);
  const t2 = performance.now();
  await h.fund([a, sat(10_000_000)], [b, sat(10_000_000)], [c, sat(10_000_000)]);
  const t3 = performance.now();
  await h.openChannel(a, b, sat(1_000_000));
  const t4 = performance.now();
  await h.stop();
  btcdOnly.push(t1 - t0);
  nodes.push(t2 - t0);
  funded.push(t3 - t0);
  channel.push(t4 - t3);
}
const line = (name: string, value: number, unit: string) =>
  process.stdout.write(`RESULT ${name} ${value.toFixed(0)} ${unit}\n`);
line('regtest_btcd_segwit_ms', median(btcdOnly), 'ms');
line('regtest_btcd_3_nodes_ms', median(nodes), 'ms');
line('regtest_btcd_3_funded_nodes_ms', median(funded), 'ms');
line('regtest_open_announced_channel_ms', median(channel), 'ms');
process.stdout.write(
  `RESULT regtest_3_funded_nodes_vs_btcd_ratio ${(median(funded) / median(btcdOnly)).toFixed(1)} x\n`,
);
