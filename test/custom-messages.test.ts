/**
 * Story: a custom peer message of type 37913 (LSPS0's) goes from alice to the LSP and back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collect, useNetwork, within } from '@blgv/testkit';

const LSPS0_MESSAGE_TYPE = 37913;
const ctx = useNetwork();

test('a type 37913 message goes from alice to the lsp and back', async () => {
  const { h, alice, lsp } = ctx.net;
  await h.connect(alice, lsp);
  let lspListening = false;
  let aliceListening = false;
  const atLsp = collect(
    lsp.lnd.customMessages({ signal: ctx.signal, onConnected: () => (lspListening = true) }),
  );
  const atAlice = collect(
    alice.lnd.customMessages({ signal: ctx.signal, onConnected: () => (aliceListening = true) }),
  );
  await h.waitFor(() => lspListening && aliceListening, { what: 'both subscriptions' });

  const request = new TextEncoder().encode(
    '{"jsonrpc":"2.0","method":"lsps0.list_protocols","params":{},"id":"a1"}',
  );
  await alice.lnd.sendCustomMessage({ peer: lsp.pubkey, type: LSPS0_MESSAGE_TYPE, data: request }, within());
  const got = await h.waitFor(() => atLsp[0], { what: 'the lsp to receive the message' });
  assert.equal(got.peer, alice.pubkey);
  assert.equal(got.type, LSPS0_MESSAGE_TYPE);
  assert.deepEqual(got.data, request);

  const reply = new TextEncoder().encode('{"jsonrpc":"2.0","result":{"protocols":[1,2,5]},"id":"a1"}');
  await lsp.lnd.sendCustomMessage({ peer: got.peer, type: LSPS0_MESSAGE_TYPE, data: reply }, within());
  const back = await h.waitFor(() => atAlice[0], { what: 'alice to receive the reply' });
  assert.equal(back.peer, lsp.pubkey);
  assert.deepEqual(back.data, reply);
});
