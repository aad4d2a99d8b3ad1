/**
 * Story: the LSP announces itself again through the backend port (`reannounce`, LND's peersrpc
 * `UpdateNodeAnnouncement`): a peer that knows the LSP gets the same announcement, addresses
 * and alias unchanged, with a newer timestamp, and the LSP's own announcement is unchanged. This
 * is what the hosting keeper sends an autopilot node whose graph lacks the LSP's announcement.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sat } from '@blgv/core';
import { connectLnd } from '@blgv/lnd';
import type { LndNode } from '@blgv/regtest';
import { useNetwork, within } from '@blgv/testkit';

const ctx = useNetwork();

/** What `node`'s graph holds of `pubkey`: its announcement's timestamp, addresses and alias. */
async function announcementAt(
  node: LndNode,
  pubkey: string,
): Promise<{ lastUpdate: number; addresses: string[]; alias: string } | undefined> {
  const clients = connectLnd(node.connection);
  try {
    const r = await new Promise<{
      node?: { last_update: number; alias: string; addresses: { addr: string }[] } | null;
    }>((resolve, reject) =>
      clients.lightning.GetNodeInfo({ pub_key: pubkey, include_channels: false }, (err, res) =>
        err || !res ? reject(err ?? new Error('no answer')) : resolve(res),
      ),
    ).catch(() => undefined);
    if (!r?.node || r.node.addresses.length === 0) return undefined;
    return {
      lastUpdate: r.node.last_update,
      addresses: r.node.addresses.map((a) => a.addr),
      alias: r.node.alias,
    };
  } finally {
    clients.close();
  }
}

test('the LSP announces itself again: a peer gets the same announcement with a newer timestamp', async () => {
  const { h, alice, lsp } = ctx.net;
  await h.openChannel(alice, lsp, sat(1_000_000));
  const before = await h.waitFor(() => announcementAt(alice, lsp.pubkey), {
    what: "the LSP's announcement in alice's graph",
    timeoutMs: 60_000,
  });
  const info = await lsp.lnd.getInfo(within());
  assert.deepEqual(
    before.addresses,
    info.uris.map((u) => u.slice(u.indexOf('@') + 1)),
  );

  await lsp.lnd.reannounce(within());
  const after = await h.waitFor(
    async () => {
      const now = await announcementAt(alice, lsp.pubkey);
      return now && now.lastUpdate > before.lastUpdate ? now : undefined;
    },
    { what: "the announcement again, newer, in alice's graph" },
  );
  assert.deepEqual(after.addresses, before.addresses, 'the same addresses');
  assert.equal(after.alias, before.alias, 'the same alias');
  const infoAfter = await lsp.lnd.getInfo(within());
  assert.deepEqual(infoAfter.uris, info.uris, "the LSP's own announcement unchanged");
  assert.equal(infoAfter.alias, info.alias);

  // Again at once: still accepted (LND moves the timestamp on by a second when it must).
  await lsp.lnd.reannounce(within());
  await h.waitFor(
    async () => ((await announcementAt(alice, lsp.pubkey))?.lastUpdate ?? 0) > after.lastUpdate,
    { what: 'a second announcement, newer still' },
  );
});
