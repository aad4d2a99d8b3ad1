import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OwnTower, Pubkey, TowerAddress } from '@blgv/core';
import type { HostedNodeRecord } from '@blgv/store';
import pino from 'pino';
import { NodeWatchtower, parseTowerUri, resolveWatchtower, towerAddressOf } from './node-watchtower.ts';

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

const TOWER: TowerAddress = { pubkey: PUBKEY, address: '127.0.0.1:9911' };
const lspWith = (tower: OwnTower | undefined | Error) => ({
  ownTower: async () => {
    if (tower instanceof Error) throw tower;
    return tower;
  },
});

test("the tower is resolved at start: a named one, or the LSP's own where the nodes can dial it", async () => {
  const listening = { pubkey: PUBKEY, listeners: ['127.0.0.1:9911'], uris: [] };
  assert.deepEqual((await resolveWatchtower('lsp', lspWith(listening), signal())).tower, TOWER);
  assert.deepEqual(
    (await resolveWatchtower(`${PUBKEY}@tower.example:9911`, lspWith(undefined), signal())).tower,
    {
      pubkey: PUBKEY,
      address: 'tower.example:9911',
    },
  );
  // None: the nodes then run no tower client (without a tower, lnd's keeps looking for one).
  for (const [setting, lsp, why] of [
    ['lsp', lspWith(undefined), /runs no watchtower/],
    ['lsp', lspWith({ ...listening, listeners: ['0.0.0.0:9911'] }), /every interface/],
    ['lsp', lspWith(new Error('LND down')), /runs no watchtower/],
    ['off', lspWith(listening), /off/],
  ] as const) {
    const resolved = await resolveWatchtower(setting, lsp, signal());
    assert.equal(resolved.tower, undefined);
    assert.match(resolved.why ?? '', why);
  }
});

/** A watchtower over fake nodes: `has` says whether each node has a tower client. */
function fakeWatchtower(tower: TowerAddress | undefined, has: (id: string) => boolean) {
  const added: { nodeId: string; tower: TowerAddress }[] = [];
  const recorded = new Map<string, string | null>();
  const watchtower = new NodeWatchtower({
    tower,
    nodes: {
      backend: (r: HostedNodeRecord) =>
        ({
          addTower: async (t: TowerAddress) => {
            if (!has(r.id)) return false;
            added.push({ nodeId: r.id, tower: t });
            return true;
          },
          towerBackups: async () => ({ backups: 3, pendingBackups: 1, sessions: 1 }),
        }) as never,
    },
    repo: {
      setWatchtower: async (id: string, t: string | null) => {
        recorded.set(id, t);
      },
    },
    log,
  });
  return { watchtower, added, recorded };
}

test('each node is given the tower once; a node without a tower client is not asked again', async () => {
  const { watchtower, added, recorded } = fakeWatchtower(TOWER, (id) => id !== 'old-image');
  await watchtower.guard(record('n1'), signal());
  await watchtower.guard(record('n1'), signal());
  await watchtower.guard(record('n2'), signal());
  await watchtower.guard(record('old-image'), signal());
  await watchtower.guard(record('old-image'), signal());
  assert.deepEqual(
    added.map((a) => a.nodeId),
    ['n1', 'n2'],
  );
  assert.deepEqual(added[0]?.tower, TOWER);
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
  assert.deepEqual(await fakeWatchtower(undefined, () => true).watchtower.status(n1, signal()), {
    tower: `${PUBKEY}@127.0.0.1:9911`,
    backups: 3,
    pendingBackups: 1,
  });
});

test('a node without a tower client is offered the tower again once it is started anew', async () => {
  let hasClient = false;
  const { watchtower, added } = fakeWatchtower(TOWER, () => hasClient);
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

test('without a tower no node is touched and none is shown watched', async () => {
  const { watchtower, added, recorded } = fakeWatchtower(undefined, () => true);
  await watchtower.guard(record('n1'), signal());
  await watchtower.guard(record('n1'), signal());
  assert.deepEqual(added, []);
  assert.equal(recorded.size, 0);
  assert.equal(await watchtower.status(record('n1'), signal()), null);
  // A tower given in an earlier run (before it was turned off): the record no longer says watched.
  const off = fakeWatchtower(undefined, () => true);
  await off.watchtower.guard(
    { id: 'n1', watchtower: `${PUBKEY}@127.0.0.1:9911` } as HostedNodeRecord,
    signal(),
  );
  assert.deepEqual([...off.recorded], [['n1', null]]);
});
