import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Harness } from './harness.ts';

test('with a memory directory, btcd and the inMemory nodes keep their data there, the others in the temp dir; stop removes both', async () => {
  // Stands for a tmpfs such as /dev/shm: what the harness does with it is the same.
  const memory = mkdtempSync(join(tmpdir(), 'blgv-memory-root-'));
  try {
    const h = await Harness.start({ memoryDir: memory });
    try {
      const memoryDir = h.memoryDir ?? assert.fail('the harness made no memory dir');
      assert.ok(memoryDir.startsWith(memory), `the harness's memory dir ${memoryDir} is under ${memory}`);
      assert.ok(existsSync(join(memoryDir, 'btcd')), "btcd's data is in the memory dir");
      assert.ok(!existsSync(join(h.dir, 'btcd')), "no btcd data in the harness's temp dir");
      const [rig, measured] = await Promise.all([
        h.newNode('rig', { inMemory: true }),
        h.newNode('measured'),
      ]);
      assert.equal(rig.dir, join(memoryDir, 'rig'));
      assert.equal(measured.dir, join(h.dir, 'measured'));
      // Both nodes run from where their data is.
      const height = await h.mine(1);
      assert.equal((await rig.waitSynced(height)).blockHeight, height);
      assert.ok(existsSync(join(rig.dir, 'tls.cert')));
      assert.ok(existsSync(join(measured.dir, 'tls.cert')));
    } finally {
      await h.stop();
    }
    assert.ok(!existsSync(h.dir), 'the temp dir is removed at stop');
    assert.deepEqual(readdirSync(memory), [], 'the memory dir is removed at stop');
  } finally {
    rmSync(memory, { recursive: true, force: true });
  }
});
