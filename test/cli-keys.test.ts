/**
 * Story: an operator creates and revokes API keys with the CLI on a persistent database; the
 * secret printed once verifies against the encrypted copy the server would read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { signRequest } from '@blgv/protocol';
import { ApiKeys, SecretBox } from '@blgv/server';
import { ApiKeysRepository, openDatabase } from '@blgv/store';

const cli = join(import.meta.dirname, '..', 'packages', 'cli', 'src', 'main.ts');

test('keys create prints a working key once; keys revoke disables it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'blgv-keys-'));
  const secretsKey = 'cd'.repeat(32);
  const env = { ...process.env, BLGV_DATA_DIR: dir, BLGV_SECRETS_KEY: secretsKey };
  try {
    const created = spawnSync(
      process.execPath,
      [cli, 'keys', 'create', '--tenant', 'acme', '--scope', 'admin'],
      { env, encoding: 'utf8' },
    );
    assert.equal(created.status, 0, created.stderr);
    const keyId = /key id:\s+(\S+)/.exec(created.stdout)?.[1];
    const secret = /secret:\s+(\S+)/.exec(created.stdout)?.[1];
    assert.ok(keyId && secret);

    const bad = spawnSync(process.execPath, [cli, 'keys', 'create', '--tenant', 'acme', '--scope', 'root'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--scope must be tenant or admin/);

    const verify = async () => {
      const database = await openDatabase({ kind: 'pglite', dataDir: dir });
      try {
        const keys = new ApiKeys(
          new ApiKeysRepository(database.db),
          new SecretBox(Buffer.from(secretsKey, 'hex')),
        );
        return await keys.authenticate({
          headers: signRequest({ keyId, secret, method: 'GET', path: '/v1/account' }),
          method: 'GET',
          url: '/v1/account',
          body: new Uint8Array(),
        });
      } finally {
        await database.close();
      }
    };
    assert.equal((await verify()).scope, 'admin');

    const revoked = spawnSync(process.execPath, [cli, 'keys', 'revoke', keyId], { env, encoding: 'utf8' });
    assert.equal(revoked.status, 0, revoked.stderr);
    await assert.rejects(verify(), /signature is missing or invalid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
