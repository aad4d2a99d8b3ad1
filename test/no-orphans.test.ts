/**
 * Story: however the process that started a regtest network ends (Ctrl-C, SIGKILL, a crash),
 * no btcd or lnd process outlives it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pidAlive, waitFor } from '@blgv/regtest';

const child = join(import.meta.dirname, 'fixtures', 'harness-child.ts');

/** Starts the fixture and resolves with the pids it reports once its network is up. */
async function startChild(mode: 'wait' | 'crash') {
  const proc = spawn(process.execPath, [child, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const report = await waitFor(
    () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      return line ? (JSON.parse(line) as { pids: number[]; dir: string }) : undefined;
    },
    { what: 'the child to start its network', timeoutMs: 90_000 },
  );
  assert.equal(report.pids.length, 2);
  for (const pid of report.pids) assert.ok(pidAlive(pid), `pid ${pid} runs while its parent does`);
  return { proc, exited, ...report };
}

function allGone(pids: number[]): Promise<boolean> {
  return waitFor(() => pids.every((p) => !pidAlive(p)), {
    what: `pids ${pids.join(', ')} to exit`,
    timeoutMs: 30_000,
  });
}

test('Ctrl-C stops btcd and lnd and removes the temp dir', async () => {
  const { proc, exited, pids, dir } = await startChild('wait');
  proc.kill('SIGINT');
  await exited;
  assert.equal(proc.exitCode, 130);
  await allGone(pids);
  assert.equal(existsSync(dir), false);
});

test('SIGKILL of the parent still takes btcd and lnd down', async () => {
  const { proc, exited, pids, dir } = await startChild('wait');
  proc.kill('SIGKILL');
  await exited;
  await allGone(pids);
  rmSync(dir, { recursive: true, force: true }); // a killed parent cannot remove it
});

test('an uncaught exception in the parent takes btcd and lnd down', async () => {
  const { proc, exited, pids, dir } = await startChild('crash');
  proc.kill('SIGUSR2');
  await exited;
  assert.notEqual(proc.exitCode, 0);
  await allGone(pids);
  rmSync(dir, { recursive: true, force: true }); // kept by a crash, for its logs
});
