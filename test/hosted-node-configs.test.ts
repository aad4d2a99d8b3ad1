/**
 * Bad hosted-node configs get a 4xx naming what was wrong, and nothing is charged or created;
 * generated bodies never produce a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LSPClient } from '@blgv/lsp-client';
import { type HostingLsp, type Network, startHostingLsp, startNetwork } from '@blgv/testkit';
import fc from 'fast-check';

let net: Network;
let hosting: HostingLsp;
let tenant: LSPClient;

before(async () => {
  net = await startNetwork();
  // No tenant may hold a node here: a valid config is refused by the limit, never created.
  hosting = await startHostingLsp(net, { maxNodesPerTenant: 0 });
  tenant = (await hosting.lsp.newTenant('configs')).client;
});
after(async () => {
  await hosting?.stop();
  await net?.h.stop();
});

async function refusal(body: unknown): Promise<{ status: number; code: string; message: string }> {
  try {
    await tenant.nodes.create(body as never);
  } catch (err) {
    const e = err as { status: number; code: string; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  assert.fail('the config was accepted');
}

test('each bad config gets a 4xx naming the field; nothing is charged or created', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['alias over 32 bytes', { alias: 'ä'.repeat(17) }, /alias/],
    ['alias over 32 characters', { alias: 'x'.repeat(33) }, /alias/],
    ['bad color', { alias: 'a', color: 'orange' }, /color/],
    ['unknown feature', { alias: 'a', features: { teleport: true } }, /teleport|features/],
    ['channel below the minimum', { alias: 'a', channels: [{ capacity: 1 }] }, /channels\[0\]\.capacity/],
    [
      'channel above the maximum',
      { alias: 'a', channels: [{ capacity: 2_100_000_000_000_000 }] },
      /capacity/,
    ],
    [
      'push not below the capacity',
      { alias: 'a', channels: [{ capacity: 100_000, pushAmount: 100_000 }] },
      /pushAmount/,
    ],
    [
      'autopilot min above max',
      { alias: 'a', autopilot: { enabled: true, minChannelSize: 50_000, maxChannelSize: 30_000 } },
      /minChannelSize/,
    ],
  ];
  for (const [what, body, names] of cases) {
    const r = await refusal(body);
    assert.equal(r.status, 400, `${what}: ${r.code} ${r.message}`);
    assert.match(r.message, names, what);
  }
  const tooMany = await refusal({ alias: 'fine' });
  assert.equal(tooMany.status, 422);
  assert.equal(tooMany.code, 'tenant_limit_exceeded');
  assert.match(tooMany.message, /nodes per tenant/);
  await assert.rejects(
    tenant.nodes.get('n0123456789abcdef'),
    (err: { status: number }) => err.status === 404,
  );
  await assert.rejects(tenant.nodes.stop('nope'), (err: { status: number }) => err.status === 404);
  assert.deepEqual((await tenant.nodes.list()).nodes, []);
  assert.deepEqual((await tenant.getLedger()).entries, []);
});

test('generated configs never produce a 5xx', async () => {
  const body = fc.oneof(
    fc.record(
      {
        alias: fc.oneof(fc.string({ maxLength: 40 }), fc.integer()),
        color: fc.oneof(fc.stringMatching(/^#[0-9a-f]{6}$/), fc.string()),
        features: fc.dictionary(
          fc.constantFrom('keysend', 'amp', 'wumbo', 'zeroConf', 'scidAlias', 'x'),
          fc.oneof(fc.boolean(), fc.integer()),
        ),
        channels: fc.array(
          fc.record(
            { capacity: fc.oneof(fc.integer(), fc.double()), pushAmount: fc.integer() },
            { requiredKeys: [] },
          ),
          {
            maxLength: 6,
          },
        ),
        autopilot: fc.record(
          { enabled: fc.boolean(), maxChannels: fc.integer(), minChannelSize: fc.integer() },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      const r = await refusal(b).catch(() => ({ status: 201 }));
      return r.status < 500;
    }),
    { numRuns: 300 },
  );
});
