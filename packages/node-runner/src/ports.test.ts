import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { claimPortBlock } from './ports.ts';

const dir = mkdtempSync(join(tmpdir(), 'port-blocks-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Three blocks of 10: 40,000–40,029. */
const range = { dir, from: 40_000, to: 40_029 };

test('claimPortBlock hands each block out once, skips blocks a live process holds, takes over a dead one', () => {
  // Block 40,010 is held by a live process (init), block 40,020 by a pid that is gone.
  writeFileSync(join(dir, '40010-10'), '1');
  writeFileSync(join(dir, '40020-10'), '2147483646');
  const first = claimPortBlock(10, range);
  const second = claimPortBlock(10, range);
  assert.deepEqual(
    [first, second].map((b) => b.from).sort(),
    [40_000, 40_020],
    'the free block and the dead holder’s, not the live holder’s',
  );
  assert.equal(first.to - first.from, 9);
  for (const b of [first, second])
    assert.equal(
      readFileSync(join(dir, `${b.from}-10`), 'utf8'),
      String(process.pid),
      'the lock names this process',
    );
  assert.throws(() => claimPortBlock(10, range), /held by a live process/, 'no block is left');
});

test('a process releases its blocks when it exits', () => {
  const other = { dir: join(dir, 'exit'), from: 41_000, to: 41_009 };
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { claimPortBlock } from ${JSON.stringify(new URL('./ports.ts', import.meta.url).href)};
       const b = claimPortBlock(10, ${JSON.stringify(other)});
       console.log(b.from);`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(child.stdout.trim(), '41000', child.stderr);
  assert.equal(existsSync(join(other.dir, '41000-10')), false, 'the lock is gone with its process');
  assert.equal(claimPortBlock(10, other).from, 41_000);
});
