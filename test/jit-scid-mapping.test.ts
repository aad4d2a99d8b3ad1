/**
 * Story: the mechanism LSPS2 rests on, on stock LND. An HTLC addressed to a made-up (JIT) scid
 * is held by the LSP's interceptor; the LSP opens a zero-conf scid-alias channel to bob, adds
 * the JIT scid as an alias of it (XAddLocalChanAliases) and resumes the HTLC, which LND then
 * forwards over the new channel: bob's invoice settles without a block being mined.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { msat, sat, scidFromParts } from '@blgv/core';
import { useNetwork, within } from '@blgv/testkit';

const ctx = useNetwork({ lsp: { requireInterceptor: true } });

test('a held HTLC for a JIT scid is forwarded over a channel opened after it arrived', async () => {
  const { h, alice, lsp, bob } = ctx.net;
  await h.openChannel(alice, lsp, sat(1_000_000));
  let acceptorUp = false;
  await bob.lnd.acceptChannels((p) => ({ accept: true, zeroConf: p.wantsZeroConf }), {
    signal: ctx.signal,
    onConnected: () => (acceptorUp = true),
  });
  await h.waitFor(() => acceptorUp, { what: "bob's channel acceptor" });
  await bob.lnd.connectPeer(lsp.pubkey, lsp.host, within());

  const jitScid = scidFromParts(16_100_000 + randomInt(100_000), randomInt(1000), 0);
  let connected = false;
  const interceptor = lsp.lnd.interceptHtlcs({ signal: ctx.signal, onConnected: () => (connected = true) });
  const steps: string[] = [];
  void (async () => {
    for await (const htlc of interceptor.htlcs) {
      if (htlc.outgoingScid !== jitScid) {
        await interceptor.resolve({
          action: 'resume',
          incomingScid: htlc.incomingScid,
          incomingHtlcId: htlc.incomingHtlcId,
        });
        continue;
      }
      steps.push('intercepted');
      const { channelPoint } = await lsp.lnd.openChannel(
        {
          remotePubkey: bob.pubkey,
          localAmount: sat(500_000),
          private: true,
          zeroConf: true,
          scidAlias: true,
          baseFee: msat(0),
          feeRatePpm: 0n,
        },
        within(),
      );
      const channel = await h.waitFor(
        async () =>
          (await lsp.lnd.listChannels(within())).find(
            (c) => c.channelPoint.txid === channelPoint.txid && c.active,
          ),
        { what: 'the JIT channel to be active' },
      );
      steps.push(`opened scid=${channel.scid} aliases=${channel.aliasScids.join(',')}`);
      await lsp.lnd.addChannelAlias(jitScid, channel.scid, within());
      steps.push('aliased');
      await interceptor.resolve({
        action: 'resume',
        incomingScid: htlc.incomingScid,
        incomingHtlcId: htlc.incomingHtlcId,
      });
      steps.push('resumed');
    }
  })();
  await h.waitFor(() => connected, { what: 'the interceptor to connect' });

  const invoice = await bob.lnd.addInvoice(
    {
      amount: msat(50_000_000),
      routeHints: [
        [
          {
            nodeId: lsp.pubkey,
            scid: jitScid,
            feeBaseMsat: msat(0),
            feeProportionalMillionths: 0,
            cltvExpiryDelta: 144,
          },
        ],
      ],
    },
    within(),
  );
  const heightBefore = (await lsp.lnd.getInfo(within())).blockHeight;
  const result = await alice.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 60, maxParts: 1 },
    within(90_000),
  );
  assert.equal(result.status, 'succeeded');
  assert.deepEqual(
    steps.map((s) => s.split(' ')[0]),
    ['intercepted', 'opened', 'aliased', 'resumed'],
  );
  assert.equal((await bob.lnd.lookupInvoice(invoice.paymentHash, within())).state, 'settled');
  assert.equal((await lsp.lnd.getInfo(within())).blockHeight, heightBefore, 'no block was mined');
});
