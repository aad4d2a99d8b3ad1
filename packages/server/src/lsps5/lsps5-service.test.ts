import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Channel, PendingChannel, Pubkey } from '@blgv/core';
import { openMigratedMemoryDatabase } from '@blgv/store';
import pino from 'pino';
import { RpcError } from '../lsps0/rpc-error.ts';
import { Wakeup } from '../poll.ts';
import { Lsps5Service } from './lsps5-service.ts';

const policy = { allowPrivateTargets: true, timeoutMs: 1_000, maxResponseBytes: 1_000 };
const node = (n: number) =>
  ({ kind: 'node', pubkey: `02${n.toString(16).padStart(64, '0')}` as Pubkey }) as const;

/** The LSP node's channels as the service reads them: only `remotePubkey` matters here. */
function lightningWith(channels: { open?: Pubkey[]; pending?: Pubkey[] }) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    listChannels: async () => {
      calls += 1;
      return (channels.open ?? []).map((remotePubkey) => ({ remotePubkey }) as Channel);
    },
    pendingChannels: async () =>
      (channels.pending ?? []).map((remotePubkey) => ({ remotePubkey }) as PendingChannel),
  };
}

const rejected = (code: number, message?: RegExp) => (e: unknown) =>
  e instanceof RpcError && e.code === code && (!message || message.test(String(e.data?.message)));

async function withService(
  options: { maxWebhooks?: number; maxTotalWebhooks?: number; lightning?: ReturnType<typeof lightningWith> },
  run: (lsps5: Lsps5Service) => Promise<void>,
): Promise<void> {
  const database = await openMigratedMemoryDatabase();
  try {
    const lsps5 = new Lsps5Service({
      database,
      policy,
      maxWebhooks: options.maxWebhooks ?? 10,
      maxTotalWebhooks: options.maxTotalWebhooks ?? 1_000,
      ...(options.lightning ? { requireRelationship: options.lightning } : {}),
      outbox: new Wakeup(),
      log: pino({ level: 'silent' }),
    });
    await run(lsps5);
  } finally {
    await database.close();
  }
}

const hook = (n: number) => `https://127.0.0.1/hook/${n}`;

test('a node with no channel and no order is refused (client_rejected) after validation; a channel, open or pending, admits it', async () => {
  const withOpen = node(1);
  const withPending = node(2);
  const stranger = node(3);
  const lightning = lightningWith({ open: [withOpen.pubkey], pending: [withPending.pubkey] });
  await withService({ lightning }, async (lsps5) => {
    // Validation first: a bad request gets its bLIP-55 error, whoever sends it.
    await assert.rejects(
      lsps5.setWebhook(stranger, { app_name: 'x'.repeat(65), webhook: hook(0) }),
      rejected(500),
    );
    await assert.rejects(lsps5.setWebhook(stranger, { app_name: 'a', webhook: 'not a url' }), rejected(501));
    await assert.rejects(
      lsps5.setWebhook(stranger, { app_name: 'a', webhook: hook(0) }),
      rejected(1, /channel with this LSP or an LSPS1 order or LSPS2 buy/),
    );
    assert.deepEqual(
      (await lsps5.listWebhooks(stranger, {})).app_names,
      [],
      'nothing stored for the stranger',
    );
    for (const who of [withOpen, withPending]) {
      const set = await lsps5.setWebhook(who, { app_name: 'a', webhook: hook(1) });
      assert.deepEqual(set, { num_webhooks: 1, max_webhooks: 10, no_change: false });
    }
  });
});

test('without requireRelationship any node registers', async () => {
  await withService({}, async (lsps5) => {
    assert.equal((await lsps5.setWebhook(node(9), { app_name: 'a', webhook: hook(1) })).num_webhooks, 1);
  });
});

test('the overall cap: past maxTotalWebhooks no webhook is added (503), a replaced URL still is, and a removal frees room', async () => {
  await withService({ maxWebhooks: 3, maxTotalWebhooks: 3 }, async (lsps5) => {
    const [a, b] = [node(1), node(2)];
    await lsps5.setWebhook(a, { app_name: 'one', webhook: hook(1) });
    await lsps5.setWebhook(a, { app_name: 'two', webhook: hook(2) });
    await lsps5.setWebhook(b, { app_name: 'one', webhook: hook(3) });
    await assert.rejects(lsps5.setWebhook(b, { app_name: 'two', webhook: hook(4) }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, 503);
      assert.equal(e.message, 'too_many_webhooks');
      assert.equal(e.data?.max_webhooks, 3, 'the per-client limit, as bLIP-55 defines max_webhooks');
      assert.match(String(e.data?.message), /as many webhooks as it takes now/);
      return true;
    });
    const replaced = await lsps5.setWebhook(a, { app_name: 'two', webhook: hook(5) });
    assert.equal(replaced.no_change, false, 'replacing is not adding');
    await lsps5.removeWebhook(a, { app_name: 'one' });
    // One place is free: of four new clients at once, one gets it.
    const racers = await Promise.allSettled(
      [3, 4, 5, 6].map((n) => lsps5.setWebhook(node(n), { app_name: 'x', webhook: hook(n) })),
    );
    assert.equal(racers.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(racers.every((r) => r.status === 'fulfilled' || rejected(503)(r.reason)));
  });
});

test('the per-client cap still comes first (503 with the client max_webhooks)', async () => {
  await withService({ maxWebhooks: 1, maxTotalWebhooks: 100 }, async (lsps5) => {
    await lsps5.setWebhook(node(1), { app_name: 'one', webhook: hook(1) });
    await assert.rejects(
      lsps5.setWebhook(node(1), { app_name: 'two', webhook: hook(2) }),
      (e: unknown) => e instanceof RpcError && e.code === 503 && e.data?.message === undefined,
    );
  });
});
