/**
 * Funding a tenant's account the way a customer does: a node pays the top-up invoice the LSP
 * issues, and the account shows the credit once LND reports it settled.
 */
import assert from 'node:assert/strict';
import { msat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { Harness, LndNode } from '@blgv/regtest';
import { within } from './network.ts';

/** `payer` pays a top-up of `amount` sat for `client`'s tenant; resolves once it is credited. */
export async function topUp(h: Harness, payer: LndNode, client: LSPClient, amount: number): Promise<void> {
  const topup = await client.topUp(amount);
  assert.equal(topup.state, 'open');
  await payTopup(h, payer, client, topup.paymentRequest, amount);
  assert.equal((await client.getTopup(topup.paymentHash)).state, 'settled');
}

/**
 * `payer` pays a top-up invoice the LSP issued (e.g. the one a 402 carries); resolves once the
 * balance shows the `amount` credited.
 */
export async function payTopup(
  h: Harness,
  payer: LndNode,
  client: LSPClient,
  paymentRequest: string,
  amount: number,
): Promise<void> {
  const start = (await client.getBalance()).balance;
  const paid = await payer.lnd.sendPayment(
    { paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 60 },
    within(90_000),
  );
  assert.equal(paid.status, 'succeeded');
  await h.waitFor(async () => (await client.getBalance()).balance === start + amount, {
    what: `the top-up of ${amount} sat to be credited`,
  });
}
