import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileWritten } from './files.ts';

test('a file counts as written only once it holds something', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blgv-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'admin.macaroon');
  assert.equal(fileWritten(path), false, 'missing');
  writeFileSync(path, '');
  assert.equal(fileWritten(path), false, 'created, still empty');
  writeFileSync(path, Buffer.from([2, 1, 3]));
  assert.equal(fileWritten(path), true);
});
