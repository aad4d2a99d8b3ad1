import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { create } from 'tar';
import { type ArchiveManifest, NodeArchives, openArchive } from './node-archives.ts';

const root = mkdtempSync(join(tmpdir(), 'blgv-archives-'));
after(() => rmSync(root, { recursive: true, force: true }));

const manifest: ArchiveManifest = {
  nodeId: 'n0123',
  tenantId: 't1',
  pubkey: `02${'ab'.repeat(32)}`,
  alias: 'merchant',
  createdAt: '2026-12-01T00:00:00.000Z',
  archivedAt: '2026-12-04T00:00:00.000Z',
  sealedSecrets: 'sealed-seed',
  channelBackup: 'YmFja3Vw',
  sweeps: [{ txid: 'aa'.repeat(32), amount: '299000', address: 'bcrt1qtenant' }],
};

/** A node directory as a driver would export it. */
function nodeData(): AsyncIterable<Uint8Array> {
  const data = join(root, 'data');
  mkdirSync(join(data, 'n0123', 'lnd'), { recursive: true });
  writeFileSync(join(data, 'n0123', 'lnd', 'wallet.db'), randomBytes(100_000));
  writeFileSync(join(data, 'n0123', 'node.json'), '{"ports":{}}');
  return create({ gzip: true, cwd: data, portable: true }, ['n0123']) as unknown as AsyncIterable<Uint8Array>;
}

test('an archive opens back to its manifest and the node data, only with its key', async () => {
  const key = randomBytes(32);
  const archives = new NodeArchives({ dir: join(root, 'archives'), key });
  const ref = await archives.write(manifest, nodeData());
  assert.match(ref, /^n0123-\d+\.blgv-archive$/);
  assert.deepEqual(readdirSync(archives.dir), [ref], 'no partial file is left');
  const out = join(root, 'out');
  assert.deepEqual(await openArchive(join(archives.dir, ref), key, out), manifest);
  assert.deepEqual(
    readFileSync(join(out, 'n0123', 'lnd', 'wallet.db')),
    readFileSync(join(root, 'data', 'n0123', 'lnd', 'wallet.db')),
  );
  await assert.rejects(openArchive(join(archives.dir, ref), randomBytes(32), join(root, 'wrong')));
  assert.ok((archives.size(ref) ?? 0) > 0);
  archives.purge(ref);
  assert.equal(archives.size(ref), undefined);
  assert.throws(() => archives.purge('../etc/passwd'), /not an archive reference/);
});

test('an altered archive is refused and nothing is extracted from it', async () => {
  const key = randomBytes(32);
  const archives = new NodeArchives({ dir: join(root, 'archives2'), key });
  const ref = await archives.write(manifest, nodeData());
  const file = join(archives.dir, ref);
  const bytes = readFileSync(file);
  bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 1;
  writeFileSync(file, bytes);
  const out = join(root, 'tampered');
  await assert.rejects(openArchive(file, key, out), /authenticate/);
  assert.deepEqual(readdirSync(out), []);
});
