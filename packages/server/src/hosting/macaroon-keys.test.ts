import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isLspError, type MacaroonPermission } from '@blgv/core';
import {
  type Database,
  HostedNodeMacaroonsRepository,
  HostedNodesRepository,
  openMigratedMemoryDatabase,
  sql,
  TenantsRepository,
} from '@blgv/store';
import {
  bakeUnderOwnKey,
  NodeMacaroons,
  newRootKeyId,
  parseRootKeyId,
  recordMacaroon,
} from './macaroon-keys.ts';
import { CUSTOMER_PERMISSIONS, READ_ONLY_PERMISSIONS } from './macaroon-permissions.ts';

let database: Database;
before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

/** A node's macaroon root keys, as LND keeps them (a fake of our port). */
class FakeMacaroonStore {
  readonly keys = new Set<bigint>([0n]);
  baked: { permissions: readonly MacaroonPermission[]; rootKeyId: bigint | undefined }[] = [];

  async bakeMacaroon(permissions: readonly MacaroonPermission[], _signal: AbortSignal, rootKeyId?: bigint) {
    this.baked.push({ permissions, rootKeyId });
    this.keys.add(rootKeyId ?? 0n);
    return `mac-${rootKeyId ?? 0n}`;
  }

  async deleteMacaroonId(rootKeyId: bigint): Promise<boolean> {
    if (rootKeyId === 0n) throw new Error('deletion of the default root key is forbidden');
    return this.keys.delete(rootKeyId);
  }
}

const code = (c: string, status?: string) => (err: unknown) =>
  isLspError(err) && err.code === c && (status === undefined || err.message.includes(status));

test('root key ids are random, never 0, and fit a Postgres bigint', () => {
  const ids = new Set(Array.from({ length: 1_000 }, () => newRootKeyId()));
  assert.equal(ids.size, 1_000);
  for (const id of ids) assert.ok(id > 0n && id < 1n << 63n);
});

test('a rootKeyId from a path: digits only, 0 refused naming the field, beyond 2^63 - 1 no macaroon of ours', () => {
  assert.equal(parseRootKeyId('42'), 42n);
  assert.equal(parseRootKeyId('18446744073709551615'), undefined);
  assert.throws(
    () => parseRootKeyId('0'),
    (err: unknown) => isLspError(err) && err.details?.field === 'rootKeyId',
  );
  assert.throws(() => parseRootKeyId('-1'), code('invalid_input'));
  assert.throws(() => parseRootKeyId('1e3'), code('invalid_input'));
});

test('each macaroon is baked under its own root key; revoking one deletes only its key, once', async () => {
  const tenant = await new TenantsRepository(database.db).create('macaroons');
  const nodes = new HostedNodesRepository(database.db);
  await nodes.insert({ id: 'nmac1', tenantId: tenant.id, alias: 'm', color: '#000000', config: {} });
  await sql`update hosted_nodes set state = 'running' where id = 'nmac1'`.execute(database.db);
  const lnd = new FakeMacaroonStore();
  // Creation: the customer and read-only macaroons.
  const customer = await bakeUnderOwnKey(lnd, CUSTOMER_PERMISSIONS, AbortSignal.timeout(1_000));
  const readOnly = await bakeUnderOwnKey(lnd, READ_ONLY_PERMISSIONS, AbortSignal.timeout(1_000));
  await recordMacaroon(database.db, 'nmac1', 'customer', CUSTOMER_PERMISSIONS, customer);
  await recordMacaroon(database.db, 'nmac1', 'read_only', READ_ONLY_PERMISSIONS, readOnly);
  assert.ok(
    lnd.baked.every((b) => b.rootKeyId !== undefined && b.rootKeyId !== 0n),
    'never root key 0',
  );

  const macaroons = new NodeMacaroons({ database, backend: () => lnd });
  const extra = await macaroons.bake(tenant.id, 'nmac1', [{ entity: 'info', action: 'read' }]);
  await assert.rejects(
    macaroons.bake(tenant.id, 'nmac1', [{ entity: 'macaroon', action: 'write' }] as never),
  );
  const listed = await macaroons.list(tenant.id, 'nmac1');
  assert.deepEqual(
    listed.map((m) => [m.kind, m.rootKeyId, m.revokedAt]),
    [
      ['customer', customer.rootKeyId, null],
      ['read_only', readOnly.rootKeyId, null],
      ['extra', extra.rootKeyId, null],
    ],
  );
  assert.equal(new Set(listed.map((m) => m.rootKeyId)).size, 3, 'three root keys');

  const revoked = await macaroons.revoke(tenant.id, 'nmac1', extra.rootKeyId.toString());
  assert.ok(revoked.revokedAt instanceof Date);
  assert.ok(!lnd.keys.has(extra.rootKeyId), 'its root key is deleted in LND');
  assert.ok(lnd.keys.has(0n) && lnd.keys.has(customer.rootKeyId), 'the others stay');
  const again = await macaroons.revoke(tenant.id, 'nmac1', extra.rootKeyId.toString());
  assert.deepEqual(again, revoked, 'revoking again answers it as it is');

  await macaroons.revoke(tenant.id, 'nmac1', readOnly.rootKeyId.toString());
  assert.deepEqual(await macaroons.keysOf('nmac1'), { customer: customer.rootKeyId, readOnly: null });

  // Root key 0 is refused before LND is asked; an id that is not this node's is 404.
  await assert.rejects(macaroons.revoke(tenant.id, 'nmac1', '0'), code('invalid_input'));
  await assert.rejects(macaroons.revoke(tenant.id, 'nmac1', '12345'), code('not_found'));
  const stranger = await new TenantsRepository(database.db).create('stranger');
  await assert.rejects(
    macaroons.revoke(stranger.id, 'nmac1', customer.rootKeyId.toString()),
    code('not_found'),
  );
  // A stopped node cannot be asked: 409.
  await sql`update hosted_nodes set state = 'stopped' where id = 'nmac1'`.execute(database.db);
  await assert.rejects(macaroons.revoke(tenant.id, 'nmac1', customer.rootKeyId.toString()), code('conflict'));
  assert.equal(
    (await new HostedNodeMacaroonsRepository(database.db).get('nmac1', customer.rootKeyId))?.revokedAt,
    null,
  );
});

test('a node created before macaroons had keys of their own shows root key 0 (not revocable)', async () => {
  const macaroons = new NodeMacaroons({ database, backend: () => new FakeMacaroonStore() });
  assert.deepEqual(await macaroons.keysOf('nlegacy'), { customer: 0n, readOnly: 0n });
});
