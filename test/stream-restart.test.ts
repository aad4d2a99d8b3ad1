/**
 * Story: the LSP's LND restarts under the backend's long-lived streams (channel events,
 * custom messages, invoices, HTLC interceptor); each reconnects on its own and keeps
 * delivering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ChannelEvent,
  type CustomMessage,
  type InterceptedHtlc,
  type InvoiceStatus,
  msat,
  sat,
  scidFromParts,
} from '@blgv/core';
import { collect, useNetwork, within } from '@blgv/testkit';

const ctx = useNetwork();

test("the backend's streams survive an LND restart", async () => {
  const { h, alice, lsp, bob } = ctx.net;
  await h.openChannel(alice, lsp, sat(1_000_000));

  const connects = { events: 0, messages: 0, invoices: 0, htlcs: 0 };
  const options = (k: keyof typeof connects) => ({ signal: ctx.signal, onConnected: () => connects[k]++ });
  const events: ChannelEvent[] = collect(lsp.lnd.channelEvents(options('events')));
  const messages: CustomMessage[] = collect(lsp.lnd.customMessages(options('messages')));
  const invoices: InvoiceStatus[] = collect(lsp.lnd.subscribeInvoices({}, options('invoices')));
  const interceptor = lsp.lnd.interceptHtlcs(options('htlcs'));
  const htlcs: InterceptedHtlc[] = [];
  void (async () => {
    for await (const htlc of interceptor.htlcs) {
      htlcs.push(htlc);
      await interceptor.resolve({
        action: 'fail',
        incomingScid: htlc.incomingScid,
        incomingHtlcId: htlc.incomingHtlcId,
        failure: 'temporary_channel_failure',
      });
    }
  })();
  await h.waitFor(() => Object.values(connects).every((n) => n === 1), {
    what: 'all four streams to connect',
  });

  const lndPid = lsp.pid;
  await lsp.restart();
  assert.notEqual(lsp.pid, lndPid, 'a new lnd process');
  await h.waitFor(() => Object.values(connects).every((n) => n >= 2), {
    what: `all four streams to reconnect (${JSON.stringify(connects)})`,
  });

  // Custom messages: the peer connection dropped with the restart, so reconnect and send.
  await h.connect(alice, lsp);
  const hello = new TextEncoder().encode('after restart');
  await alice.lnd.sendCustomMessage({ peer: lsp.pubkey, type: 37913, data: hello }, within());
  const msg = await h.waitFor(() => messages.find((m) => m.peer === alice.pubkey), {
    what: 'the message after restart',
  });
  assert.deepEqual(msg.data, hello);

  // Invoices.
  const invoice = await lsp.lnd.addInvoice({ amount: msat(5_000), memo: 'after restart' }, within());
  await h.waitFor(() => invoices.some((i) => i.paymentHash === invoice.paymentHash), {
    what: 'the new invoice',
  });

  // HTLC interceptor: alice pays through the lsp to a made-up scid.
  await h.waitCanPay(alice, lsp);
  const fake = scidFromParts(777_777, 1, 0);
  const target = await bob.lnd.addInvoice(
    {
      amount: msat(1_000_000),
      routeHints: [
        [
          {
            nodeId: lsp.pubkey,
            scid: fake,
            feeBaseMsat: msat(0),
            feeProportionalMillionths: 0,
            cltvExpiryDelta: 144,
          },
        ],
      ],
    },
    within(),
  );
  const paid = await alice.lnd.sendPayment(
    { paymentRequest: target.paymentRequest, feeLimit: msat(1_000), timeoutSeconds: 20, maxParts: 1 },
    within(60_000),
  );
  assert.equal(paid.status, 'failed');
  assert.ok(
    htlcs.some((x) => x.outgoingScid === fake && x.paymentHash === target.paymentHash),
    'the interceptor saw the HTLC',
  );
  // Channel events: bob opens a channel to the lsp.
  const opened = await h.openChannel(bob, lsp, sat(300_000));
  const open = await h.waitFor(
    () => events.find((e) => e.type === 'open' && e.channel.channelPoint.txid === opened.channelPoint.txid),
    { what: 'the open event of the new channel' },
  );
  assert.equal(open.type === 'open' && open.channel.remotePubkey, bob.pubkey);
});
