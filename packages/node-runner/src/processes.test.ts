import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { pidAlive } from './processes.ts';

test('pidAlive: this process is alive, an exited child is not', async () => {
  assert.equal(pidAlive(process.pid), true);
  const child = spawn('sleep', ['30']);
  assert.ok(child.pid);
  assert.equal(pidAlive(child.pid), true);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(pidAlive(child.pid), false);
});

test('pidAlive: a zombie (exited, not yet reaped by its parent) is not alive', async () => {
  // sh starts a child that exits at once, then becomes `sleep` (which never reaps it).
  const sh = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [line] = (await once(sh.stdout, 'data')) as [Buffer];
  const zombie = Number(line.toString().trim());
  try {
    await pollUntil(() => !pidAlive(zombie));
    assert.equal(pidAlive(zombie), false);
  } finally {
    sh.kill('SIGKILL');
  }
});

async function pollUntil(ok: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
