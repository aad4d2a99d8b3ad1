import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OwnTower, Pubkey, TowerAddress } from '@blgv/core';
import type { HostedNodeRecord } from '@blgv/store';
import pino from 'pino';
import { NodeWatchtower, parseTowerUri, towerAddressOf } from './node-watchtower.ts';

const PUBKEY = `02${'ab'.repeat(32)}` as Pubkey;
const log = pino({ level: 'silent' });
const signal = () => AbortSignal.timeout(1_000);
const record = (id: string) => ({ id, watchtower: null }) as HostedNodeRecord;

test('a tower is dialled at the URI it announces, else at a listener bound to a definite host', () => {
  const own = (listeners: string[], uris: string[] = []): OwnTower => ({ pubkey: PUBKEY, listeners, uris });
  assert.deepEqual(towerAddressOf(own(['0.0.0.0:9911'], [`${PUBKEY}@tower.example:9911`])), {
    pubkey: PUBKEY,
    address: 'tower.example:9911',
  });
  assert.deepEqual(towerAddressOf(own(['[::]:9911', '127.0.0.1:9911'])), {
    pubkey: PUBKEY,
    address: '127.0.0.1:9911',
  });
  assert.equal(
    towerAddressOf(own(['0.0.0.0:9911', '[::]:9911'])),
    undefined,
    'every interface: no address to give',
  );
  assert.deepEqual(parseTowerUri(`${PUBKEY}@10.0.0.5:9911`), { pubkey: PUBKEY, address: '10.0.0.5:9911' });
});

/** A watchtower over fake nodes: `has` says whether each node has a tower client. */
function fakeWatchtower(setting: string, lspTower: OwnTower | undefined, has: (id: string) => boolean) {
  const added: { nodeId: string; tower: TowerAddress }[] = [];
  const recorded = new Map<string, string | null>();
  let asked = 0;
  const watchtower = new NodeWatchtower({
    setting,
    lightning: {
      ownTower: async () => {
        asked += 1;
        return lspTower;
      },
    },
    nodes: {
      backend: (r: HostedNodeRecord) =>
        ({
          addTower: async (tower: TowerAddress) => {
            if (!has(r.id)) return false;
            added.push({ nodeId: r.id, tower });
            return true;
          },
          towerBackups: async () => ({ backups: 3, pendingBackups: 1, sessions: 1 }),
        }) as never,
    },
    repo: {
      setWatchtower: async (id: string, tower: string | null) => {
        recorded.set(id, tower);
      },
    },
    log,
  });
  return { watchtower, added, recorded, asked: () => asked };
}

test("each node is given the LSP's tower once; a node without a tower client is not asked again", async () => {
  const { watchtower, added, recorded, asked } = fakeWatchtower(
    'lsp',
    { pubkey: PUBKEY, listeners: ['127.0.0.1:9911'], uris: [] },
    (id) => id !== 'old-image',
  );
  await watchtower.guard(record('n1'), signal());
  await watchtower.guard(record('n1'), signal());
  await watchtower.guard(record('n2'), signal());
  await watchtower.guard(record('old-image'), signal());
  await watchtower.guard(record('old-image'), signal());
  assert.deepEqual(
    added.map((a) => a.nodeId),
    ['n1', 'n2'],
  );
  assert.deepEqual(added[0]?.tower, { pubkey: PUBKEY, address: '127.0.0.1:9911' });
  assert.equal(asked(), 1, "the LSP's tower is asked once, then kept");
  assert.deepEqual(
    [...recorded],
    [
      ['n1', `${PUBKEY}@127.0.0.1:9911`],
      ['n2', `${PUBKEY}@127.0.0.1:9911`],
    ],
    'each registration recorded; none for the node that could not take it',
  );
  // The status reads the record (another replica may have registered the tower).
  const n1 = { id: 'n1', watchtower: recorded.get('n1') ?? null } as HostedNodeRecord;
  assert.deepEqual(await fakeWatchtower('lsp', undefined, () => true).watchtower.status(n1, signal()), {
    tower: `${PUBKEY}@127.0.0.1:9911`,
    backups: 3,
    pendingBackups: 1,
  });
});

test('a node without a tower client is offered the tower again once it is started anew', async () => {
  let hasClient = false;
  const { watchtower, added } = fakeWatchtower(
    'lsp',
    { pubkey: PUBKEY, listeners: ['127.0.0.1:9911'], uris: [] },
    () => hasClient,
  );
  await watchtower.guard(record('n1'), signal());
  hasClient = true; // restarted with --wtclient.active
  await watchtower.guard(record('n1'), signal());
  assert.equal(added.length, 0, 'not asked again on every tick');
  watchtower.forget('n1'); // what an unlock does
  await watchtower.guard(record('n1'), signal());
  assert.deepEqual(
    added.map((a) => a.nodeId),
    ['n1'],
  );
});

test('without a tower (the LSP runs none, or off) no node is touched and none is shown watched', async () => {
  for (const [setting, tower] of [
    ['lsp', undefined],
    ['off', { pubkey: PUBKEY, listeners: ['127.0.0.1:9911'], uris: [] }],
  ] as const) {
    const { watchtower, added, recorded, asked } = fakeWatchtower(setting, tower, () => true);
    await watchtower.guard(record('n1'), signal());
    await watchtower.guard(record('n1'), signal());
    assert.deepEqual(added, []);
    assert.equal(recorded.size, 0);
    assert.equal(asked(), setting === 'lsp' ? 1 : 0, 'an LSP without a tower is not asked on every tick');
    assert.equal(await watchtower.status(record('n1'), signal()), null);
  }
  // Turned off after a tower was given: the record no longer says the node is watched.
  const off = fakeWatchtower('off', undefined, () => true);
  await off.watchtower.guard(
    { id: 'n1', watchtower: `${PUBKEY}@127.0.0.1:9911` } as HostedNodeRecord,
    signal(),
  );
  assert.deepEqual([...off.recorded], [['n1', null]]);
  const named = fakeWatchtower(`${PUBKEY}@tower.example:9911`, undefined, () => true);
  await named.watchtower.guard(record('n1'), signal());
  assert.deepEqual(named.added[0]?.tower, { pubkey: PUBKEY, address: 'tower.example:9911' });
  assert.equal(named.asked(), 0, "a named tower: the LSP's node is not asked");
});
