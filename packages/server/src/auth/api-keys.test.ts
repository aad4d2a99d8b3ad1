import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLspError } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { ApiKeysRepository, type Database, openMigratedMemoryDatabase, TenantsRepository } from '@blgv/store';
import { ApiKeys } from './api-keys.ts';
import { SecretBox } from './secret-box.ts';

const MIN = 60_000;

/** An API key repository on `database` that counts its reads of keys. */
function countingRepo(database: Database) {
  const counted = { reads: 0 };
  const repo = new (class extends ApiKeysRepository {
    override get(id: string) {
      counted.reads += 1;
      return super.get(id);
    }
  })(database.db);
  return { repo, counted };
}

test('a request stamped 5 minutes ahead is refused on replay at any later time', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    // The real time: the database stamps rows with its own clock.
    const start = Date.now();
    let now = start;
    const keys = new ApiKeys(new ApiKeysRepository(database.db), SecretBox.ephemeral(), {
      now: () => now,
      cacheMs: 0,
    });
    const tenant = await new TenantsRepository(database.db).create('clock-skew');
    const key = await keys.create(tenant.id, 'tenant');
    const headers = signRequest({
      keyId: key.keyId,
      secret: key.secret,
      method: 'GET',
      path: '/v1/account',
      now: start + 5 * MIN,
    });
    const request = { headers, method: 'GET', url: '/v1/account', body: new Uint8Array() };

    assert.equal((await keys.authenticate(request)).tenantId, tenant.id, 'accepted once');
    // Replays from just after the first use until long after the timestamp left the window,
    // with the nonce pruning job run before each: refused on the nonce while the timestamp
    // could still pass, on the timestamp after.
    let pruned = 0n;
    for (const at of [1, 6, 7, 9, 9.9, 10.1, 11, 12, 60]) {
      now = start + at * MIN;
      pruned += await keys.pruneNonces();
      const expected = at < 10 ? 'nonce_reused' : 'stale_timestamp';
      await assert.rejects(
        keys.authenticate(request),
        (e: unknown) => isLspError(e, expected),
        `replay at +${at} min is refused with ${expected}`,
      );
    }
    assert.equal(pruned, 1n, 'the nonce was forgotten once its request could no longer pass');
  } finally {
    await database.close();
  }
});

test('an unknown key id is refused from memory for unknownCacheMs, then read again', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const { repo, counted } = countingRepo(database);
    let now = Date.now();
    const box = SecretBox.ephemeral();
    const keys = new ApiKeys(repo, box, { now: () => now, unknownCacheMs: 30_000 });
    const tenant = await new TenantsRepository(database.db).create('negative-cache');
    const real = await keys.create(tenant.id, 'tenant');
    const request = (keyId: string, secret: string) => {
      const headers = signRequest({ keyId, secret, method: 'GET', path: '/v1/account', now });
      return { headers, method: 'GET', url: '/v1/account', body: new Uint8Array() };
    };
    const ghost = 'key_000000000000000000000000';
    const refused = (e: unknown) => isLspError(e, 'unauthorized');

    await assert.rejects(keys.authenticate(request(ghost, 'sk_x')), refused);
    assert.equal(counted.reads, 1, 'the first request with the unknown id reads the database');
    for (let i = 0; i < 5; i += 1) await assert.rejects(keys.authenticate(request(ghost, 'sk_x')), refused);
    assert.equal(counted.reads, 1, 'repeats within 30 s do not');
    assert.equal((await keys.authenticate(request(real.keyId, real.secret))).tenantId, tenant.id);
    assert.equal(counted.reads, 2, 'a known key is read as before');

    // The id is created elsewhere meanwhile (another replica, the CLI): it works once the
    // 30 s have passed.
    const secret = 'sk_created_elsewhere';
    await repo.insert({
      id: ghost,
      tenantId: tenant.id,
      scope: 'tenant',
      secretCiphertext: box.seal(secret),
      label: '',
    });
    now += 29_000;
    await assert.rejects(keys.authenticate(request(ghost, secret)), refused);
    assert.equal(counted.reads, 2, 'still answered from memory at 29 s');
    now += 1_000;
    assert.equal((await keys.authenticate(request(ghost, secret))).tenantId, tenant.id, 'works at 30 s');
    assert.equal(counted.reads, 3, 'read again at 30 s');

    // An id no key can have (16 KB, or odd characters) is refused without a read or a cache entry.
    for (const made of ['k'.repeat(16_384), 'key_ÿ', 'key 1'])
      await assert.rejects(keys.authenticate(request(made, 'sk_x')), refused);
    assert.equal(counted.reads, 3, 'no read for a made-up id');
  } finally {
    await database.close();
  }
});

test('requests that miss the key cache together share one read of the key', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const { repo, counted } = countingRepo(database);
    let now = Date.now();
    const keys = new ApiKeys(repo, SecretBox.ephemeral(), { now: () => now, cacheMs: 5_000 });
    const tenant = await new TenantsRepository(database.db).create('shared-read');
    const key = await keys.create(tenant.id, 'tenant');
    const request = () => {
      const headers = signRequest({
        keyId: key.keyId,
        secret: key.secret,
        method: 'GET',
        path: '/v1/account',
        now,
      });
      return { headers, method: 'GET', url: '/v1/account', body: new Uint8Array() };
    };
    const burst = async () => {
      const principals = await Promise.all(Array.from({ length: 20 }, () => keys.authenticate(request())));
      assert.ok(principals.every((p) => p.tenantId === tenant.id));
    };
    await burst();
    assert.equal(counted.reads, 1, '20 concurrent requests, one read');
    now += 5_000;
    await burst();
    assert.equal(counted.reads, 2, 'the entry lapsed: one read again for the whole burst');
    await keys.revoke(key.keyId);
    await assert.rejects(keys.authenticate(request()), (e: unknown) => isLspError(e, 'unauthorized'));
  } finally {
    await database.close();
  }
});

test("a read-only request's nonce is recorded through the read store, a write's through the durable one", async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const written = { durable: 0, relaxed: 0 };
    const counting = (way: keyof typeof written) =>
      new (class extends ApiKeysRepository {
        override rememberNonces(pairs: Parameters<ApiKeysRepository['rememberNonces']>[0]) {
          written[way] += pairs.length;
          return super.rememberNonces(pairs);
        }
      })(database.db);
    const keys = new ApiKeys(counting('durable'), SecretBox.ephemeral(), { readNonces: counting('relaxed') });
    const tenant = await new TenantsRepository(database.db).create('read-nonces');
    const key = await keys.create(tenant.id, 'tenant');
    const signed = (method: string, nonce?: string) => {
      const headers = signRequest({
        keyId: key.keyId,
        secret: key.secret,
        method,
        path: '/v1/account',
        nonce,
      });
      return { headers, method, url: '/v1/account', body: new Uint8Array() };
    };
    await keys.authenticate(signed('GET'));
    await keys.authenticate(signed('HEAD'));
    await keys.authenticate(signed('POST'));
    assert.deepEqual(written, { durable: 1, relaxed: 2 });
    // One table: a nonce a read used is refused on a write, and the other way round.
    const get = signed('GET', 'n'.repeat(32));
    await keys.authenticate(get);
    await assert.rejects(keys.authenticate(signed('POST', 'n'.repeat(32))), (e: unknown) =>
      isLspError(e, 'nonce_reused'),
    );
    await keys.authenticate(signed('POST', 'm'.repeat(32)));
    await assert.rejects(keys.authenticate(signed('GET', 'm'.repeat(32))), (e: unknown) =>
      isLspError(e, 'nonce_reused'),
    );
  } finally {
    await database.close();
  }
});
