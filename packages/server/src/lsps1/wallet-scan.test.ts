import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OnchainTransaction, WalletPort } from '@blgv/core';
import { WalletScan } from './wallet-scan.ts';

/** A backend whose only call is the wallet listing, counted. */
function countingBackend() {
  const calls: number[] = [];
  const backend = {
    listOnchainTransactions: async (query: { startHeight: number }): Promise<OnchainTransaction[]> => {
      calls.push(query.startHeight);
      await new Promise((r) => setImmediate(r));
      return [];
    },
  } satisfies Pick<WalletPort, 'listOnchainTransactions'>;
  return { backend, calls };
}

test('a hundred orders waiting at once cost one wallet scan, from the lowest height they need', async () => {
  const { backend, calls } = countingBackend();
  const scan = new WalletScan(backend);
  await scan.read(120, 5_000);
  await Promise.all(Array.from({ length: 100 }, (_, i) => scan.read(120 + i, 5_000)));
  assert.deepEqual(calls, [120], 'one scan served them all');
  // An order that needs an older height gets a scan that covers it, and everyone after shares it.
  await scan.read(100, 5_000);
  await scan.read(150, 5_000);
  assert.deepEqual(calls, [120, 100]);
});

test('a scan older than the reader accepts is made again, still from the lowest height asked', async () => {
  const { backend, calls } = countingBackend();
  const scan = new WalletScan(backend);
  await scan.read(100, 0);
  await new Promise((r) => setTimeout(r, 5));
  await scan.read(130, 0);
  assert.deepEqual(calls, [100, 100]);
});
