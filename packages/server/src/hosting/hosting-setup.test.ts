import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OwnTower, Pubkey } from '@blgv/core';
import { nodesRunTowerClient } from './hosting-setup.ts';

const PUBKEY = `02${'ab'.repeat(32)}` as Pubkey;
const lspWith = (tower: OwnTower | undefined | Error) => ({
  ownTower: async () => {
    if (tower instanceof Error) throw tower;
    return tower;
  },
});
const signal = () => AbortSignal.timeout(1_000);

test("hosted nodes run LND's tower client only when there is a tower to back up to", async () => {
  const listening = { pubkey: PUBKEY, listeners: ['127.0.0.1:9911'], uris: [] };
  assert.equal(await nodesRunTowerClient('lsp', lspWith(listening), signal()), true);
  assert.equal(await nodesRunTowerClient(`${PUBKEY}@tower.example:9911`, lspWith(undefined), signal()), true);
  // Without one, lnd's client keeps looking: it is left off.
  assert.equal(await nodesRunTowerClient('lsp', lspWith(undefined), signal()), false);
  assert.equal(
    await nodesRunTowerClient('lsp', lspWith({ ...listening, listeners: ['0.0.0.0:9911'] }), signal()),
    false,
    'a tower the nodes cannot dial',
  );
  assert.equal(await nodesRunTowerClient('lsp', lspWith(new Error('LND down')), signal()), false);
  assert.equal(await nodesRunTowerClient('off', lspWith(listening), signal()), false);
});
