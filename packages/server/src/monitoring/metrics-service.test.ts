import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Database, NodeMonitoringRepository, openMigratedMemoryDatabase } from '@blgv/store';
import { MetricsService } from './metrics-service.ts';

let database: Database;
let metrics: MetricsService;

before(async () => {
  database = await openMigratedMemoryDatabase();
  const now = Date.now();
  // Log positions 0..4, one a minute; position 0 is older than the 24h window.
  await new NodeMonitoringRepository(database.db).addForwards(
    'lsp',
    [0, 1, 2, 3, 4].map((i) => ({
      idx: BigInt(i),
      at: new Date(i === 0 ? now - 2 * 86_400_000 : now - (5 - i) * 60_000),
      chanIn: '1',
      chanOut: '2',
      amountIn: 1_001n,
      amountOut: 1_000n,
      fee: 1n,
    })),
  );
  metrics = new MetricsService({ database });
});
after(() => database?.close());

test('forwarding events page newest first by log position, within the window, to a null nextCursor', async () => {
  const pages: string[][] = [];
  let before: bigint | undefined;
  for (;;) {
    const m = await metrics.nodeMetrics('lsp', '24h', {
      limit: 2,
      ...(before !== undefined ? { before } : {}),
    });
    pages.push(m.forwardingEvents.map((f) => f.index));
    if (m.nextCursor === null) break;
    assert.equal(m.nextCursor, m.forwardingEvents.at(-1)?.index, 'the cursor is the last position shown');
    before = BigInt(m.nextCursor);
  }
  assert.deepEqual(pages, [
    ['4', '3'],
    ['2', '1'],
  ]);
  const all = await metrics.nodeMetrics('lsp', '24h');
  assert.deepEqual(
    [all.forwardCount, all.forwardingEvents.length, all.nextCursor],
    [4, 4, null],
    'the default page holds them all',
  );
});
